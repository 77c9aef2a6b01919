/**
 * Traces of a real command: the built `ocm` runs a witnessed turn against a password-protected sandbox with the
 * OTEL_* variables pointing at a collector played by this test (node:http, OTLP over http/json), which must receive
 * the command's span tree and never the password; without the variables, or with them switched off, it receives
 * nothing.
 */
import { assert, describe, layer } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Http from "node:http"
import * as SandboxLive from "../layers/SandboxLive.js"
import { PlatformLayer } from "../layers/TestLayers.js"
import { ocmInSandbox, succeeded } from "./support/cli.js"

const password = "tracing horse battery staple"

interface Received {
  readonly method: string
  readonly path: string
  readonly contentType: string
  readonly body: string
}

/** A collector that answers every request with 200 `{}` and keeps what it was sent; closed with the scope. */
const collector = Effect.acquireRelease(
  Effect.async<{ readonly server: Http.Server; readonly endpoint: string; readonly received: Array<Received> }>((resume) => {
    const received: Array<Received> = []
    const server = Http.createServer((request, response) => {
      const chunks: Array<Buffer> = []
      request.on("data", (chunk: Buffer) => chunks.push(chunk))
      request.on("end", () => {
        received.push({
          method: request.method ?? "",
          path: request.url ?? "",
          contentType: request.headers["content-type"] ?? "",
          body: Buffer.concat(chunks).toString("utf8")
        })
        response.writeHead(200, { "content-type": "application/json" })
        response.end("{}")
      })
    })
    server.listen(0, "127.0.0.1", () => {
      const address = server.address()
      const port = typeof address === "object" && address !== null ? address.port : 0
      resume(Effect.succeed({ server, endpoint: `http://127.0.0.1:${port}`, received }))
    })
  }),
  ({ server }) =>
    Effect.async<void>((resume) => {
      server.closeAllConnections()
      server.close(() => resume(Effect.void))
    })
)

interface Attribute {
  readonly key: string
  readonly value: { readonly stringValue?: string; readonly intValue?: number | string; readonly boolValue?: boolean }
}
interface Span {
  readonly traceId: string
  readonly spanId: string
  readonly parentSpanId?: string
  readonly name: string
  readonly attributes: ReadonlyArray<Attribute>
  readonly status: { readonly code: number; readonly message?: string }
}
interface TracesData {
  readonly resourceSpans: ReadonlyArray<{
    readonly resource: { readonly attributes: ReadonlyArray<Attribute> }
    readonly scopeSpans: ReadonlyArray<{ readonly spans: ReadonlyArray<Span> }>
  }>
}

const attribute = (attributes: ReadonlyArray<Attribute>, key: string) => {
  const value = attributes.find((candidate) => candidate.key === key)?.value
  return value?.stringValue ?? value?.intValue ?? value?.boolValue
}

/** Every span posted, and the resources they came with. */
const spansOf = (received: ReadonlyArray<Received>) => {
  const data = received.map((request) => JSON.parse(request.body) as TracesData)
  const resources = data.flatMap((traces) => traces.resourceSpans.map((resourceSpans) => resourceSpans.resource))
  const spans = data.flatMap((traces) => traces.resourceSpans.flatMap((r) => r.scopeSpans.flatMap((scope) => scope.spans)))
  return { resources, spans }
}

/** The names of a span's ancestors, nearest first. */
const ancestry = (spans: ReadonlyArray<Span>, span: Span): ReadonlyArray<string> => {
  const byId = new Map(spans.map((candidate) => [candidate.spanId, candidate]))
  const names: Array<string> = []
  for (let parent = byId.get(span.parentSpanId ?? ""); parent !== undefined; parent = byId.get(parent.parentSpanId ?? "")) {
    names.push(parent.name)
  }
  return names
}

const turn = (prompt: string, env: Record<string, string>) =>
  ocmInSandbox(["one-shot", prompt, "--agent", "proof"], { env: { OPENCODE_SERVER_PASSWORD: password, ...env } })

