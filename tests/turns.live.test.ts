/**
 * The proof contract through the real `ocm` binary against a real sandbox: every witness and every failure tag
 * provoked for real, with exit codes, stdout and stderr checked.
 */
import { assert, describe, layer } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Fiber from "effect/Fiber"
import * as Stream from "effect/Stream"
import { SandboxClientLayer } from "../layers/TestLayers.js"
import { OpenCodeClient } from "../services/OpenCodeClient.js"
import { Sandbox } from "../services/Sandbox.js"
import { type CliResult, ocmInSandbox, succeeded } from "./support/cli.js"

interface Proof {
  userMessageID: string
  assistantMessageIDs: Array<string>
  assistantTurnsBefore: number
  assistantTurnsAfter: number
  carriedSystemPrompts: Array<string>
  systemSent: string | null
  identity: { agent: string | null; model: string | null; source: Record<string, string> }
  recordedBy: string
  completedBy: string
}
interface TurnJson {
  sessionID: string
  directory: string
  mode: string
  reply: string
  proof: Proof
  deleted?: boolean
}

const parsed = (run: CliResult) => JSON.parse(succeeded(run)) as TurnJson

const failsWith = (run: CliResult, code: number, tag: string) => {
  assert.strictEqual(run.code, code, `expected exit ${code} (${tag}), got ${run.code}: ${run.stderr}`)
  const lines = run.stderr.trim().split("\n").filter((line) => line.startsWith("ocm: ") && !line.includes(" was kept "))
  assert.isAtLeast(lines.length, 1, run.stderr)
  assert.notInclude(run.stderr, "    at ", "no stack trace")
}

const begin = (prompt = "Reply with ONLY READY.", extra: ReadonlyArray<string> = []) =>
  Effect.map(ocmInSandbox(["begin-session", prompt, "--agent", "proof", "--json", ...extra]), parsed)

