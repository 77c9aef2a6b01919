/**
 * Model scripts against a real `opencode serve`: rules answer real turns (reasoning, replies, tool calls to real
 * tools, several at once, errors, delays), `times`, `request` and `toolResult` conditions and agents hold as
 * OpenCode 1.18.33 really asks, and a request no rule answers fails its turn visibly (exit 12) naming the request.
 * Then the CLI: `ocm sandbox script` and `ocm sandbox requests` on a background sandbox, and a scenario's `model:`.
 */
import * as FileSystem from "@effect/platform/FileSystem"
import { assert, describe, it, layer } from "@effect/vitest"
import * as Effect from "effect/Effect"
import type { Part } from "../src/domain/Domain.js"
import { PlatformLayer, SandboxClientLayer } from "../layers/TestLayers.js"
import { OpenCodeClient } from "../services/OpenCodeClient.js"
import { Sandbox } from "../services/Sandbox.js"
import type { ModelRequest, ModelScript } from "../services/ScriptedModel.js"
import { type CliResult, cleanEnvironment, ocmInSandbox, repoRoot, runOcm, succeeded } from "./support/cli.js"

interface TurnJson {
  readonly sessionID: string
  readonly reply: string
  readonly proof: { readonly userMessageID: string }
}

const turn = (prompt: string, agent: string) =>
  Effect.map(ocmInSandbox(["begin-session", prompt, "--agent", agent, "--json"]), (run) => JSON.parse(succeeded(run)) as TurnJson)

/** The turn failed visibly: exit 12 (AssistantTurnFailed), one line saying why. */
const failedTurn = (run: CliResult, said: string) => {
  assert.strictEqual(run.code, 12, `expected exit 12, got ${run.code}: ${run.stdout} ${run.stderr}`)
  assert.include(run.stderr, "failed: APIError: ", run.stderr)
  assert.include(run.stderr, said, run.stderr)
  assert.notInclude(run.stderr, "    at ", "no stack trace")
}

/** The requests recorded since `from` (an index), of one kind. */
const requestsSince = (from: number, kind: "chat" | "title" = "chat") =>
  Effect.map(Effect.flatMap(Sandbox, (sandbox) => sandbox.modelRequests), (all) =>
    all.filter((request) => request.index >= from && request.kind === kind))

const nextIndex = Effect.map(Effect.flatMap(Sandbox, (sandbox) => sandbox.modelRequests), (all) => (all.at(-1)?.index ?? -1) + 1)

const useScript = (script: ModelScript) => Effect.flatMap(Sandbox, (sandbox) => sandbox.setModelScript(script))

const toolParts = (sessionID: string) =>
  Effect.map(Effect.flatMap(OpenCodeClient, (client) => client.messages(sessionID)), (messages) =>
    messages.flatMap((message) => message.parts).filter((part): part is Extract<Part, { type: "tool" }> => part.type === "tool"))

