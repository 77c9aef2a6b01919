/**
 * Faults in front of the client, bounded (issue #7): a port that accepts TCP and never answers, a web server that
 * is not OpenCode, a relay that breaks one kind of call, a counting relay in front of a real sandbox. These are
 * faults injected between ocm and the server, not stand-ins for OpenCode; the turn itself runs on the real sandbox.
 */
import { assert, describe, layer } from "@effect/vitest"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import { mkdtempSync, rmSync } from "node:fs"
import { createServer as createHttpServer } from "node:http"
import { createConnection, createServer } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { PlatformLayer, SandboxClientLayer } from "../layers/TestLayers.js"
import { runTurn } from "../src/engine/TurnEngine.js"
import { OpenCodeClient } from "../services/OpenCodeClient.js"
import { Sandbox } from "../services/Sandbox.js"
import { listening } from "./support/sockets.js"
import { cleanEnvironment, ocmInSandbox, runOcm } from "./support/cli.js"

/** Accepts every connection and never writes a byte. */
const silentServer = listening(() => createServer(() => {}))

/** A plain web server (as `python3 -m http.server`): an HTML 404 for /global/*, an HTML 501 for the rest. */
const htmlServer = listening(() =>
  createHttpServer((request, response) => {
    const status = request.url?.startsWith("/global/") ? 404 : 501
    response.writeHead(status, { "content-type": "text/html;charset=utf-8" })
    response.end(`<!DOCTYPE HTML>\n<html><head><title>Error response</title></head>\n<body><h1>Error ${status}</h1></body></html>\n`)
  })
)

/** A relay to `port` that counts connections and requests, and resets a connection that carries `breaks`. */
const relay = (port: number, breaks?: RegExp) =>
  Effect.gen(function* () {
    const counts = { connections: 0, requests: 0, lines: [] as Array<string> }
    const relayed = yield* listening((sockets) =>
      createServer((client) => {
        counts.connections++
        const upstream = createConnection({ port, host: "127.0.0.1" })
        sockets.add(upstream)
        upstream.on("close", () => sockets.delete(upstream))
        upstream.on("error", () => client.destroy())
        client.on("error", () => upstream.destroy())
        client.on("data", (chunk: Buffer) => {
          const text = chunk.toString("latin1")
          const lines = text.match(/^(GET|POST|PATCH|DELETE|PUT) \/\S*/gm) ?? []
          counts.requests += lines.length
          counts.lines.push(...lines)
          if (breaks !== undefined && breaks.test(text)) {
            upstream.destroy()
            client.resetAndDestroy()
            return
          }
          upstream.write(chunk)
        })
        upstream.pipe(client)
      })
    )
    return { url: relayed.url, counts }
  })

/** An empty config and state home, so nothing but the given URL can choose a server. */
const isolated = Effect.acquireRelease(
  Effect.sync(() => mkdtempSync(join(tmpdir(), "ocm-transport-"))),
  (dir) => Effect.sync(() => rmSync(dir, { recursive: true, force: true }))
)

const ocmAt = (args: ReadonlyArray<string>) =>
  Effect.gen(function* () {
    const home = yield* isolated
    const started = Date.now()
    const result = yield* runOcm(args, cleanEnvironment({ XDG_CONFIG_HOME: `${home}/config`, XDG_STATE_HOME: `${home}/state` }), home)
    return { ...result, seconds: (Date.now() - started) / 1000 }
  })

