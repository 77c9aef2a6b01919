/** The views of `ocm sandbox up|down|status|env`: what a person reads and the --json documents. */
import { assert, describe, it } from "@effect/vitest"
import { render, type View } from "../src/present/Presenter.js"
import { sandboxDownView, sandboxEnvironmentView, sandboxRunningView, sandboxStatusView } from "../src/present/sandbox.js"
import type { SandboxState } from "../src/local/SandboxState.js"

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