describe("model scripts on a real sandbox", () => {
  layer(SandboxClientLayer(), { timeout: 300_000, excludeTestServices: true })((it) => {
    it.effect("rules answer real turns: reasoning and a reply; two real tool calls at once, then a reply from their results", () =>
      Effect.gen(function* () {
        const { info } = yield* Sandbox
        const from = yield* nextIndex
        yield* useScript({
          rules: [
            { name: "think", when: { user: { contains: "think" } }, then: { reasoning: "Pondering.", reply: "THOUGHT", chunk: 2 } },
            {
              name: "answer",
              when: { toolResult: "read", toolResultContains: "sandbox project" },
              then: { reply: "READ-AND-LISTED" }
            },
            {
              name: "look",
              when: { user: { contains: "look" }, agent: "build" },
              then: {
                tools: [
                  { name: "bash", input: { command: "echo scripted-$((40 + 2))", description: "say it" } },
                  { name: "read", input: { filePath: `${info.projectDir}/README.md` } }
                ]
              }
            }
          ]
        })
        const thought = yield* turn("think about it", "proof")
        assert.strictEqual(thought.reply, "THOUGHT")
        const messages = yield* Effect.flatMap(OpenCodeClient, (client) => client.messages(thought.sessionID))
        const reasoning = messages.flatMap((message) => message.parts).find((part) => part.type === "reasoning")
        assert.strictEqual(reasoning?.type === "reasoning" ? reasoning.text : undefined, "Pondering.")

        const looked = yield* turn("look at the project", "build")
        assert.strictEqual(looked.reply, "READ-AND-LISTED")
        const tools = yield* toolParts(looked.sessionID)
        assert.deepStrictEqual(tools.map((part) => [part.tool, part.state.status]).sort(), [["bash", "completed"], ["read", "completed"]])
        assert.include(tools.find((part) => part.tool === "bash")!.state.output ?? "", "scripted-42", "the real bash tool ran")
        const chats = yield* requestsSince(from)
        assert.deepStrictEqual(chats.map((request) => [request.rule, request.action, request.agent]), [
          ["think", "reply", "proof"],
          ["look", "tool", "build"],
          ["answer", "reply", "build"]
        ])
        assert.strictEqual(chats[2]!.sessionID, looked.sessionID)
        assert.strictEqual(chats[2]!.headers["x-ocm-message"], looked.proof.userMessageID, "the plugin names the user message")
        assert.deepStrictEqual(
          chats[2]!.messages.filter((message) => message.role === "tool").map((message) => message.toolName).sort(),
          ["bash", "read"]
        )
      }))

    it.effect("agents are told apart; `request` counts chat requests since the rule was loaded; a delay still answers", () =>
      Effect.gen(function* () {
        yield* useScript({
          rules: [
            { name: "second", when: { request: 2 }, then: { reply: "SECOND" } },
            { name: "proof", when: { agent: "proof" }, then: { reply: "I AM PROOF" } },
            { name: "asker", when: { agent: "asker" }, then: { reply: "I AM ASKER", delay: 0.5 } },
            { name: "build", when: { agent: "build", system: { contains: "You are opencode" } }, then: { reply: "I AM BUILD" } }
          ]
        })
        const from = yield* nextIndex
        assert.strictEqual((yield* turn("who are you?", "proof")).reply, "I AM PROOF")
        assert.strictEqual((yield* turn("who are you?", "build")).reply, "SECOND")
        assert.strictEqual((yield* turn("who are you?", "asker")).reply, "I AM ASKER")
        assert.strictEqual((yield* turn("who are you?", "build")).reply, "I AM BUILD")
        const chats = yield* requestsSince(from)
        assert.deepStrictEqual(chats.map((request) => [request.agent, request.rule]), [
          ["proof", "proof"],
          ["build", "second"],
          ["asker", "asker"],
          ["build", "build"]
        ])
      }))

    it.effect("an error rule fails the turn with its status and message (exit 12); markers still work under a script", () =>
      Effect.gen(function* () {
        yield* useScript({ rules: [{ name: "refuse", when: { user: { contains: "refuse" } }, then: { error: { status: 422, body: "scripted refusal" } } }] })
        const from = yield* nextIndex
        const refused = yield* ocmInSandbox(["begin-session", "please refuse", "--agent", "proof"])
        failedTurn(refused, "scripted refusal")
        assert.strictEqual((yield* turn("Reply with ONLY MARKED.", "proof")).reply, "MARKED")
        const chats = yield* requestsSince(from)
        assert.deepStrictEqual(chats.map((request) => [request.rule, request.status]), [["refuse", 422], ["marker", 200]])
      }))

    it.effect("`times` used up, the next request fails its turn at once naming the request (exit 12); titles get the default", () =>
      Effect.gen(function* () {
        yield* useScript({ rules: [{ name: "once", when: { user: { contains: "hello" } }, then: { reply: "HELLO ONCE" }, times: 1 }] })
        const from = yield* nextIndex
        assert.strictEqual((yield* turn("hello there", "proof")).reply, "HELLO ONCE")
        const again = yield* ocmInSandbox(["begin-session", "hello again", "--agent", "proof"])
        const chats = yield* requestsSince(from)
        assert.deepStrictEqual(chats.map((request) => request.rule), ["once", "unmatched"], "OpenCode does not retry the 400")
        const unmatched = chats[1]!
        failedTurn(again, `no rule of the model script matched chat request #${unmatched.index}`)
        assert.include(again.stderr, "agent proof")
        assert.include(again.stderr, "\"hello again\"")
        assert.include(again.stderr, "tools offered: none")
        assert.strictEqual(unmatched.status, 400)
        const titles = yield* requestsSince(from, "title")
        assert.isTrue(titles.every((request: ModelRequest) => request.rule === "default" && request.action === "title"))
        const sandbox = yield* Sandbox
        assert.deepStrictEqual((yield* sandbox.modelScript).rules.map((rule) => rule.used), [1])
        yield* sandbox.clearModelScript
        assert.strictEqual((yield* turn("plain words", "proof")).reply, "echo: plain words", "no script: the echo again")
      }))
  })
})

