/** The waits through the ocm binary against a real sandbox: tree-aware, --require-busy satisfiable, text from replies only. */
import { assert, describe, layer } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Schedule from "effect/Schedule"
import { SandboxClientLayer } from "../layers/TestLayers.js"
import { OpenCodeClient } from "../services/OpenCodeClient.js"
import { Sandbox } from "../services/Sandbox.js"
import { ocmInSandbox, succeeded } from "./support/cli.js"

const text = (prompt: string) => [{ type: "text" as const, text: prompt }]

/** A session with one finished turn, so identity and history exist. */
const warmSession = (title: string, parentID?: string) =>
  Effect.gen(function* () {
    const client = yield* OpenCodeClient
    const { info } = yield* Sandbox
    const session = yield* client.createSession({ directory: info.projectDir, title, parentID })
    yield* client.prompt(session.id, { parts: text("Reply with ONLY WARM."), agent: "proof" })
    return session
  })

const startSlow = (sessionID: string, seconds: number, reply: string) =>
  Effect.flatMap(OpenCodeClient, (client) =>
    client.promptAsync(sessionID, { parts: text(`[[slow ${seconds}]] Reply with ONLY ${reply}.`), agent: "proof" })
  )

describe("waits against a real sandbox", () => {
  layer(SandboxClientLayer(), { timeout: 300_000, excludeTestServices: true })((it) => {
    it.effect("wait-for-idle returns when a running turn ends; a short --timeout exits 124", () =>
      Effect.gen(function* () {
        const session = yield* warmSession("wait-for-idle")
        yield* startSlow(session.id, 3, "SLOW-DONE")
        const short = yield* ocmInSandbox(["wait-for-idle", session.id, "--timeout", "0.5"])
        assert.strictEqual(short.code, 124, short.stderr)
        const waited = JSON.parse(succeeded(yield* ocmInSandbox(["wait-for-idle", session.id, "--json", "--timeout", "30"])))
        assert.strictEqual(waited.latestReply, "SLOW-DONE")
        assert.strictEqual(waited.status, "idle")
      }))

    it.effect("a reply the server abandoned (idle, left unfinished) settles wait, is-idle and wait-for-idle", () =>
      Effect.gen(function* () {
        const client = yield* OpenCodeClient
        const { info } = yield* Sandbox
        const missing = `${info.root}/not-there`
        const session = yield* client.createSession({ directory: missing, title: "abandoned" })
        yield* client.promptAsync(session.id, { parts: text("Reply with ONLY NEVER."), agent: "proof" }, { directory: missing })
        const waited = yield* ocmInSandbox(["wait", session.id, "--json", "--timeout", "30"])
        assert.strictEqual(waited.code, 0, waited.stderr)
        assert.deepInclude(JSON.parse(waited.stdout), { idle: true, abandoned: true, error: null, reply: "" })
        assert.include(waited.stderr, "unfinished")
        const idle = JSON.parse(succeeded(yield* ocmInSandbox(["is-idle", session.id, "--require-busy", "--json"])))
        assert.deepInclude(idle, { idle: true, replyAbandoned: true, status: "idle" })
        succeeded(yield* ocmInSandbox(["wait-for-idle", session.id, "--timeout", "30"]))
      }))

    it.effect("is-idle answers 0/1; --require-busy is satisfiable: a finished turn counts, an unanswered prompt does not", () =>
      Effect.gen(function* () {
        const client = yield* OpenCodeClient
        const session = yield* warmSession("is-idle")
        assert.strictEqual((yield* ocmInSandbox(["is-idle", session.id])).code, 0)
        assert.strictEqual((yield* ocmInSandbox(["is-idle", session.id, "--require-busy"])).code, 0, "the newest prompt has its reply")
        // the turn already finished before the wait began: occtl would wait forever here
        const immediate = JSON.parse(succeeded(yield* ocmInSandbox(["wait-for-idle", session.id, "--require-busy", "--json", "--timeout", "10"])))
        assert.isBelow(immediate.elapsedMs, 5000)

        yield* startSlow(session.id, 3, "BUSY")
        const busy = yield* ocmInSandbox(["is-idle", session.id, "--json"])
        assert.strictEqual(busy.code, 1, busy.stderr)
        assert.isFalse(JSON.parse(busy.stdout).idle)
        succeeded(yield* ocmInSandbox(["wait-for-idle", session.id, "--timeout", "30"]))

        // a recorded prompt nobody answered yet: idle, but not "done" for --require-busy
        yield* client.promptAsync(session.id, { parts: text("Reply with ONLY QUEUED."), noReply: true, agent: "proof" })
        assert.strictEqual((yield* ocmInSandbox(["is-idle", session.id])).code, 0)
        assert.strictEqual((yield* ocmInSandbox(["is-idle", session.id, "--require-busy"])).code, 1)
        const bad = yield* ocmInSandbox(["is-idle", "ses_doesnotexist0000000000000"])
        assert.strictEqual(bad.code, 5, "errors are 2 and above")
      }))

    it.effect("wait-any prints the first to finish; wait-all waits for every one", () =>
      Effect.gen(function* () {
        const slow = yield* warmSession("any slow")
        const fast = yield* warmSession("any fast")
        yield* startSlow(slow.id, 6, "SLOW")
        yield* startSlow(fast.id, 1, "FAST")
        const first = succeeded(yield* ocmInSandbox(["wait-any", slow.id, fast.id, "--require-busy", "--timeout", "30"]))
        assert.strictEqual(first.trim(), fast.id)
        const all = JSON.parse(succeeded(yield* ocmInSandbox(["wait-all", slow.id, fast.id, "--json", "--timeout", "30"])))
        assert.deepStrictEqual(
          all.sessions.map((s: { sessionID: string; latestReply: string }) => [s.sessionID, s.latestReply]),
          [
            [slow.id, "SLOW"],
            [fast.id, "FAST"]
          ]
        )
        assert.strictEqual((yield* ocmInSandbox(["wait-any", "--timeout", "1"])).code, 2, "no sessions is bad input")
      }))

    it.effect("tree-aware: a parent with a busy sub-agent session is waiting; --main-agent looks at the parent only", () =>
      Effect.gen(function* () {
        const parent = yield* warmSession("tree parent")
        const child = yield* warmSession("tree child", parent.id)
        // running still however loaded the machine is: the test ends it with an abort
        yield* startSlow(child.id, 300, "CHILD-DONE")
        const client = yield* OpenCodeClient
        yield* client.sessionStatus({ directory: child.directory }).pipe(
          Effect.repeat({ until: (statuses) => statuses[child.id]?.type === "busy", schedule: Schedule.spaced("100 millis") }),
          Effect.timeout("60 seconds")
        )
        const status = JSON.parse(succeeded(yield* ocmInSandbox(["status", parent.id, "--json"])))
        assert.deepStrictEqual(status.subAgents.busy.map((b: { id: string }) => b.id), [child.id])
        assert.strictEqual((yield* ocmInSandbox(["is-idle", parent.id])).code, 1, "waiting on the child")
        assert.strictEqual((yield* ocmInSandbox(["is-idle", parent.id, "--main-agent"])).code, 0)
        const mainOnly = JSON.parse(succeeded(yield* ocmInSandbox(["status", parent.id, "--main-agent", "--json"])))
        assert.deepStrictEqual(mainOnly.subAgents.busy, [])
        const whileBusy = yield* ocmInSandbox(["wait-for-idle", parent.id, "--timeout", "1"])
        assert.strictEqual(whileBusy.code, 124, "the parent's wait does not end while the child runs")
        yield* client.abort(child.id, { directory: child.directory })
        succeeded(yield* ocmInSandbox(["wait-for-idle", parent.id, "--timeout", "60"]))
        assert.strictEqual((yield* ocmInSandbox(["is-idle", child.id])).code, 0, "the parent's wait ended once the child was done")
      }))

    it.effect("wait-for-text matches assistant text only, never the prompt; --no-check-existing ignores old replies", () =>
      Effect.gen(function* () {
        const session = yield* warmSession("wait-for-text")
        const waiting = yield* Effect.fork(ocmInSandbox(["wait-for-text", "MAGIC-42", session.id, "--json", "--timeout", "30"]))
        yield* Effect.sleep("500 millis")
        // the prompt itself contains MAGIC-42 long before the reply does
        yield* startSlow(session.id, 2, "THE-MAGIC-42-REPLY")
        const found = JSON.parse(succeeded(yield* Fiber.join(waiting)))
        assert.strictEqual(found.text, "THE-MAGIC-42-REPLY")

        assert.strictEqual(succeeded(yield* ocmInSandbox(["wait-for-text", "MAGIC-42", session.id, "--timeout", "5"])).trim(), "THE-MAGIC-42-REPLY")
        const onlyNew = yield* ocmInSandbox(["wait-for-text", "MAGIC-42", session.id, "--no-check-existing", "--timeout", "1"])
        assert.strictEqual(onlyNew.code, 124, onlyNew.stderr)
        assert.strictEqual((yield* ocmInSandbox(["wait-for-text", "", session.id])).code, 2)
      }))
  })
})
