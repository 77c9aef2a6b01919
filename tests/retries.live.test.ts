/**
 * Retries only for idempotent reads: a TCP relay in front of a real sandbox resets the first connections it gets
 * (a transport fault, not a stand-in for OpenCode), then relays the rest to the server untouched.
 */
import { assert, describe, layer } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import { createConnection, createServer, type Server, type Socket } from "node:net"
import * as OpenCodeClientLive from "../layers/OpenCodeClientLive.js"
import { SandboxClientLayer } from "../layers/TestLayers.js"
import { Sandbox } from "../services/Sandbox.js"

/** A relay to `port` that resets its first `failures` connections; `accepted()` counts every connection. */
const faultyRelay = (port: number, failures: number) =>
  Effect.acquireRelease(
    Effect.async<{ url: string; accepted: () => number; server: Server }>((resume) => {
      let accepted = 0
      const sockets = new Set<Socket>()
      const server = createServer((client) => {
        sockets.add(client)
        client.on("close", () => sockets.delete(client))
        accepted++
        if (accepted <= failures) return client.resetAndDestroy()
        const upstream = createConnection({ port, host: "127.0.0.1" })
        sockets.add(upstream)
        upstream.on("close", () => sockets.delete(upstream))
        client.pipe(upstream).pipe(client)
        client.on("error", () => upstream.destroy())
        upstream.on("error", () => client.destroy())
      })
      server.listen(0, "127.0.0.1", () => {
        const address = server.address()
        const relayPort = typeof address === "object" && address !== null ? address.port : 0
        ;(server as Server & { sockets?: Set<Socket> }).sockets = sockets
        resume(Effect.succeed({ url: `http://127.0.0.1:${relayPort}`, accepted: () => accepted, server }))
      })
    }),
    ({ server }) =>
      Effect.async<void>((resume) => {
        for (const socket of (server as Server & { sockets?: Set<Socket> }).sockets ?? []) socket.destroy()
        server.close(() => resume(Effect.void))
      })
  )

describe("retries against a real sandbox behind a faulty relay", () => {
  layer(SandboxClientLayer(), { timeout: 300_000, excludeTestServices: true })((it) => {
    const clientAt = (url: string) =>
      OpenCodeClientLive.makeOpenCodeClient({ url, rule: "--url", username: "opencode", password: undefined })

    it.effect("a read (GET) survives reset connections by retrying", () =>
      Effect.gen(function* () {
        const { info } = yield* Sandbox
        const relay = yield* faultyRelay(info.port, 2)
        const client = yield* clientAt(relay.url)
        const health = yield* client.health
        assert.strictEqual(health.version, "1.18.33")
        assert.isAtLeast(relay.accepted(), 3, "two reset connections, then the one that answered")
      }).pipe(Effect.scoped))

    it.effect("a write (POST) is never repeated: one reset connection is a ServerUnreachable, and nothing was created", () =>
      Effect.gen(function* () {
        const { info } = yield* Sandbox
        const relay = yield* faultyRelay(info.port, 1)
        const client = yield* clientAt(relay.url)
        const title = `never-created-${Date.now()}`
        const created = yield* Effect.either(client.createSession({ directory: info.projectDir, title }))
        assert.isTrue(Either.isLeft(created) && created.left._tag === "ServerUnreachable")
        assert.strictEqual(relay.accepted(), 1, "the POST was sent once")
        const direct = yield* clientAt(info.url)
        const sessions = yield* direct.listSessions({ directory: info.projectDir, limit: 10_000 })
        assert.isFalse(sessions.some((session) => session.title === title))
      }).pipe(Effect.scoped))
  })
})
