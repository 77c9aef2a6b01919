/** The views of `ocm sandbox up|down|status|env`: what a person reads and the --json documents. */
import { assert, describe, it } from "@effect/vitest"
import { render, type View } from "../src/present/Presenter.js"
import {
  sandboxDownView,
  sandboxEnvironmentView,
  sandboxRequestsView,
  sandboxRunningView,
  sandboxScriptView,
  sandboxStatusView
} from "../src/present/sandbox.js"
import type { SandboxState } from "../src/local/SandboxState.js"
import * as Either from "effect/Either"
import * as Schema from "effect/Schema"
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { ChatRequest, readRequest } from "../layers/ScriptedModelRules.js"
import { decodeModelScript, type ModelRequest, type ScriptStatus } from "../services/ScriptedModel.js"
import { repoRoot } from "./support/cli.js"

const text = <A>(view: View<A>, result: A) => render(view, { json: false }, result)
const json = <A>(view: View<A>, result: A) => JSON.parse(render(view, { json: true }, result)!)

const state: SandboxState = {
  version: 1,
  url: "http://127.0.0.1:40123",
  port: 40123,
  supervisorPid: 1200,
  serverPid: 1201,
  modelUrl: "http://127.0.0.1:40124/v1",
  root: "/tmp/ocm-sandbox-x",
  projectDir: "/tmp/ocm-sandbox-x/project",
  home: "/tmp/ocm-sandbox-x/home",
  logFile: "/tmp/ocm-sandbox-x/server.log",
  opencodeVersion: "1.18.33",
  startedAt: "2026-01-01T00:00:00.000Z"
}
const statePath = "/state/ocm/sandbox.json"
const ended = { ...state, ended: { at: "2026-01-01T00:05:00.000Z", reason: "its server (pid 1201) exited with code 1" } }

const described = [
  "sandbox running at http://127.0.0.1:40123 (opencode 1.18.33)",
  "  project     /tmp/ocm-sandbox-x/project",
  "  home        /tmp/ocm-sandbox-x/home",
  "  model       http://127.0.0.1:40124/v1",
  "  pids        supervisor 1200, server 1201",
  "  password    none",
  "  server log  /tmp/ocm-sandbox-x/server.log",
  "  state       /state/ocm/sandbox.json",
  'point ocm at it: eval "$(ocm sandbox env)"'
].join("\n")

describe("sandbox up and status", () => {
  it("where it runs, its dirs and pids, how to point ocm at it; --json the state file and its path", () => {
    assert.strictEqual(text(sandboxRunningView, { state, statePath }), described)
    assert.include(
      text(sandboxRunningView, { state: { ...state, passwordFile: "/run/pw" }, statePath }),
      "\n  password    required (the one in /run/pw)\n"
    )
    assert.deepStrictEqual(json(sandboxRunningView, { state, statePath }), { ...state, statePath })
  })

  it("status: running, gone (and why), or none", () => {
    assert.strictEqual(text(sandboxStatusView, { _tag: "Found", state, statePath, alive: true }), described)
    assert.deepStrictEqual(json(sandboxStatusView, { _tag: "Found", state, statePath, alive: true }), {
      running: true,
      gone: false,
      ...state,
      statePath
    })
    assert.strictEqual(
      text(sandboxStatusView, { _tag: "Found", state: ended, statePath, alive: false }),
      'the sandbox at http://127.0.0.1:40123 is gone (its server (pid 1201) exited with code 1, at 2026-01-01T00:05:00.000Z); "ocm sandbox down" clears it (state file /state/ocm/sandbox.json)'
    )
    assert.deepStrictEqual(json(sandboxStatusView, { _tag: "Found", state: ended, statePath, alive: false }), {
      running: false,
      gone: true,
      ...ended,
      statePath
    })
    assert.strictEqual(text(sandboxStatusView, { _tag: "None" }), "no sandbox is running")
    assert.deepStrictEqual(json(sandboxStatusView, { _tag: "None" }), { running: false })
  })
})

describe("sandbox down", () => {
  it("stopped, cleared after it was gone, nothing running, or an unreadable state file removed", () => {
    assert.strictEqual(text(sandboxDownView, { _tag: "Stopped", state, wasAlive: true }), "sandbox at http://127.0.0.1:40123 stopped and removed")
    assert.deepStrictEqual(json(sandboxDownView, { _tag: "Stopped", state, wasAlive: true }), {
      stopped: true,
      gone: false,
      url: "http://127.0.0.1:40123",
      root: "/tmp/ocm-sandbox-x"
    })
    assert.strictEqual(
      text(sandboxDownView, { _tag: "Stopped", state: ended, wasAlive: false }),
      "sandbox at http://127.0.0.1:40123 was gone (its server (pid 1201) exited with code 1, at 2026-01-01T00:05:00.000Z); cleared"
    )
    assert.strictEqual(json(sandboxDownView, { _tag: "Stopped", state: ended, wasAlive: false }).gone, true)
    assert.strictEqual(text(sandboxDownView, { _tag: "NoneRunning" }), "no sandbox was running")
    assert.deepStrictEqual(json(sandboxDownView, { _tag: "NoneRunning" }), { stopped: false })
    assert.strictEqual(text(sandboxDownView, { _tag: "ClearedUnreadable", path: statePath }), `removed the unreadable sandbox state file ${statePath}`)
    assert.deepStrictEqual(json(sandboxDownView, { _tag: "ClearedUnreadable", path: statePath }), { stopped: false, cleared: statePath })
  })
})

