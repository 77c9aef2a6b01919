import * as FileSystem from "@effect/platform/FileSystem"
import * as HttpClient from "@effect/platform/HttpClient"
import { assert, describe, layer } from "@effect/vitest"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Stream from "effect/Stream"
import * as TestContext from "effect/TestContext"
import * as OpenCodeClientLive from "../layers/OpenCodeClientLive.js"
import { SandboxClientLayer } from "../layers/TestLayers.js"
import { eventSessionID, type MessageWithParts, type OpenCodeEvent } from "../src/domain/Domain.js"
import { nextMessageId } from "../src/domain/MessageId.js"
import { OpenCodeClient } from "../services/OpenCodeClient.js"
import { Sandbox } from "../services/Sandbox.js"
import { untilBusy } from "./support/events.js"

const text = (prompt: string) => [{ type: "text" as const, text: prompt }]

const userIds = (messages: ReadonlyArray<MessageWithParts>) =>
  messages.filter((m) => m.info.role === "user").map((m) => m.info.id)

const replyOf = (messages: ReadonlyArray<MessageWithParts>, parentID: string) =>
  messages.filter((m) => m.info.role === "assistant" && m.info.parentID === parentID)

/** Events of one session, from a subscription made before `send`, up to and including its session.idle. */
const eventsOfTurn = <E, R>(sessionID: string, send: Effect.Effect<unknown, E, R>) =>
  Effect.scoped(
    Effect.gen(function* () {
      const client = yield* OpenCodeClient
      const subscription = yield* client.subscribe
      yield* send
      const events = yield* subscription.events.pipe(
        Stream.filter((event) => sessionOf(event) === sessionID),
        Stream.takeUntil((event) => event.payload.type === "session.idle"),
        Stream.runCollect,
        Effect.timeout("30 seconds")
      )
      return Chunk.toReadonlyArray(events)
    })
  )

const sessionOf = (event: OpenCodeEvent) => eventSessionID(event.payload)