describe("traces of a command, exported over OTLP", () => {
  layer(SandboxLive.layer({ password: Redacted.make(password) }).pipe(Layer.provideMerge(PlatformLayer)), {
    timeout: 300_000,
    excludeTestServices: true
  })((it) => {
    it.scoped("a witnessed turn is one span tree, from the command down to each HTTP call, without the password", () =>
      Effect.gen(function* () {
        const { endpoint, received } = yield* collector
        const run = yield* turn("Reply with ONLY TRACED.", {
          OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
          OTEL_EXPORTER_OTLP_PROTOCOL: "http/json",
          // a loaded machine must not lose the last export to the one-second default
          OTEL_EXPORTER_OTLP_TIMEOUT: "30000"
        })
        // stdout is exactly what it is without tracing
        assert.strictEqual(succeeded(run), "TRACED\n")
        assert.isAtLeast(received.length, 1, "the collector received nothing")
        for (const request of received) {
          assert.strictEqual(request.method, "POST")
          assert.strictEqual(request.path, "/v1/traces")
          assert.match(request.contentType, /^application\/json/)
        }
        const { resources, spans } = spansOf(received)
        for (const resource of resources) assert.strictEqual(attribute(resource.attributes, "service.name"), "ocm")

        const roots = spans.filter((span) => span.parentSpanId === undefined || span.parentSpanId === "")
        assert.deepStrictEqual(roots.map((span) => span.name), ["ocm one-shot"], JSON.stringify(spans.map((s) => s.name)))
        const root = roots[0]!
        assert.strictEqual(attribute(root.attributes, "process.exit.code"), 0)
        for (const span of spans) assert.strictEqual(span.traceId, root.traceId, `${span.name} is in another trace`)

        const target = spans.find((span) => span.name === "ServerTarget.resolveServerTarget")
        assert.isDefined(target)
        assert.deepStrictEqual(ancestry(spans, target!), ["ocm one-shot"])
        assert.strictEqual(attribute(target!.attributes, "ocm.server.rule"), "OPENCODE_BASE_URL")

        const turns = spans.filter((span) => span.name === "TurnEngine.runTurn")
        assert.strictEqual(turns.length, 1)
        const turnSpan = turns[0]!
        assert.include(ancestry(spans, turnSpan), "ocm one-shot")
        assert.match(String(attribute(turnSpan.attributes, "opencode.session.id")), /^ses_/)
        assert.match(String(attribute(turnSpan.attributes, "opencode.message.id")), /^msg_/)
        assert.strictEqual(attribute(turnSpan.attributes, "ocm.turn.mode"), "turn")
        const step = (name: string) => {
          const found = spans.find((span) => span.name === name)
          assert.isDefined(found, `no ${name} span`)
          assert.strictEqual(ancestry(spans, found!)[0], "TurnEngine.runTurn")
          return found!
        }
        assert.oneOf(attribute(step("TurnEngine.recorded").attributes, "ocm.turn.recorded_by"), ["event", "read-back"])
        assert.oneOf(attribute(step("TurnEngine.completed").attributes, "ocm.turn.completed_by"), ["session.idle event", "status poll"])

        // the prompt, the subscription and the reads of the turn are client calls below it
        const clientCalls = spans.filter((span) => span.name.startsWith("OpenCodeClient."))
        const inTurn = clientCalls.filter((span) => ancestry(spans, span).includes("TurnEngine.runTurn")).map((span) => span.name)
        for (const name of ["OpenCodeClient.subscribe", "OpenCodeClient.messages", "OpenCodeClient.promptAsync"]) {
          assert.include(inTurn, name)
        }
        const prompt = clientCalls.find((span) => span.name === "OpenCodeClient.promptAsync")!
        assert.strictEqual(attribute(prompt.attributes, "http.request.method"), "POST")
        assert.strictEqual(attribute(prompt.attributes, "http.response.status_code"), 204)
        assert.strictEqual(attribute(prompt.attributes, "opencode.message.id"), attribute(turnSpan.attributes, "opencode.message.id"))
        assert.strictEqual(attribute(prompt.attributes, "opencode.session.id"), attribute(turnSpan.attributes, "opencode.session.id"))
        assert.match(String(attribute(prompt.attributes, "url.path")), /^\/session\/ses_[^/]+\/prompt_async$/)

        // every HTTP request is made by a client call, shows its status when it got an answer (one can fail and be
        // retried, or be given up when its call ends, as a slow call's health probe is), and shows the credentials
        // only redacted
        const requests = spans.filter((span) => span.name.startsWith("http.client "))
        assert.isAtLeast(requests.length, 4)
        for (const request of requests) {
          assert.match(ancestry(spans, request)[0]!, /^OpenCodeClient\./)
          const status = attribute(request.attributes, "http.response.status_code")
          // OTLP status 1 without a message: it succeeded; an interruption has a message, a failure is 2
          const answered = request.status.code === 1 && request.status.message === undefined
          if (status === undefined) assert.isFalse(answered, JSON.stringify(request))
          else assert.isAtLeast(Number(status), 200)
          // the credentials were sent (the server requires them) and are redacted where the header is shown
          assert.strictEqual(attribute(request.attributes, "http.request.header.authorization"), "<redacted>")
        }

        const everything = received.map((request) => request.body).join("\n")
        assert.notInclude(everything, password)
        assert.notInclude(everything, Buffer.from(`opencode:${password}`).toString("base64"))
      }))

    it.scoped("nothing is sent without the variables, nor when OTEL_SDK_DISABLED or OTEL_TRACES_EXPORTER=none says so", () =>
      Effect.gen(function* () {
        const { endpoint, received } = yield* collector
        assert.strictEqual(succeeded(yield* turn("Reply with ONLY UNTRACED.", {})), "UNTRACED\n")
        const off = { OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, OTEL_EXPORTER_OTLP_PROTOCOL: "http/json" }
        assert.strictEqual(succeeded(yield* turn("Reply with ONLY DISABLED.", { ...off, OTEL_SDK_DISABLED: "true" })), "DISABLED\n")
        assert.strictEqual(succeeded(yield* turn("Reply with ONLY NONE.", { ...off, OTEL_TRACES_EXPORTER: "none" })), "NONE\n")
        assert.deepStrictEqual(received, [])
      }))

    it.scoped("a collector that is not there changes neither the exit code nor stdout", () =>
      Effect.gen(function* () {
        // a port that was just free: nothing listens there any more
        const { endpoint } = yield* Effect.scoped(collector)
        const run = yield* turn("Reply with ONLY STILL-OK.", { OTEL_EXPORTER_OTLP_ENDPOINT: endpoint })
        assert.strictEqual(succeeded(run), "STILL-OK\n")
        // and stderr holds the turn's own note, nothing about the collector
        assert.match(run.stderr, /^ocm: turn done \([^\n]*\n$/)
      }))
  })
})
