/**
 * Traces out of the process, for an operator who wants to see where a command's time went: an OTLP/HTTP exporter
 * (`@effect/opentelemetry`'s OtlpTracer, which posts over the platform's HttpClient and needs no OpenTelemetry SDK),
 * switched on by the standard `OTEL_*` variables. Off, it costs nothing: its code is never run. Every span attribute
 * leaves with its URLs redacted (`redactUrl`); the Authorization header is already redacted by the platform before
 * it becomes an attribute.
 */
import type * as HttpClient from "@effect/platform/HttpClient"
import * as Config from "effect/Config"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import type * as Scope from "effect/Scope"
import * as Tracer from "effect/Tracer"
import { redactUrl, redactUrlsIn } from "../src/domain/Text.js"
import { VERSION } from "../src/domain/Version.js"

export type OtlpProtocol = "http/protobuf" | "http/json"

export interface OtlpSettings {
  /** Where spans are posted (the traces endpoint itself, `…/v1/traces`). */
  readonly url: string
  readonly protocol: OtlpProtocol
  readonly headers: Readonly<Record<string, string>>
  /** Undefined: `service.name` from OTEL_RESOURCE_ATTRIBUTES names the service. */
  readonly serviceName: string | undefined
  /** How long the last export may hold up the end of the process. */
  readonly shutdownTimeout: Duration.Duration
}

export type TracingChoice =
  | { readonly _tag: "Off" }
  | { readonly _tag: "Export"; readonly settings: OtlpSettings }
  /** Asked for, but in a way ocm cannot honour; the reason names the variable, never its value. */
  | { readonly _tag: "Unsupported"; readonly reason: string }

/** Every variable `tracingChoice` reads. */
export const tracingVariables = [
  "OTEL_SDK_DISABLED",
  "OTEL_TRACES_EXPORTER",
  "OTEL_EXPORTER_OTLP_ENDPOINT",
  "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
  "OTEL_EXPORTER_OTLP_PROTOCOL",
  "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL",
  "OTEL_EXPORTER_OTLP_HEADERS",
  "OTEL_EXPORTER_OTLP_TRACES_HEADERS",
  "OTEL_EXPORTER_OTLP_TIMEOUT",
  "OTEL_EXPORTER_OTLP_TRACES_TIMEOUT",
  "OTEL_SERVICE_NAME",
  "OTEL_RESOURCE_ATTRIBUTES"
] as const

export type TracingVariable = (typeof tracingVariables)[number]

/**
 * A command line tool must not hang at its end on a collector that is down: the last export gets one second unless
 * OTEL_EXPORTER_OTLP_(TRACES_)TIMEOUT says otherwise (the specification's 10 s default is for long-lived services).
 */
export const DEFAULT_SHUTDOWN_TIMEOUT = Duration.seconds(1)

/** `key=value,key2=value2` (W3C baggage style, values percent-encoded), as OTEL_EXPORTER_OTLP_HEADERS holds them. */
export const parseOtlpHeaders = (text: string | undefined): Record<string, string> => {
  const headers: Record<string, string> = {}
  for (const pair of (text ?? "").split(",")) {
    const eq = pair.indexOf("=")
    if (eq <= 0) continue
    const key = pair.slice(0, eq).trim()
    const raw = pair.slice(eq + 1).trim()
    if (key === "") continue
    let value = raw
    try {
      value = decodeURIComponent(raw)
    } catch {
      // not percent-encoded after all: sent as written
    }
    headers[key.toLowerCase()] = value
  }
  return headers
}

const httpUrl = (text: string): URL | undefined => {
  try {
    const url = new URL(text)
    return url.protocol === "http:" || url.protocol === "https:" ? url : undefined
  } catch {
    return undefined
  }
}

/**
 * Whether and where to send traces, from the OTEL_* variables as the OpenTelemetry specification defines them.
 * Off unless an endpoint is given (OTEL_EXPORTER_OTLP_TRACES_ENDPOINT as it is, or OTEL_EXPORTER_OTLP_ENDPOINT
 * plus `/v1/traces`); off when OTEL_SDK_DISABLED=true or OTEL_TRACES_EXPORTER=none. Signal-specific variables win
 * over the general ones. Pure, so each rule is unit-tested.
 */