describe("OpenCodeClient against a real sandbox", () => {
  layer(SandboxClientLayer(), { timeout: 300_000, excludeTestServices: true })((it) => {
    it.effect("answers health with the pinned server version and lists its endpoints in /doc", () =>
      Effect.gen(function* () {
        const client = yield* OpenCodeClient
        const health = yield* client.health
        assert.isTrue(health.healthy)
        assert.strictEqual(health.version, "1.18.33")
        const doc = yield* client.openApi
        for (const path of ["/session", "/session/{sessionID}/message", "/session/{sessionID}/prompt_async", "/global/event"]) {
          assert.property(doc.paths, path)
        }
        const agents = yield* client.agents()
        assert.includeMembers(
          agents.map((agent) => agent.name),
          ["proof", "asker", "build"]
        )
        const providers = yield* client.providers()
        assert.isTrue(providers.providers.some((provider) => provider.id === "scripted"))
      }))

    it.effect("creates, lists, gets, renames and deletes a session; afterwards it reads 404", () =>
      Effect.gen(function* () {
        const client = yield* OpenCodeClient
        const { info } = yield* Sandbox
        const created = yield* client.createSession({ directory: info.projectDir, title: "crud probe" })
        assert.match(created.id, /^ses_/)
        assert.strictEqual(created.directory, info.projectDir)
        const listed = yield* client.listSessions({ directory: info.projectDir, roots: true, limit: 500 })
        assert.isTrue(listed.some((session) => session.id === created.id))
        const renamed = yield* client.updateSession(created.id, { title: "renamed probe" })
        assert.strictEqual(renamed.title, "renamed probe")
        assert.strictEqual((yield* client.getSession(created.id)).title, "renamed probe")
        assert.isTrue(yield* client.deleteSession(created.id))
        const after = yield* Effect.either(client.getSession(created.id))
        assert.isTrue(Either.isLeft(after) && after.left._tag === "SessionNotFound")
        const deleteAgain = yield* Effect.either(client.deleteSession(created.id))
        assert.isTrue(Either.isLeft(deleteAgain) && deleteAgain.left._tag === "SessionNotFound")
      }))

    it.effect("a client-made message id lands last in GET /message and is the parentID of the reply", () =>
      Effect.gen(function* () {
        const client = yield* OpenCodeClient
        const { info } = yield* Sandbox
        const session = yield* client.createSession({ directory: info.projectDir })
        // a first turn with a server-made id, so ours must sort after the server's own ids
        const first = yield* client.prompt(session.id, { parts: text("Reply with ONLY FIRST."), agent: "proof" })
        assert.strictEqual(first.info.role, "assistant")
        const before = yield* client.messages(session.id)
        const ours = nextMessageId(Date.now(), before.map((m) => m.info.id))
        const reply = yield* client.prompt(session.id, {
          messageID: ours,
          parts: text("Reply with ONLY SECOND."),
          agent: "proof"
        })
        assert.strictEqual(reply.info.role === "assistant" ? reply.info.parentID : undefined, ours)
        const after = yield* client.messages(session.id)
        const users = userIds(after)
        assert.strictEqual(users[users.length - 1], ours)
        assert.isTrue(before.every((m) => m.info.id < ours), "our id sorts after every id the server made")
        const replies = replyOf(after, ours)
        assert.strictEqual(replies.length, 1)
        const fetched = yield* client.message(session.id, ours)
        assert.strictEqual(fetched.info.id, ours)
        assert.strictEqual(fetched.info.role, "user")
        assert.deepStrictEqual(fetched.parts.filter((p) => p.type === "text").map((p) => p.text), ["Reply with ONLY SECOND."])
        const replyText = replies[0]!.parts.filter((p) => p.type === "text").map((p) => p.text).join("")
        assert.strictEqual(replyText, "SECOND")
        assert.deepStrictEqual(
          after.map((m) => m.info.id),
          [...after.map((m) => m.info.id)].sort(),
          "GET /message lists in id order"
        )
      }))

    it.effect("a warm turn's events: busy, our user message and its assistant, then one idle status and session.idle last", () =>
      Effect.gen(function* () {
        const client = yield* OpenCodeClient
        const { info } = yield* Sandbox
        const session = yield* client.createSession({ directory: info.projectDir, title: "events probe" })
        yield* client.prompt(session.id, { parts: text("Reply with ONLY WARM."), agent: "proof" })
        const messageID = nextMessageId(Date.now(), userIds(yield* client.messages(session.id)))
        const events = yield* eventsOfTurn(
          session.id,
          client.promptAsync(session.id, { messageID, parts: text("Reply with ONLY EVENTS."), agent: "proof" })
        )
        const indexOf = (predicate: (event: OpenCodeEvent) => boolean) => events.findIndex(predicate)
        const userRecorded = indexOf(
          (e) => e.payload.type === "message.updated" && e.payload.properties.info.id === messageID
        )
        const busy = indexOf((e) => e.payload.type === "session.status" && e.payload.properties.status.type === "busy")
        const assistant = indexOf(
          (e) =>
            e.payload.type === "message.updated" &&
            e.payload.properties.info.role === "assistant" &&
            e.payload.properties.info.parentID === messageID
        )
        const idleStatus = indexOf(
          (e) => e.payload.type === "session.status" && e.payload.properties.status.type === "idle"
        )
        const idle = indexOf((e) => e.payload.type === "session.idle")
        const trace = events
          .map((e) =>
            e.payload.type === "session.status"
              ? `status:${e.payload.properties.status.type}`
              : e.payload.type === "message.updated"
                ? `${e.payload.type}(${e.payload.properties.info.role}${e.payload.properties.info.id === messageID ? ",ours" : ""})`
                : e.payload.type
          )
          .join(" → ")
        // measured on 1.18.33: busy and our user message come in either order, busy repeats during the turn,
        // the assistant message's first event can come before our user message's; idle comes once, at the end
        assert.isAtLeast(busy, 0, trace)
        assert.isAtLeast(userRecorded, 0, trace)
        assert.isAbove(assistant, busy, trace)
        assert.isAbove(idleStatus, Math.max(userRecorded, assistant), trace)
        assert.strictEqual(
          events.filter((e) => e.payload.type === "session.status" && e.payload.properties.status.type === "idle").length,
          1,
          trace
        )
        assert.strictEqual(idle, events.length - 1, trace)
        assert.isAbove(idle, idleStatus, trace)
        assert.isTrue(events.every((e) => e.directory === info.projectDir), "events carry their directory")
      }))

    it.effect("status is per directory: a busy session shows only under its own directory", () =>
      Effect.gen(function* () {
        const client = yield* OpenCodeClient
        const { info } = yield* Sandbox
        const fs = yield* FileSystem.FileSystem
        const otherDir = `${info.root}/other-project`
        yield* fs.makeDirectory(otherDir, { recursive: true })
        const session = yield* client.createSession({ directory: otherDir, title: "status probe" })
        assert.strictEqual(session.directory, otherDir)
        yield* Effect.scoped(
          Effect.gen(function* () {
            const subscription = yield* client.subscribe
            yield* client.promptAsync(
              session.id,
              { parts: text("[[slow 30]] Reply with ONLY LATE."), agent: "proof" },
              { directory: otherDir }
            )
            yield* untilBusy(subscription, session.id)
          })
        )
        const own = yield* client.sessionStatus({ directory: otherDir })
        const elsewhere = yield* client.sessionStatus({ directory: info.projectDir })
        assert.strictEqual(own[session.id]?.type, "busy")
        assert.isUndefined(elsewhere[session.id])
        yield* client.abort(session.id, { directory: otherDir })
      }))

    it.effect("abort ends a slow turn: the assistant message carries MessageAbortedError and the session goes idle", () =>
      Effect.gen(function* () {
        const client = yield* OpenCodeClient
        const { info } = yield* Sandbox
        const session = yield* client.createSession({ directory: info.projectDir, title: "abort probe" })
        const messageID = nextMessageId(Date.now(), [])
        const events = yield* Effect.scoped(
          Effect.gen(function* () {
            const subscription = yield* client.subscribe
            yield* client.promptAsync(session.id, {
              messageID,
              parts: text("[[slow 8]] Reply with ONLY NEVER-ENDING-REPLY-TEXT."),
              agent: "proof"
            })
            const mine = subscription.events.pipe(Stream.filter((event) => sessionOf(event) === session.id))
            // abort once the model is streaming text (a delta arrived), then read on until the session is idle
            const streaming = yield* mine.pipe(
              Stream.takeUntil((event) => event.payload.type === "message.part.delta"),
              Stream.runCollect,
              Effect.timeout("20 seconds")
            )
            assert.isTrue(Chunk.some(streaming, (e) => e.payload.type === "message.part.delta"))
            assert.isTrue(yield* client.abort(session.id))
            return yield* mine.pipe(
              Stream.takeUntil((event) => event.payload.type === "session.idle"),
              Stream.runCollect,
              Effect.timeout("20 seconds")
            )
          })
        )
        assert.isTrue(Chunk.some(events, (e) => e.payload.type === "session.idle"))
        const replies = replyOf(yield* client.messages(session.id), messageID)
        assert.strictEqual(replies.length, 1)
        const reply = replies[0]!.info
        assert.strictEqual(reply.role === "assistant" ? reply.error?.name : undefined, "MessageAbortedError")
        const status = yield* client.sessionStatus({ directory: info.projectDir })
        assert.isUndefined(status[session.id])
      }))

    it.effect("the scripted model's record shows the request that reached it, system prompt included", () =>
      Effect.gen(function* () {
        const client = yield* OpenCodeClient
        const sandbox = yield* Sandbox
        const session = yield* client.createSession({ directory: sandbox.info.projectDir, title: "record probe" })
        const marker = `SYSTEM-MARK-${session.id}`
        yield* client.prompt(session.id, { parts: text("Reply with ONLY RECORDED."), agent: "proof", system: marker })
        const requests = yield* sandbox.modelRequests
        const ours = requests.filter((r) => r.kind === "chat" && r.lastUserText.includes("Reply with ONLY RECORDED."))
        assert.strictEqual(ours.length, 1)
        assert.include(ours[0]!.system, marker)
        assert.strictEqual(ours[0]!.action, "reply")
      }))

    it.effect("maps failures to their tags: 404, server errors, non-JSON answers, refused connections", () =>
      Effect.gen(function* () {
        const client = yield* OpenCodeClient
        const { info } = yield* Sandbox
        const missing = yield* Effect.either(client.getSession("ses_doesnotexist0000000000000"))
        assert.isTrue(Either.isLeft(missing) && missing.left._tag === "SessionNotFound")
        const noReply = yield* Effect.either(client.prompt("ses_doesnotexist0000000000000", { parts: text("hi") }))
        assert.isTrue(Either.isLeft(noReply) && noReply.left._tag === "SessionNotFound")
        const malformed = yield* Effect.either(client.messages("not-a-session-id"))
        assert.isTrue(Either.isLeft(malformed) && malformed.left._tag === "ServerRejected")
        if (Either.isLeft(malformed) && malformed.left._tag === "ServerRejected") {
          assert.isAtLeast(malformed.left.status, 400)
        }

        const http = yield* HttpClient.HttpClient
        const make = (url: string, rule: "--url" | "default" | "sandbox" = "--url") =>
          OpenCodeClientLive.makeOpenCodeClient(
            { url, rule, username: "opencode", password: undefined },
            { requestTimeout: "2 seconds" }
          ).pipe(Effect.provideService(HttpClient.HttpClient, http))
        // an unknown route on this server answers 200 text/html: the web UI, not the API
        const webUi = yield* make(`${info.url}/not-the-api`)
        const html = yield* Effect.either(webUi.health)
        assert.isTrue(Either.isLeft(html) && html.left._tag === "ServerUnreachable")
        if (Either.isLeft(html)) assert.include(html.left.message, "not an OpenCode API")

        const closed = yield* make("http://127.0.0.1:9")
        const refused = yield* Effect.either(closed.health)
        assert.isTrue(Either.isLeft(refused) && refused.left._tag === "ServerUnreachable")
        if (Either.isLeft(refused)) {
          assert.strictEqual(refused.left.message, "OpenCode server at http://127.0.0.1:9 is unreachable: connect ECONNREFUSED 127.0.0.1:9")
        }
        // a URL nobody chose gets a hint on how to choose one; a URL from the sandbox's state file, where to look
        const unconfigured = yield* Effect.flip((yield* make("http://127.0.0.1:9", "default")).health)
        assert.include(unconfigured.message, "; no server was configured or found running (start `opencode serve`")
        const staleSandbox = yield* Effect.flip((yield* make("http://127.0.0.1:9", "sandbox")).health)
        assert.include(staleSandbox.message, "`ocm sandbox status`")
      }))

    it.effect("a call made where interruption is off (a finalizer's) returns with its answer", () =>
      Effect.gen(function* () {
        const client = yield* OpenCodeClient
        // under the test clock the client's silence timer never fires: the call returns only if that timer is
        // interrupted once the server has answered (before, a finalizer's call waited out the whole timer, 60 s)
        const health = yield* Effect.uninterruptible(client.health).pipe(Effect.provide(TestContext.TestContext))
        assert.isTrue(health.healthy)
      }))
  })
})