describe("ocm sandbox script and requests", () => {
  it.live("puts a script file in force on a background sandbox (replace, then append); requests show which rule answered", () =>
    Effect.gen(function* () {
      const fs = yield* FileSystem.FileSystem
      const stateHome = yield* fs.makeTempDirectoryScoped({ prefix: "ocm-script-test-state-" })
      const dir = yield* fs.makeTempDirectoryScoped({ prefix: "ocm-script-test-files-" })
      const env = cleanEnvironment({ XDG_STATE_HOME: stateHome })
      yield* Effect.addFinalizer(() => runOcm(["sandbox", "down"], env).pipe(Effect.ignore))
      yield* fs.writeFileString(`${dir}/first.yaml`, [
        "# a bare list of rules",
        "- name: greet",
        "  when: { user: { contains: hello } }",
        "  then: { reply: HI FROM YAML }",
        ""
      ].join("\n"))
      yield* fs.writeFileString(`${dir}/more.jsonc`, `{
  // appended after greet
  "rules": [{ "name": "bye", "when": { "agent": "proof", "user": { "matches": "^bye" } }, "then": { "reply": "BYE FROM JSONC" } },],
}`)
      yield* fs.writeFileString(`${dir}/bad.yaml`, "rules:\n  - then: { reply: x }\n    times: 0\n")

      // a bad file is refused before anything is looked for: no sandbox runs yet
      const bad = yield* runOcm(["sandbox", "script", `${dir}/bad.yaml`], env)
      assert.strictEqual(bad.code, 2, bad.stderr)
      assert.include(bad.stderr, "bad.yaml:3: rules[0].times")
      const none = yield* runOcm(["sandbox", "script", `${dir}/first.yaml`], env)
      assert.strictEqual(none.code, 14, none.stderr)

      succeeded(yield* runOcm(["sandbox", "up"], env))
      const set = yield* runOcm(["sandbox", "script", `${dir}/first.yaml`], env)
      assert.strictEqual(succeeded(set), `${dir}/first.yaml is in force: 1 rule\n  greet: user contains "hello" → reply "HI FROM YAML" (used 0)\n`)
      const appended = JSON.parse(succeeded(yield* runOcm(["sandbox", "script", `${dir}/more.jsonc`, "--append", "--json"], env)))
      assert.deepStrictEqual(appended.rules.map((rule: { rule: { name: string } }) => rule.rule.name), ["greet", "bye"])
      assert.isTrue(appended.append)

      const hello = yield* runOcm(["one-shot", "hello world", "--agent", "proof"], env)
      assert.strictEqual(succeeded(hello), "HI FROM YAML\n")
      assert.strictEqual(succeeded(yield* runOcm(["one-shot", "bye now", "--agent", "proof"], env)), "BYE FROM JSONC\n")
      const unmatched = yield* runOcm(["one-shot", "something else", "--agent", "proof"], env)
      assert.strictEqual(unmatched.code, 12, unmatched.stderr)

      const records = JSON.parse(succeeded(yield* runOcm(["sandbox", "requests", "--json"], env))) as ReadonlyArray<ModelRequest>
      const chats = records.filter((request) => request.kind === "chat")
      assert.deepStrictEqual(chats.map((request) => [request.rule, request.agent, request.lastUserText]), [
        ["greet", "proof", "hello world"],
        ["bye", "proof", "bye now"],
        ["unmatched", "proof", "something else"]
      ])
      assert.include(unmatched.stderr, `chat request #${chats[2]!.index}`)
      const since = JSON.parse(succeeded(yield* runOcm(["sandbox", "requests", "--json", "--since", String(chats[2]!.index)], env)))
      assert.deepStrictEqual(since.map((request: ModelRequest) => request.index), records.filter((r) => r.index >= chats[2]!.index).map((r) => r.index))
      const human = succeeded(yield* runOcm(["sandbox", "requests"], env))
      assert.include(human, `#${chats[0]!.index} chat  rule greet  agent proof  → reply`)
      assert.include(human, `#${chats[2]!.index} chat  rule unmatched  agent proof  → fail 400`)
      assert.include(human, '  user     "something else"')
    }).pipe(Effect.scoped, Effect.provide(PlatformLayer)), { timeout: 300_000 })

  it.live("a scenario's model script answers its steps (ocm prove fixtures/scenarios/script.yaml)", () =>
    Effect.gen(function* () {
      const fs = yield* FileSystem.FileSystem
      const stateHome = yield* fs.makeTempDirectoryScoped({ prefix: "ocm-script-test-state-" })
      const env = cleanEnvironment({ XDG_STATE_HOME: stateHome, XDG_CONFIG_HOME: `${stateHome}/config` })
      const run = yield* runOcm(["prove", `${repoRoot}fixtures/scenarios/script.yaml`], env)
      assert.strictEqual(run.code, 0, `${run.stdout}\n${run.stderr}`)
      assert.include(run.stdout, "✓ script › 3. nothing answers")
      assert.include(run.stdout, "✓ script: 3 steps passed")
    }).pipe(Effect.scoped, Effect.provide(PlatformLayer)), { timeout: 300_000 })
})