describe("faults in front of the client", () => {
  layer(PlatformLayer, { excludeTestServices: true })((it) => {
    describe("a port that accepts connections but never answers", () => {
      // ends within --timeout plus node's start-up, which is seconds on a loaded machine: generous upper bounds
      it.effect(
        "status --timeout 2 gives up with exit 124, naming the call that went unanswered",
        () =>
          Effect.gen(function* () {
            const { url } = yield* silentServer
            const run = yield* ocmAt(["status", "--url", url, "--timeout", "2"])
            assert.strictEqual(run.code, 124, run.stderr)
            assert.match(run.stderr, /^ocm: timed out after 2s waiting for an answer from http:\/\/127\.0\.0\.1:\d+ to GET \/session/)
            assert.isBelow(run.seconds, 12)
          }).pipe(Effect.scoped),
        60_000
      )

      it.effect(
        "chat NAME --timeout 2 is bounded with the name's resolution included",
        () =>
          Effect.gen(function* () {
            const { url } = yield* silentServer
            const run = yield* ocmAt(["chat", "somesession", "hello", "--url", url, "--timeout", "2"])
            assert.strictEqual(run.code, 124, run.stderr)
            assert.include(run.stderr, "to GET /experimental/session")
            assert.isBelow(run.seconds, 12)
          }).pipe(Effect.scoped),
        60_000
      )

      it.effect(
        "without --timeout, list reports the server unreachable (exit 3) after 9 s of silence",
        () =>
          Effect.gen(function* () {
            const { url } = yield* silentServer
            const run = yield* ocmAt(["list", "--url", url])
            assert.strictEqual(run.code, 3, run.stderr)
            assert.match(run.stderr, /^ocm: OpenCode server at http:\/\/127\.0\.0\.1:\d+ is unreachable: no answer to GET \/session within 9s/)
            assert.isAtLeast(run.seconds, 9)
            assert.isBelow(run.seconds, 20)
          }).pipe(Effect.scoped),
        60_000
      )

      it.effect(
        "an unanswered lookup of a session id is reported, not taken for 'not found' and followed by a listing",
        () =>
          Effect.gen(function* () {
            const { url } = yield* silentServer
            const run = yield* ocmAt(["chat", "ses_doesnotexist0000000000000", "hello", "--url", url])
            assert.strictEqual(run.code, 3, run.stderr)
            assert.include(run.stderr, "no answer to GET /session/ses_doesnotexist0000000000000 within 9s")
            assert.isBelow(run.seconds, 20)
          }).pipe(Effect.scoped),
        60_000
      )
    })

    describe("a web server that is not OpenCode", () => {
      it.effect(
        "an HTML 404 or 501 is exit 3, 'not an OpenCode API at this URL', with no HTML in the line",
        () =>
          Effect.gen(function* () {
            const { url } = yield* htmlServer
            for (const [args, status] of [
              [["ping", "--url", url], 404],
              [["list", "--url", url], 501],
              [["get", "ses_doesnotexist0000000000000", "--url", url, "--json"], 501]
            ] as const) {
              const run = yield* ocmAt(args)
              assert.strictEqual(run.code, 3, `${args.join(" ")}: ${run.stderr}`)
              assert.include(run.stderr, "not an OpenCode API at this URL")
              assert.include(run.stderr, `answered ${status} text/html`)
              assert.notInclude(run.stderr, "<")
              assert.strictEqual(run.stderr.trim().split("\n").length, 1)
            }
          }).pipe(Effect.scoped),
        60_000
      )
    })

    describe("URLs in messages", () => {
      it.effect(
        "a query string's values never appear in an error",
        () =>
          Effect.gen(function* () {
            const { url } = yield* silentServer
            const refused = yield* ocmAt(["ping", "--url", "http://127.0.0.1:1/?token=SECRET"])
            assert.strictEqual(refused.code, 3)
            assert.include(refused.stderr, "http://127.0.0.1:1/?token=***")
            const timedOut = yield* ocmAt(["ping", "--url", `${url}/?token=SECRET&user=me`, "--timeout", "1", "--json"])
            assert.strictEqual(timedOut.code, 124)
            assert.include(timedOut.stderr, "?token=***&user=***")
            const doctor = yield* ocmAt(["doctor", "--url", "http://127.0.0.1:1/?token=SECRET", "--json"])
            for (const run of [refused, timedOut, doctor]) {
              assert.notInclude(run.stderr + run.stdout, "SECRET")
              assert.notInclude(run.stderr + run.stdout, "user=me")
            }
          }).pipe(Effect.scoped),
        60_000
      )
    })
  })
})

