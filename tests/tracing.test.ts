/** Reading the OTEL_* variables, the redaction of span attributes, and the name of a command's root span. */
import { assert, describe, it } from "@effect/vitest"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Tracer from "effect/Tracer"
import {
  DEFAULT_SHUTDOWN_TIMEOUT,
  installedExporter,
  parseOtlpHeaders,
  redactedAttribute,
  redacting,
  type TracingChoice,
  tracingChoice,
  type TracingVariable
} from "../layers/OtlpTracing.js"
import { commandPath } from "../src/cli/Main.js"

const choice = (env: Partial<Record<TracingVariable, string>>): TracingChoice => tracingChoice((name) => env[name], "ocm")

const settings = (env: Partial<Record<TracingVariable, string>>) => {
  const made = choice(env)
  if (made._tag !== "Export") return assert.fail(`expected an export, got ${JSON.stringify(made)}`)
  return made.settings
}

describe("which OTEL_* variables switch trace export on", () => {
  it("is off without an endpoint, whatever else is set", () => {
    assert.deepStrictEqual(choice({}), { _tag: "Off" })
    assert.deepStrictEqual(
      choice({ OTEL_SERVICE_NAME: "x", OTEL_EXPORTER_OTLP_PROTOCOL: "http/json", OTEL_TRACES_EXPORTER: "otlp", OTEL_EXPORTER_OTLP_HEADERS: "a=b" }),
      { _tag: "Off" }
    )
    assert.deepStrictEqual(choice({ OTEL_EXPORTER_OTLP_ENDPOINT: "  " }), { _tag: "Off" })
  })

  it("is off when the SDK is disabled or the traces exporter is none", () => {
    const endpoint = { OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318" }
    assert.deepStrictEqual(choice({ ...endpoint, OTEL_SDK_DISABLED: "true" }), { _tag: "Off" })
    assert.deepStrictEqual(choice({ ...endpoint, OTEL_SDK_DISABLED: "TRUE" }), { _tag: "Off" })
    assert.deepStrictEqual(choice({ ...endpoint, OTEL_TRACES_EXPORTER: "none" }), { _tag: "Off" })
    assert.strictEqual(choice({ ...endpoint, OTEL_SDK_DISABLED: "false" })._tag, "Export")
  })

  it("posts to the base endpoint's /v1/traces, or to the traces endpoint as given", () => {
    assert.strictEqual(settings({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318" }).url, "http://collector:4318/v1/traces")
    assert.strictEqual(settings({ OTEL_EXPORTER_OTLP_ENDPOINT: "https://otel.example/prefix/" }).url, "https://otel.example/prefix/v1/traces")
    assert.strictEqual(
      settings({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318", OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "http://traces:9999/custom" }).url,
      "http://traces:9999/custom"
    )
  })

  it("speaks http/protobuf unless http/json is asked for; grpc and other exporters are unsupported", () => {
    const endpoint = { OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318" }
    assert.strictEqual(settings(endpoint).protocol, "http/protobuf")
    assert.strictEqual(settings({ ...endpoint, OTEL_EXPORTER_OTLP_PROTOCOL: "http/json" }).protocol, "http/json")
    assert.strictEqual(
      settings({ ...endpoint, OTEL_EXPORTER_OTLP_PROTOCOL: "http/json", OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: "http/protobuf" }).protocol,
      "http/protobuf"
    )
    assert.strictEqual(choice({ ...endpoint, OTEL_EXPORTER_OTLP_PROTOCOL: "grpc" })._tag, "Unsupported")
    assert.strictEqual(choice({ ...endpoint, OTEL_TRACES_EXPORTER: "zipkin" })._tag, "Unsupported")
    assert.strictEqual(settings({ ...endpoint, OTEL_TRACES_EXPORTER: "console,otlp" }).protocol, "http/protobuf")
  })

  it("refuses an endpoint that is not an http(s) URL without repeating it", () => {
    const made = choice({ OTEL_EXPORTER_OTLP_ENDPOINT: "collector token=s3cret" })
    assert.strictEqual(made._tag, "Unsupported")
    assert.notInclude(JSON.stringify(made), "s3cret")
  })

  it("sends the headers, trace-specific ones winning, values percent-decoded", () => {
    assert.deepStrictEqual(parseOtlpHeaders("api-key=a%20b, X-Team = core ,broken,=nothing"), { "api-key": "a b", "x-team": "core" })
    assert.deepStrictEqual(
      settings({
        OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318",
        OTEL_EXPORTER_OTLP_HEADERS: "api-key=general,x-team=core",
        OTEL_EXPORTER_OTLP_TRACES_HEADERS: "api-key=traces"
      }).headers,
      { "api-key": "traces", "x-team": "core" }
    )
  })

  it("names the service ocm unless OTEL_SERVICE_NAME or OTEL_RESOURCE_ATTRIBUTES does", () => {
    const endpoint = { OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318" }
    assert.strictEqual(settings(endpoint).serviceName, "ocm")
    assert.strictEqual(settings({ ...endpoint, OTEL_SERVICE_NAME: "nightly-ocm" }).serviceName, "nightly-ocm")
    assert.strictEqual(settings({ ...endpoint, OTEL_RESOURCE_ATTRIBUTES: "team=core,service.name=from-resource" }).serviceName, undefined)
  })

  it("holds the end of the process for the last export one second, or the OTLP timeout given (ms)", () => {
    const endpoint = { OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318" }
    assert.isTrue(Duration.equals(settings(endpoint).shutdownTimeout, DEFAULT_SHUTDOWN_TIMEOUT))
    assert.strictEqual(Duration.toMillis(DEFAULT_SHUTDOWN_TIMEOUT), 1000)
    assert.strictEqual(Duration.toMillis(settings({ ...endpoint, OTEL_EXPORTER_OTLP_TIMEOUT: "5000" }).shutdownTimeout), 5000)
    assert.strictEqual(
      Duration.toMillis(settings({ ...endpoint, OTEL_EXPORTER_OTLP_TIMEOUT: "5000", OTEL_EXPORTER_OTLP_TRACES_TIMEOUT: "250" }).shutdownTimeout),
      250
    )
    assert.strictEqual(Duration.toMillis(settings({ ...endpoint, OTEL_EXPORTER_OTLP_TIMEOUT: "soon" }).shutdownTimeout), 1000)
  })
})

describe("span attributes on their way out", () => {
  it("lose every URL's query values and credentials", () => {
    assert.strictEqual(redactedAttribute("url.full", "http://h:1/session?directory=/p&token=abc"), "http://h:1/session?directory=***&token=***")
    assert.strictEqual(redactedAttribute("url.query", "directory=/p&token=abc"), "directory=***&token=***")
    assert.strictEqual(redactedAttribute("note", "at http://user:pw@h:1/x now"), "at http://***@h:1/x now")
    assert.strictEqual(redactedAttribute("http.response.status_code", 200), 200)
    assert.strictEqual(redactedAttribute("url.path", "/session/ses_1/message"), "/session/ses_1/message")
  })

  it.effect("are redacted by the exporting tracer, attributes and events alike", () =>
    Effect.gen(function* () {
      const ended: Array<Tracer.Span> = []
      const events: Array<[string, Record<string, unknown> | undefined]> = []
      const recording = Tracer.make({
        span: (name, parent, context, links, startTime, kind) => {
          const attributes = new Map<string, unknown>()
          const span: Tracer.Span = {
            _tag: "Span",
            name,
            spanId: "s",
            traceId: "t",
            parent,
            context,
            status: { _tag: "Started", startTime },
            attributes,
            links,
            sampled: true,
            kind,
            end: () => ended.push(span),
            attribute: (key, value) => attributes.set(key, value),
            event: (name, _startTime, attributes) => events.push([name, attributes]),
            addLinks: () => {}
          }
          return span
        },
        context: (f) => f()
      })
      yield* Effect.annotateCurrentSpan("url.full", "http://h:1/x?token=abc").pipe(
        Effect.zipRight(Effect.logInfo("calling http://h:1/x?token=abc")),
        Effect.withSpan("outer"),
        Effect.withTracer(redacting(recording))
      )
      const outer = ended.find((span) => span.name === "outer")
      assert.strictEqual(outer?.attributes.get("url.full"), "http://h:1/x?token=***")
      assert.isTrue(events.some(([name]) => name === "calling http://h:1/x?token=***"), JSON.stringify(events))
      assert.notInclude(JSON.stringify(events), "abc")
      assert.isTrue(Option.isNone(outer!.parent))
    }))
})

describe("the exporter a library gets", () => {
  it.effect("is the installed @effect/opentelemetry, loaded when asked for", () =>
    Effect.gen(function* () {
      const maker = yield* installedExporter
      assert.isTrue(Option.isSome(maker), "the devDependency is installed here")
    }))
})

describe("the root span of a command", () => {
  const tree = { "one-shot": {}, sandbox: { up: {}, down: {} }, wt: { create: {} } }
  it("is named by the words that name the command, never by its arguments", () => {
    assert.deepStrictEqual(commandPath(["node", "ocm", "one-shot", "Reply with ONLY X", "--agent", "proof"], tree), ["one-shot"])
    assert.deepStrictEqual(commandPath(["node", "ocm", "--log-level", "debug", "sandbox", "up", "--json"], tree), ["sandbox", "up"])
    assert.deepStrictEqual(commandPath(["node", "ocm", "sandbox", "--help"], tree), ["sandbox"])
    assert.deepStrictEqual(commandPath(["node", "ocm", "--version"], tree), [])
    assert.deepStrictEqual(commandPath(["node", "ocm", "sandbox-up"], tree), [])
  })
})