describe("the proof contract against a real sandbox", () => {
  layer(SandboxClientLayer(), { timeout: 300_000, excludeTestServices: true })((it) => {
    it.effect("one-shot: one witnessed turn, the reply on stdout, the session deleted afterwards", () =>
      Effect.gen(function* () {
        const client = yield* OpenCodeClient
        const human = yield* ocmInSandbox(["one-shot", "Reply with ONLY ONE-SHOT-OK.", "--agent", "proof"])
        assert.strictEqual(human.code, 0, human.stderr)
        assert.strictEqual(human.stdout, "ONE-SHOT-OK\n")
        const run = parsed(yield* ocmInSandbox(["one-shot", "Reply with ONLY OK.", "--agent", "proof", "--json"]))
        assert.strictEqual(run.reply, "OK")
        assert.isTrue(run.deleted)
        // either witness of busy→idle is the protocol's; under load the safety poll may see the idle first
        assert.oneOf(run.proof.completedBy, ["session.idle event", "status poll"])
        const gone = yield* Effect.either(client.getSession(run.sessionID))
        assert.isTrue(Either.isLeft(gone) && gone.left._tag === "SessionNotFound")
      }))

    it.effect("begin-session on a brand-new session with no flags uses the server default; prints the id", () =>
      Effect.gen(function* () {
        const client = yield* OpenCodeClient
        const run = yield* ocmInSandbox(["begin-session", "Reply with ONLY FRESH."])
        assert.strictEqual(run.code, 0, run.stderr)
        const id = run.stdout.trim()
        assert.match(id, /^ses_/)
        const messages = yield* client.messages(id)
        const replies = messages.filter((m) => m.info.role === "assistant")
        assert.strictEqual(replies.length, 1)
        const json = yield* begin()
        assert.strictEqual(json.reply, "READY")
        assert.strictEqual(json.proof.assistantTurnsBefore, 0)
        assert.strictEqual(json.proof.assistantTurnsAfter, 1)
        assert.deepStrictEqual(json.proof.identity.source, { agent: "flag", model: "server default", variant: "server default" })
        // the reply is parented to our own message id
        const after = yield* client.messages(json.sessionID)
        const reply = after.find((m) => m.info.id === json.proof.assistantMessageIDs[0])
        assert.strictEqual(reply?.info.role === "assistant" ? reply.info.parentID : undefined, json.proof.userMessageID)
      }))

    it.effect("chat resumes with the observed identity; --no-reply only records; two queued system prompts carry once", () =>
      Effect.gen(function* () {
        const sandbox = yield* Sandbox
        const client = yield* OpenCodeClient
        const session = yield* begin()
        const second = parsed(yield* ocmInSandbox(["chat", session.sessionID, "Reply with ONLY SECOND.", "--json"]))
        assert.strictEqual(second.reply, "SECOND")
        assert.strictEqual(second.proof.identity.agent, "proof")

        const queued = parsed(yield* ocmInSandbox(["chat", session.sessionID, "Reply with ONLY QUEUED.", "--no-reply", "--json"]))
        assert.strictEqual(queued.mode, "queue-only")
        assert.deepStrictEqual(queued.proof.assistantMessageIDs, [])
        assert.strictEqual(queued.proof.assistantTurnsAfter, queued.proof.assistantTurnsBefore)

        const markerA = `QUEUED-A-${session.sessionID}`
        const markerB = `QUEUED-B-${session.sessionID}`
        const a = parsed(yield* ocmInSandbox(["chat", session.sessionID, markerA, "--system", "--no-reply", "--json"]))
        const b = parsed(yield* ocmInSandbox(["chat", session.sessionID, markerB, "--system", "--no-reply", "--json"]))
        assert.strictEqual(a.proof.systemSent, markerA)
        assert.strictEqual(b.proof.systemSent, markerB, "a queue-only prompt records only its own system text")
        // the system prompt is not a visible prompt line
        const stored = (yield* client.messages(session.sessionID)).find((m) => m.info.id === a.proof.userMessageID)
        assert.deepStrictEqual(stored?.parts.filter((p) => p.type === "text"), [])

        const carried = parsed(yield* ocmInSandbox(["chat", session.sessionID, "Reply with ONLY CARRIED.", "--json"]))
        assert.strictEqual(carried.reply, "CARRIED")
        assert.deepStrictEqual(carried.proof.carriedSystemPrompts, [markerA, markerB])
        assert.strictEqual(carried.proof.systemSent, `${markerA}\n\n${markerB}`)
        // proved from what reached the model: the system message holds "A\n\nB" exactly once
        const requests = yield* sandbox.modelRequests
        const turn = requests.filter((r) => r.kind === "chat" && r.system.includes(markerA))
        assert.strictEqual(turn.length, 1)
        assert.strictEqual(turn[0]!.system.split(`${markerA}\n\n${markerB}`).length, 2)

        const next = parsed(yield* ocmInSandbox(["chat", session.sessionID, "Reply with ONLY AFTER.", "--json"]))
        assert.deepStrictEqual(next.proof.carriedSystemPrompts, [], "carried once, not again")
      }))

    it.effect("chat --system without --no-reply runs a turn that carries it", () =>
      Effect.gen(function* () {
        const sandbox = yield* Sandbox
        const session = yield* begin()
        const marker = `DIRECT-SYSTEM-${session.sessionID}`
        const run = parsed(yield* ocmInSandbox(["chat", session.sessionID, marker, "--system", "--json"]))
        assert.strictEqual(run.mode, "turn")
        assert.strictEqual(run.proof.systemSent, marker)
        assert.isAtLeast(run.proof.assistantMessageIDs.length, 1)
        const requests = yield* sandbox.modelRequests
        assert.isTrue(requests.some((r) => r.kind === "chat" && r.system.includes(marker)))
      }))

    it.effect("NoAssistantTurn (exit 11): an unknown model stores the prompt and nothing answers; the next default prompt heals", () =>
      Effect.gen(function* () {
        const session = yield* begin()
        // a three-segment id reaches the server intact: provider "scripted", model "no/such-model"
        const bad = yield* ocmInSandbox(["chat", session.sessionID, "Reply with ONLY NEVER.", "--model", "scripted/no/such-model"])
        failsWith(bad, 11, "NoAssistantTurn")
        assert.include(bad.stderr, "Model not found: scripted/no/such-model")
        // the server would now default to the bad model; re-sending the observed identity heals the session
        const healed = parsed(yield* ocmInSandbox(["chat", session.sessionID, "Reply with ONLY HEALED.", "--json"]))
        assert.strictEqual(healed.reply, "HEALED")
        assert.strictEqual(healed.proof.identity.model, "scripted/scripted")
        assert.strictEqual(healed.proof.identity.source.model, "observed")
      }))

    it.effect("--variant reaches the server with the prompt, and the next turn without flags observes it", () =>
      Effect.gen(function* () {
        const client = yield* OpenCodeClient
        const session = yield* begin()
        const flagged = parsed(yield* ocmInSandbox(["chat", session.sessionID, "Reply with ONLY VARIANT.", "--variant", "high", "--json"]))
        assert.strictEqual(flagged.reply, "VARIANT")
        assert.strictEqual(flagged.proof.identity.source.variant, "flag")
        const stored = (yield* client.messages(session.sessionID)).find((m) => m.info.id === flagged.proof.userMessageID)
        assert.strictEqual(stored?.info.role === "user" ? stored.info.model?.variant : undefined, "high")

        const observed = parsed(yield* ocmInSandbox(["chat", session.sessionID, "Reply with ONLY OBSERVED.", "--json"]))
        assert.strictEqual(observed.proof.identity.source.variant, "observed")
        const next = (yield* client.messages(session.sessionID)).find((m) => m.info.id === observed.proof.userMessageID)
        assert.strictEqual(next?.info.role === "user" ? next.info.model?.variant : undefined, "high")
      }))

    it.effect("PromptNotRecorded (exit 10): an unknown agent stores nothing", () =>
      Effect.gen(function* () {
        const client = yield* OpenCodeClient
        const session = yield* begin()
        const before = (yield* client.messages(session.sessionID)).length
        const run = yield* ocmInSandbox(["chat", session.sessionID, "Reply with ONLY NEVER.", "--agent", "no-such-agent", "--json"])
        failsWith(run, 10, "PromptNotRecorded")
        assert.strictEqual((JSON.parse(run.stdout) as { error: { tag: string } }).error.tag, "PromptNotRecorded")
        assert.strictEqual((yield* client.messages(session.sessionID)).length, before)
      }))

    it.effect("AssistantTurnFailed (exit 12): a slow turn aborted while it streams", () =>
      Effect.gen(function* () {
        const client = yield* OpenCodeClient
        const session = yield* begin()
        const subscription = yield* client.subscribe
        const running = yield* Effect.fork(ocmInSandbox(["chat", session.sessionID, "[[slow 8]] Reply with ONLY ABORTED-MIDWAY-TEXT."]))
        yield* subscription.events.pipe(
          Stream.filter((e) => e.payload.type === "message.part.delta" && e.payload.properties.sessionID === session.sessionID),
          Stream.runHead,
          Effect.timeout("20 seconds")
        )
        yield* client.abort(session.sessionID)
        const run = yield* Fiber.join(running)
        failsWith(run, 12, "AssistantTurnFailed")
        assert.include(run.stderr, "MessageAbortedError")
      }).pipe(Effect.scoped))

    it.effect("AssistantTurnFailed (exit 12) at once for a turn the server abandons (its directory does not exist)", () =>
      Effect.gen(function* () {
        const { info } = yield* Sandbox
        const client = yield* OpenCodeClient
        // measured: session.error, then idle, and the reply is left neither completed nor failed for ever.
        // ocm refuses --dir that does not exist (exit 2), so the session is made through the API.
        const missing = `${info.root}/no-such-directory`
        const session = yield* client.createSession({ directory: missing, title: "abandoned" })
        const run = yield* ocmInSandbox(["final", session.id, "Reply with ONLY NEVER.", "--timeout", "90"])
        failsWith(run, 12, "AssistantTurnFailed")
        assert.include(run.stderr, "AbandonedByServer")
        assert.include(run.stderr, "NotFound")
        assert.include(run.stderr, `was kept (${missing})`)
        assert.strictEqual((yield* client.getSession(session.id)).id, session.id, "final keeps a session whose turn failed")
      }), 180_000)

    it.effect("WaitTimeout (exit 124): the session is left running, or aborted with --abort-on-timeout", () =>
      Effect.gen(function* () {
        const client = yield* OpenCodeClient
        const session = yield* begin()
        // --timeout bounds the whole command (resolution included): room to send, far less than the turn
        const run = yield* ocmInSandbox(["chat", session.sessionID, "[[slow 15]] Reply with ONLY LATE.", "--timeout", "8"])
        failsWith(run, 124, "WaitTimeout")
        assert.include(run.stderr, `ocm wait ${session.sessionID}`)
        const status = yield* client.sessionStatus({ directory: session.directory })
        assert.strictEqual(status[session.sessionID]?.type, "busy", "left running")
        // wait picks the result up later
        const waited = yield* ocmInSandbox(["wait", session.sessionID, "--json", "--timeout", "60"])
        assert.strictEqual(waited.code, 0, waited.stderr)
        assert.strictEqual((JSON.parse(waited.stdout) as { reply: string }).reply, "LATE")

        const aborted = yield* ocmInSandbox(["chat", session.sessionID, "[[slow 15]] Reply with ONLY LATE.", "--timeout", "8", "--abort-on-timeout"])
        failsWith(aborted, 124, "WaitTimeout")
        assert.include(aborted.stderr, "the turn was aborted", aborted.stderr)
        const idle = yield* ocmInSandbox(["wait", session.sessionID, "--json", "--timeout", "10"])
        assert.strictEqual(idle.code, 0, idle.stderr)
        assert.strictEqual((JSON.parse(idle.stdout) as { error: { name: string } | null }).error?.name, "MessageAbortedError")
      }), 300_000)

    it.effect("a provider the server keeps retrying is reported on stderr while waiting", () =>
      Effect.gen(function* () {
        const client = yield* OpenCodeClient
        const session = yield* begin()
        const run = yield* ocmInSandbox(["chat", session.sessionID, "[[fail 503]] Reply with ONLY NEVER.", "--timeout", "5", "--abort-on-timeout"])
        failsWith(run, 124, "WaitTimeout")
        assert.match(run.stderr, /the provider is being retried \(attempt \d+\)/)
        const status = yield* client.sessionStatus({ directory: session.directory })
        assert.isUndefined(status[session.sessionID], "aborted, so no longer retrying")
      }))

    it.effect("final deletes only after a witnessed turn; a failed final keeps the session", () =>
      Effect.gen(function* () {
        const client = yield* OpenCodeClient
        const kept = yield* begin()
        const failed = yield* ocmInSandbox(["final", kept.sessionID, "Reply with ONLY DONE.", "--agent", "no-such-agent"])
        failsWith(failed, 10, "PromptNotRecorded")
        assert.include(failed.stderr, `session ${kept.sessionID} was kept`)
        assert.strictEqual((yield* client.getSession(kept.sessionID)).id, kept.sessionID)

        const done = parsed(yield* ocmInSandbox(["final", kept.sessionID, "Reply with ONLY DONE.", "--json"]))
        assert.strictEqual(done.reply, "DONE")
        assert.isTrue(done.deleted)
        const gone = yield* Effect.either(client.getSession(kept.sessionID))
        assert.isTrue(Either.isLeft(gone) && gone.left._tag === "SessionNotFound")
      }))

    it.effect("session references: exact id, title substring, ambiguity (exit 6), not found (exit 5); delete/rm witness 404", () =>
      Effect.gen(function* () {
        const client = yield* OpenCodeClient
        const { info } = yield* Sandbox
        const tag = `ref-${Date.now()}`
        const first = yield* client.createSession({ directory: info.projectDir, title: `${tag} alpha` })
        const second = yield* client.createSession({ directory: `${info.root}`, title: `${tag} beta` })
        yield* client.prompt(first.id, { parts: [{ type: "text", text: "Reply with ONLY A." }], agent: "proof" })

        const byTitle = parsed(yield* ocmInSandbox(["chat", `${tag} ALPHA`, "Reply with ONLY BY-TITLE.", "--json"]))
        assert.strictEqual(byTitle.sessionID, first.id)
        // two match by title; the one in the current directory (the project) wins
        const here = parsed(yield* ocmInSandbox(["chat", tag, "Reply with ONLY HERE.", "--json"]))
        assert.strictEqual(here.sessionID, first.id)
        const third = yield* client.createSession({ directory: info.projectDir, title: `${tag} gamma` })
        const ambiguous = yield* ocmInSandbox(["chat", tag, "Reply with ONLY NO."])
        failsWith(ambiguous, 6, "AmbiguousSession")
        assert.include(ambiguous.stderr, first.id)
        assert.include(ambiguous.stderr, third.id)

        const missing = yield* ocmInSandbox(["chat", "ses_doesnotexist000000000000", "Reply with ONLY NO."])
        failsWith(missing, 5, "SessionNotFound")
        const missingTitle = yield* ocmInSandbox(["delete", `no-such-title-${tag}`])
        failsWith(missingTitle, 5, "SessionNotFound")

        for (const [command, session] of [["delete", second], ["rm", third]] as const) {
          const run = yield* ocmInSandbox([command, session.id, "--json"])
          assert.strictEqual(run.code, 0, run.stderr)
          assert.isTrue((JSON.parse(run.stdout) as { deleted: boolean }).deleted)
          const gone = yield* Effect.either(client.getSession(session.id))
          assert.isTrue(Either.isLeft(gone) && gone.left._tag === "SessionNotFound")
        }
      }), 180_000)

    it.effect("transcripts: ocm transcript of a live session, and --transcript on one-shot and final (read before deletion)", () =>
      Effect.gen(function* () {
        const client = yield* OpenCodeClient
        const session = yield* begin()
        const marker = `TRANSCRIPT-SYSTEM-${session.sessionID}`
        yield* ocmInSandbox(["chat", session.sessionID, marker, "--system", "--no-reply"])
        const markdown = yield* ocmInSandbox(["transcript", session.sessionID])
        assert.strictEqual(markdown.code, 0, markdown.stderr)
        assert.include(markdown.stdout, session.sessionID)
        assert.include(markdown.stdout, marker)
        assert.include(markdown.stdout, "READY")
        const json = yield* ocmInSandbox(["transcript", session.sessionID, "--json"])
        assert.strictEqual(json.code, 0, json.stderr)
        assert.isObject(JSON.parse(json.stdout))

        const oneShot = yield* ocmInSandbox(["one-shot", "Reply with ONLY SHOT-TRANSCRIPT.", "--agent", "proof", "--transcript"])
        assert.strictEqual(oneShot.code, 0, oneShot.stderr)
        assert.include(oneShot.stdout, "SHOT-TRANSCRIPT")
        assert.include(oneShot.stdout, "Reply with ONLY SHOT-TRANSCRIPT.", "the transcript, not just the reply")

        const finalRun = yield* ocmInSandbox(["final", session.sessionID, "Reply with ONLY LAST-WORDS.", "--transcript", "--json"])
        assert.strictEqual(finalRun.code, 0, finalRun.stderr)
        const document = JSON.parse(finalRun.stdout) as { reply: string; deleted: boolean; transcript: unknown }
        assert.strictEqual(document.reply, "LAST-WORDS")
        assert.isTrue(document.deleted)
        assert.include(JSON.stringify(document.transcript), "LAST-WORDS")
        assert.include(JSON.stringify(document.transcript), marker)
        const gone = yield* Effect.either(client.getSession(session.sessionID))
        assert.isTrue(Either.isLeft(gone) && gone.left._tag === "SessionNotFound")
      }))

    it.effect("doctor through the binary: 0 with every check passing, 15 with the report as the one JSON document", () =>
      Effect.gen(function* () {
        const ok = yield* ocmInSandbox(["doctor", "--json"])
        assert.strictEqual(ok.code, 0, ok.stderr)
        const report = JSON.parse(ok.stdout) as { checks: Array<{ name: string; status: string }> }
        assert.isTrue(report.checks.length >= 5 && report.checks.every((check) => check.status === "pass"), ok.stdout)
        const failing = yield* ocmInSandbox(["doctor", "--json", "--url", "http://127.0.0.1:9"])
        assert.strictEqual(failing.code, 15, failing.stderr)
        const failed = JSON.parse(failing.stdout) as { checks: Array<{ status: string }> }
        assert.isTrue(failed.checks.some((check) => check.status === "fail"))
        assert.lengthOf(failing.stderr.trim().split("\n").filter((line) => line.startsWith("ocm: ")), 1)
      }))

    it.effect("bad input exits 2 before any request: the server and the scripted model saw nothing", () =>
      Effect.gen(function* () {
        const client = yield* OpenCodeClient
        const sandbox = yield* Sandbox
        const session = yield* begin()
        const requestsBefore = (yield* sandbox.modelRequests).length
        const sessionsBefore = (yield* client.listSessions({ limit: 10_000 })).length
        const messagesBefore = (yield* client.messages(session.sessionID)).length
        for (const args of [
          ["chat", session.sessionID, "Reply with ONLY X.", "--model", "no-slash"],
          ["chat", session.sessionID, "   "],
          ["chat", session.sessionID, "Reply with ONLY X.", "--timeout", "-1"],
          ["chat", session.sessionID, "Reply with ONLY X.", "--timeout", "soon"],
          ["one-shot", "Reply with ONLY X.", "--model", "/model"],
          ["one-shot", ""],
          ["begin-session", "Reply with ONLY X.", "--agent", ""],
          ["chat", session.sessionID]
        ]) {
          const run = yield* ocmInSandbox(args)
          assert.strictEqual(run.code, 2, `ocm ${args.join(" ")}: ${run.stderr}`)
        }
        assert.strictEqual((yield* sandbox.modelRequests).length, requestsBefore)
        assert.strictEqual((yield* client.listSessions({ limit: 10_000 })).length, sessionsBefore)
        assert.strictEqual((yield* client.messages(session.sessionID)).length, messagesBefore)
      }))
  })
})