describe("sandbox env", () => {
  it("export lines, a value quoted for the shell only when it needs it", () => {
    assert.strictEqual(
      text(sandboxEnvironmentView, {
        OPENCODE_BASE_URL: state.url,
        OCM_SANDBOX_MODEL_URL: state.modelUrl,
        OCM_SANDBOX_PROJECT_DIR: "/tmp/it's here"
      }),
      [
        "export OPENCODE_BASE_URL=http://127.0.0.1:40123",
        "export OCM_SANDBOX_MODEL_URL=http://127.0.0.1:40124/v1",
        "export OCM_SANDBOX_PROJECT_DIR='/tmp/it'\\''s here'"
      ].join("\n")
    )
  })
})

// what OpenCode 1.18.33 sent the scripted model, recorded by fixtures/record-requests.ts
const recorded = JSON.parse(readFileSync(join(repoRoot, "fixtures/model-requests/turns.json"), "utf8")) as {
  readonly script: unknown
  readonly requests: ReadonlyArray<{ readonly headers: Record<string, string>; readonly body: unknown; readonly rule: string }>
}
const records: ReadonlyArray<ModelRequest> = recorded.requests.map(({ headers, body, rule }, index) => {
  const facts = readRequest(Schema.decodeUnknownSync(ChatRequest)(body), headers)
  return {
    index,
    receivedAt: 0,
    path: "/v1/chat/completions",
    model: "scripted",
    stream: true,
    kind: facts.kind,
    action: ["title", "tool", "reply", "reply"][index]!,
    status: 200,
    rule,
    ...(facts.agent === undefined ? {} : { agent: facts.agent }),
    ...(facts.sessionID === undefined ? {} : { sessionID: facts.sessionID }),
    headers,
    system: facts.system,
    lastUserText: facts.lastUserText,
    messageCount: facts.messages.length,
    messages: facts.messages,
    toolNames: facts.toolNames,
    body
  }
})

describe("sandbox script", () => {
  const script = Either.getOrThrow(decodeModelScript(recorded.script))
  const status: ScriptStatus = {
    active: true,
    rules: script.rules.map((rule, place) => ({ rule, used: place === 0 ? 1 : 0, loadedAfter: 0 })),
    chatRequests: 1
  }

  it("the rules in force, each as when → then and how often it answered; --json the model's script status", () => {
    assert.strictEqual(
      text(sandboxScriptView, { file: "rules.yaml", append: false, status }),
      [
        "rules.yaml is in force: 4 rules",
        '  look: user contains "list the project", agent build → reasoning, tools bash, read (used 1 of 1)',
        '  summarize: a read result, a tool result contains "sandbox project" → reply "It holds a README." (used 0)',
        '  proof: agent proof → reply "PROOF" (used 0)',
        '  title: any title request → reply "Looking at the project" (used 0)'
      ].join("\n")
    )
    assert.deepStrictEqual(json(sandboxScriptView, { file: "rules.yaml", append: true, status }), { file: "rules.yaml", append: true, ...status })
  })

  it("names unnamed rules by place, and says what an error, a delay, chunks and a nth request are", () => {
    const more = Either.getOrThrow(decodeModelScript([
      { when: { request: 2, system: { matches: "^You" } }, then: { error: { status: 503 }, delay: 2 } },
      { when: { title: true, user: { contains: "x" } }, then: { reply: "a very long reply that goes on and on and on past forty", chunk: 3 } },
      { then: { reply: "" } }
    ]))
    const one: ScriptStatus = { active: true, rules: more.rules.map((rule) => ({ rule, used: 0, loadedAfter: 0 })), chatRequests: 0 }
    assert.strictEqual(
      text(sandboxScriptView, { file: "more.json", append: true, status: one }),
      [
        "more.json appended: 3 rules in force",
        "  #1: system matches /^You/, chat request 2 → after 2s, error 503 (used 0)",
        '  #2: title request: user contains "x" → reply "a very long reply that goes on and on a…", in 3-character chunks (used 0)',
        '  #3: any chat request → reply "" (used 0)'
      ].join("\n")
    )
  })
})

describe("sandbox requests", () => {
  it("a block per request: index, kind, rule, agent, what it answered, then what it carried", () => {
    const shown = text(sandboxRequestsView, { requests: records })!
    const blocks = shown.split("\n\n")
    assert.lengthOf(blocks, 4)
    const session = records[1]!.sessionID!
    assert.strictEqual(
      blocks[1],
      [
        "#1 chat  rule look  agent build  → tool",
        `  session  ${session}`,
        '  user     "Please list the project files and tell me what you find."',
        `  system   ${JSON.stringify(records[1]!.system.replace(/\s+/g, " ").slice(0, 99) + "…")}`,
        `  tools    ${records[1]!.toolNames.join(", ")}`
      ].join("\n")
    )
    assert.include(blocks[2]!, "#2 chat  rule summarize  agent build  → reply")
    assert.include(blocks[2]!, "\n  results  bash, read")
    assert.include(blocks[0]!, "#0 title  rule title  agent title  → title")
    assert.include(blocks[3]!, "\n  tools    none offered")
    const failed = { ...records[3]!, action: "fail", status: 400, rule: "unmatched" }
    assert.include(text(sandboxRequestsView, { requests: [failed] })!, "#3 chat  rule unmatched  agent proof  → fail 400")
  })

  it("--json the records as they are; nothing received is a note, not a result", () => {
    assert.deepStrictEqual(json(sandboxRequestsView, { requests: records }), JSON.parse(JSON.stringify(records)))
    assert.isUndefined(text(sandboxRequestsView, { requests: [] }))
    assert.deepStrictEqual(json(sandboxRequestsView, { requests: [] }), [])
    assert.strictEqual(sandboxRequestsView.note!({ requests: [] }), "the scripted model received no requests")
  })
})