describe("against a real sandbox", () => {
  layer(SandboxClientLayer(), { timeout: 300_000, excludeTestServices: true })((it) => {
    it.effect(
      "a query in the base URL is sent with every call and shown redacted",
      () =>
        Effect.gen(function* () {
          const { info } = yield* Sandbox
          const run = yield* ocmInSandbox(["ping", "--url", `${info.url}/?token=SECRET`])
          assert.strictEqual(run.code, 0, run.stderr)
          assert.include(run.stdout, `ok: opencode 1.18.33 at ${info.url}/?token=*** (--url)`)
          assert.notInclude(run.stdout + run.stderr, "SECRET")
        }),
      60_000
    )

    it.effect(
      "a transport failure of the id lookup is exit 3, never a fall-through to the listing",
      () =>
        Effect.gen(function* () {
          const { info } = yield* Sandbox
          const client = yield* OpenCodeClient
          const session = yield* client.createSession({ directory: info.projectDir, title: "lookup breaks" })
          // the lookup by id breaks; the listing would still find the session by its id
          const broken = yield* relay(info.port, /^GET \/session\/ses_/m)
          const run = yield* ocmInSandbox(["get", session.id, "--url", broken.url])
          assert.strictEqual(run.code, 3, run.stderr)
          assert.match(run.stderr, /unreachable: .*(ECONNRESET|socket hang up)/)
          const lookups = broken.counts.lines.filter((line) => line.startsWith("GET /session/ses_"))
          assert.strictEqual(lookups.length, 3, `the lookup and its two retries: ${broken.counts.lines.join(", ")}`)
          assert.isFalse(broken.counts.lines.some((line) => /^GET \/(experimental\/)?session\?/.test(line)), "no listing")
        }).pipe(Effect.scoped),
      60_000
    )

    it.effect(
      "a command's calls share kept-alive connections",
      () =>
        Effect.gen(function* () {
          const { info } = yield* Sandbox
          const client = yield* OpenCodeClient
          const sessions = yield* Effect.forEach([1, 2, 3, 4, 5], (i) =>
            client.createSession({ directory: info.projectDir, title: `idle ${i}` })
          )
          const counting = yield* relay(info.port)
          const run = yield* ocmInSandbox(["wait-all", ...sessions.map((s) => s.id), "--url", counting.url, "--timeout", "30"])
          assert.strictEqual(run.code, 0, run.stderr)
          assert.isAtLeast(counting.counts.requests, 15, "the wait made many calls")
          // the event stream holds one connection; the calls share one or two more (a health probe, under load)
          assert.isAtMost(counting.counts.connections, 5, JSON.stringify(counting.counts))
        }).pipe(Effect.scoped),
      60_000
    )
    it.effect(
      "a timeout shorter than recording is a timeout (WaitTimeout), and the prompt is recorded all the same",
      () =>
        Effect.gen(function* () {
          const { info } = yield* Sandbox
          const client = yield* OpenCodeClient
          const session = yield* client.createSession({ directory: info.projectDir, title: "short timeout" })
          const text = `Reply with ONLY RECORDED-${Date.now()}.`
          const turn = yield* Effect.either(
            runTurn({
              sessionID: session.id,
              directory: session.directory,
              text,
              noReply: false,
              flags: { agent: "proof" },
              timeout: Duration.millis(1),
              abortOnTimeout: false
            })
          )
          assert.isTrue(Either.isLeft(turn) && turn.left._tag === "WaitTimeout", JSON.stringify(turn))
          if (Either.isLeft(turn) && turn.left._tag === "WaitTimeout") assert.include(turn.left.message, "to be recorded")
          const hasIt = client.messages(session.id).pipe(
            Effect.map((messages) =>
              messages.some((m) => m.info.role === "user" && m.parts.some((part) => part.type === "text" && part.text === text))
            )
          )
          // the server may be slow to store it: its first prompt after start loads the provider
          let recorded = false
          for (let look = 0; look < 120 && !recorded; look++) {
            recorded = yield* hasIt
            if (!recorded) yield* Effect.sleep("500 millis")
          }
          assert.isTrue(recorded)

          // the CLI: a --timeout that runs out is exit 124, never 10
          const cli = yield* ocmInSandbox(["chat", session.id, "Reply with ONLY X.", "--timeout", "0.05"])
          assert.strictEqual(cli.code, 124, cli.stderr)
          assert.include(cli.stderr, "timed out after 0.05s")
        }),
      120_000
    )

  })
})