export const tracingChoice = (
  env: (name: TracingVariable) => string | undefined,
  defaultServiceName: string
): TracingChoice => {
  const value = (name: TracingVariable) => {
    const text = env(name)?.trim()
    return text === undefined || text === "" ? undefined : text
  }
  if (value("OTEL_SDK_DISABLED")?.toLowerCase() === "true") return { _tag: "Off" }
  const signalEndpoint = value("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
  const baseEndpoint = value("OTEL_EXPORTER_OTLP_ENDPOINT")
  if (signalEndpoint === undefined && baseEndpoint === undefined) return { _tag: "Off" }

  const exporters = (value("OTEL_TRACES_EXPORTER") ?? "otlp").split(",").map((name) => name.trim().toLowerCase())
  if (exporters.includes("none")) return { _tag: "Off" }
  if (!exporters.includes("otlp")) {
    return { _tag: "Unsupported", reason: "OTEL_TRACES_EXPORTER names no exporter ocm has (it has otlp)" }
  }

  const protocol = value("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL") ?? value("OTEL_EXPORTER_OTLP_PROTOCOL") ?? "http/protobuf"
  if (protocol !== "http/protobuf" && protocol !== "http/json") {
    return { _tag: "Unsupported", reason: "the OTLP protocol asked for is not one ocm speaks (http/protobuf or http/json)" }
  }

  let url: string
  if (signalEndpoint !== undefined) {
    const parsed = httpUrl(signalEndpoint)
    if (parsed === undefined) return { _tag: "Unsupported", reason: "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is not an http(s) URL" }
    url = parsed.toString()
  } else {
    const parsed = httpUrl(baseEndpoint!)
    if (parsed === undefined) return { _tag: "Unsupported", reason: "OTEL_EXPORTER_OTLP_ENDPOINT is not an http(s) URL" }
    parsed.pathname = `${parsed.pathname.replace(/\/+$/, "")}/v1/traces`
    url = parsed.toString()
  }

  const timeoutText = value("OTEL_EXPORTER_OTLP_TRACES_TIMEOUT") ?? value("OTEL_EXPORTER_OTLP_TIMEOUT")
  const timeoutMillis = timeoutText === undefined ? Number.NaN : Number(timeoutText)
  const shutdownTimeout =
    Number.isFinite(timeoutMillis) && timeoutMillis > 0 ? Duration.millis(timeoutMillis) : DEFAULT_SHUTDOWN_TIMEOUT

  const namedByResource = /(^|,)\s*service\.name\s*=/.test(value("OTEL_RESOURCE_ATTRIBUTES") ?? "")
  const serviceName = value("OTEL_SERVICE_NAME") ?? (namedByResource ? undefined : defaultServiceName)

  return {
    _tag: "Export",
    settings: {
      url,
      protocol,
      headers: { ...parseOtlpHeaders(env("OTEL_EXPORTER_OTLP_HEADERS")), ...parseOtlpHeaders(env("OTEL_EXPORTER_OTLP_TRACES_HEADERS")) },
      serviceName,
      shutdownTimeout
    }
  }
}

/** A span attribute as it may leave the process: URLs redacted, wherever they are; a URL's query wholly. */
export const redactedAttribute = (key: string, value: unknown): unknown => {
  if (typeof value !== "string") return value
  if (key === "url.query") return redactUrl(`?${value}`).slice(1)
  return redactUrlsIn(value)
}

/** `tracer`, with every attribute and event of its spans passed through `redactedAttribute` on the way in. */
export const redacting = (tracer: Tracer.Tracer): Tracer.Tracer =>
  Tracer.make({
    span: (...args) => {
      const span = tracer.span(...args)
      const attribute = span.attribute.bind(span)
      const event = span.event.bind(span)
      span.attribute = (key, value) => attribute(key, redactedAttribute(key, value))
      span.event = (name, startTime, attributes) =>
        event(
          redactUrlsIn(name),
          startTime,
          attributes === undefined
            ? undefined
            : Object.fromEntries(Object.entries(attributes).map(([key, value]) => [key, redactedAttribute(key, value)]))
        )
      return span
    },
    context: tracer.context
  })

/**
 * The parts of `@effect/opentelemetry` used here, by their shape: a program using ocm needs neither that package nor
 * its types unless it exports traces.
 */
export interface OtlpModules {
  readonly OtlpTracer: {
    readonly make: (options: {
      readonly url: string
      readonly headers?: Readonly<Record<string, string>> | undefined
      readonly resource?: { readonly serviceName?: string | undefined; readonly serviceVersion?: string | undefined } | undefined
      readonly shutdownTimeout?: Duration.DurationInput | undefined
    }) => Effect.Effect<Tracer.Tracer, never, any>
  }
  readonly OtlpSerialization: { readonly layerJson: Layer.Layer<any>; readonly layerProtobuf: Layer.Layer<any> }
}

/** What makes the exporting tracer: `@effect/opentelemetry`'s OtlpTracer, posting over the HttpClient in context. */
export type TracerMaker = (settings: OtlpSettings) => Effect.Effect<Tracer.Tracer, never, HttpClient.HttpClient | Scope.Scope>

export const tracerMaker =
  ({ OtlpSerialization, OtlpTracer }: OtlpModules): TracerMaker =>
  (settings) =>
    OtlpTracer.make({
      url: settings.url,
      headers: settings.headers,
      resource: { serviceName: settings.serviceName, serviceVersion: VERSION },
      shutdownTimeout: settings.shutdownTimeout
    }).pipe(
      Effect.provide(settings.protocol === "http/json" ? OtlpSerialization.layerJson : OtlpSerialization.layerProtobuf)
    ) as Effect.Effect<Tracer.Tracer, never, HttpClient.HttpClient | Scope.Scope>

/**
 * The exporter of the installed `@effect/opentelemetry` (an optional peer dependency of the library), loaded when
 * first asked for; none when it is not installed. The bins do not use this: they carry the exporter built in (a
 * dynamic import bundled into them would make every module of the bundle initialise lazily, which measured +35 ms
 * of CPU at every start), and the specifier is a variable so that no bundler follows it.
 */
export const installedExporter: Effect.Effect<Option.Option<TracerMaker>> = Effect.tryPromise(() => {
  const load = (specifier: string) => import(specifier)
  return Promise.all([load("@effect/opentelemetry/OtlpTracer"), load("@effect/opentelemetry/OtlpSerialization")])
}).pipe(
  Effect.map(([OtlpTracer, OtlpSerialization]) => tracerMaker({ OtlpTracer, OtlpSerialization })),
  Effect.option
)

/**
 * Exports the spans of the effect it is provided to, over the HttpClient in context, until its scope closes; the
 * last batch is sent then, within `shutdownTimeout`. Without an exporter (`@effect/opentelemetry` not installed) a
 * warning is logged and nothing is sent.
 */
export const layer = (
  settings: OtlpSettings,
  exporter: Effect.Effect<Option.Option<TracerMaker>> = installedExporter
): Layer.Layer<never, never, HttpClient.HttpClient> =>
  Layer.unwrapScoped(
    Effect.gen(function* () {
      const maker = yield* exporter
      if (Option.isNone(maker)) {
        yield* Effect.logWarning("traces are not exported: the package @effect/opentelemetry is not installed")
        return Layer.empty
      }
      return Layer.setTracer(redacting(yield* maker.value(settings)))
    })
  )

/**
 * The layer a choice asks for: nothing when off, a warning when it cannot be honoured, and when exporting, the
 * exporter over the HttpClient `client` gives; that client is built only then, so tracing switched off builds nothing.
 */
export const fromChoice = <RIn = never>(
  choice: TracingChoice,
  client: Layer.Layer<HttpClient.HttpClient, never, RIn>,
  exporter: Effect.Effect<Option.Option<TracerMaker>> = installedExporter
): Layer.Layer<never, never, RIn> => {
  switch (choice._tag) {
    case "Off":
      return Layer.empty
    case "Unsupported":
      return Layer.effectDiscard(Effect.logWarning(`traces are not exported: ${choice.reason}`))
    case "Export":
      return layer(choice.settings, exporter).pipe(Layer.provide(client))
  }
}

/** The choice the OTEL_* variables make, read through `Config`. */
export const configuredChoice = (serviceName: string): Effect.Effect<TracingChoice> =>
  Effect.gen(function* () {
    const values = new Map<string, string>()
    for (const name of tracingVariables) {
      const found = yield* Config.option(Config.string(name)).pipe(Effect.orElseSucceed(() => Option.none<string>()))
      if (Option.isSome(found)) values.set(name, found.value)
    }
    return tracingChoice((name) => values.get(name), serviceName)
  })

/**
 * Span export as the OTEL_* variables (read through `Config`) ask for it, or nothing at all. `serviceName` is the
 * service's name when OTEL_SERVICE_NAME does not give one.
 */
export const fromEnv = (
  serviceName = "ocm",
  exporter: Effect.Effect<Option.Option<TracerMaker>> = installedExporter
): Layer.Layer<never, never, HttpClient.HttpClient> =>
  Layer.unwrapEffect(
    Effect.map(configuredChoice(serviceName), (choice) => fromChoice(choice, Layer.context<HttpClient.HttpClient>(), exporter))
  )
