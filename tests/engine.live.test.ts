/** The turn engine's harder paths, against a real sandbox through the library. */
import * as HttpBody from "@effect/platform/HttpBody"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import { assert, describe, layer } from "@effect/vitest"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Stream from "effect/Stream"
import { SandboxClientLayer } from "../layers/TestLayers.js"
import { runTurn, type TurnInput } from "../src/engine/TurnEngine.js"
import { OpenCodeClient } from "../services/OpenCodeClient.js"
import { Sandbox } from "../services/Sandbox.js"
import { untilBusy } from "./support/events.js"

const turnIn = (session: { id: string; directory: string }, text: string, extra: Partial<TurnInput> = {}): TurnInput => ({
  sessionID: session.id,
  directory: session.directory,
  text,
  noReply: false,
  flags: { agent: "proof" },
  timeout: Duration.seconds(60),
  abortOnTimeout: false,
  ...extra
})

describe("the turn engine against a real sandbox", () => {
  layer(SandboxClientLayer(), { timeout: 300_000, excludeTestServices: true })((it) => {
    it.effect("without events (the stream ends at once) it proves the turn by read-back and status polling", () =>
      Effect.gen(function* () {
        const client = yield* OpenCodeClient
        const { info } = yield* Sandbox
        const session = yield* client.createSession({ directory: info.projectDir, title: "no events" })
        // the same real server, but a subscription whose stream ends right after it is confirmed
        const blind = {
          ...client,
          subscribe: Effect.map(client.subscribe, (subscription) => ({
            ...subscription,
            events: Stream.take(subscription.events, 0)
          }))
        }
        const result = yield* runTurn(turnIn(session, "Reply with ONLY POLLED.")).pipe(
          Effect.provideService(OpenCodeClient, blind)
        )
        assert.strictEqual(result.reply, "POLLED")
        assert.strictEqual(result.proof.recordedBy, "read-back")
        assert.strictEqual(result.proof.completedBy, "status poll")
        const messages = yield* client.messages(session.id)
        const reply = messages.find((m) => m.info.id === result.proof.assistantMessageIDs[0])
        assert.strictEqual(reply?.info.role === "assistant" ? reply.info.parentID : undefined, result.proof.userMessageID)
      }))

    it.effect("a prompt sent while another turn runs is queued by the server and still proved as its own turn", () =>
      Effect.gen(function* () {
        const client = yield* OpenCodeClient
        const { info } = yield* Sandbox
        const session = yield* client.createSession({ directory: info.projectDir, title: "busy" })
        const subscription = yield* client.subscribe
        yield* client.promptAsync(session.id, { parts: [{ type: "text", text: "[[slow 2]] Reply with ONLY FIRST." }], agent: "proof" })
        yield* untilBusy(subscription, session.id)
        const queued = yield* Effect.fork(runTurn(turnIn(session, "Reply with ONLY SECOND.")))
        const result = yield* Fiber.join(queued)
        assert.strictEqual(result.reply, "SECOND")
        // either witness of busy→idle is the protocol's; under load the safety poll may see the idle first
        assert.oneOf(result.proof.completedBy, ["session.idle event", "status poll"])
        const messages = yield* client.messages(session.id)
        const firstReply = messages.filter((m) => m.info.role === "assistant" && m.info.id !== result.proof.assistantMessageIDs[0])
        assert.isAtLeast(firstReply.length, 1, "the running turn finished too")
        const status = yield* client.sessionStatus({ directory: session.directory })
        assert.isUndefined(status[session.id])
      }).pipe(Effect.scoped))

    it.effect("a turn with tool calls is done only when its last assistant message is, and carries every step", () =>
      Effect.gen(function* () {
        const client = yield* OpenCodeClient
        const { info } = yield* Sandbox
        const session = yield* client.createSession({ directory: info.projectDir, title: "tools" })
        const result = yield* runTurn(
          turnIn(session, '[[tool bash {"command": "echo from-tool", "description": "echo"}]] Reply with ONLY TOOLS-DONE.', {
            flags: { agent: "build" }
          })
        )
        assert.strictEqual(result.reply, "TOOLS-DONE")
        assert.strictEqual(result.proof.assistantMessageIDs.length, 2, "a tool step, then the answer")
        const messages = yield* client.messages(session.id)
        const tool = messages
          .flatMap((m) => m.parts)
          .find((part) => part.type === "tool" && part.messageID === result.proof.assistantMessageIDs[0])
        assert.strictEqual((tool?.state as { status?: string } | undefined)?.status, "completed")
        assert.include(String((tool?.state as { output?: unknown } | undefined)?.output), "from-tool")
      }))
    it.effect("a turn stopped by a rejected permission (finish tool-calls, no error) is done, not failed", () =>
      Effect.gen(function* () {
        const client = yield* OpenCodeClient
        const { info } = yield* Sandbox
        const session = yield* client.createSession({ directory: info.projectDir, title: "permission" })
        const subscription = yield* client.subscribe
        const turn = yield* Effect.fork(
          runTurn(
            turnIn(session, '[[tool bash {"command": "echo never-runs", "description": "asked"}]] Reply with ONLY NEVER.', {
              flags: { agent: "asker" }
            })
          )
        )
        const asked = yield* subscription.events.pipe(
          Stream.filter((e) => e.payload.type === "permission.asked" && e.payload.properties.sessionID === session.id),
          Stream.runHead,
          Effect.timeout("20 seconds")
        )
        const permissionID =
          asked._tag === "Some" && asked.value.payload.type === "permission.asked" ? asked.value.payload.properties.id : ""
        assert.match(permissionID, /^per/)
        const http = yield* HttpClient.HttpClient
        const reply = yield* http.execute(
          HttpClientRequest.post(`${info.url}/permission/${permissionID}/reply`, {
            urlParams: { directory: session.directory },
            body: HttpBody.unsafeJson({ reply: "reject" })
          })
        )
        assert.strictEqual(reply.status, 200)
        const result = yield* Fiber.join(turn)
        assert.strictEqual(result.mode, "turn")
        const final = result.assistant?.info
        assert.strictEqual(final?.role === "assistant" ? final.finish : undefined, "tool-calls")
        assert.isUndefined(final?.role === "assistant" ? final.error : "n/a")
      }).pipe(Effect.scoped))
  })
})
