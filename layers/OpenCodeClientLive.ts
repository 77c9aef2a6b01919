import * as Sse from "@effect/experimental/Sse"
import * as HttpBody from "@effect/platform/HttpBody"
import * as HttpClient from "@effect/platform/HttpClient"
import type * as HttpClientError from "@effect/platform/HttpClientError"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as Deferred from "effect/Deferred"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import { pipe } from "effect/Function"
import * as Layer from "effect/Layer"
import * as Mailbox from "effect/Mailbox"
import * as ParseResult from "effect/ParseResult"
import * as Redacted from "effect/Redacted"
import * as Schedule from "effect/Schedule"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import {
  Agent,
  ConfigProviders,
  FileDiff,
  GlobalEventEnvelope,
  Health,
  MessageWithParts,
  OpenApiDocument,
  type OpenCodeEvent,
  PermissionRequest,
  ProviderCatalog,
  ServerConfig,
  Session,
  SessionStatusMap,
  Todo,
  Worktree
} from "../src/Domain.js"
import { ServerRejected, ServerUnreachable, SessionNotFound, TranscriptDecodeError, Unauthorized } from "../src/Errors.js"
import type { ServerTarget } from "../src/ServerTarget.js"
import {
  type ClientError,
  OpenCodeClient,
  type OpenCodeClientShape,
  type Scoped,
  type SessionCallError
} from "../services/OpenCodeClient.js"

/** Every endpoint this client calls, as the server's OpenAPI document (`/doc`) names them; doctor checks them. */
export const usedEndpoints: ReadonlyArray<{ readonly method: "get" | "post" | "patch" | "delete"; readonly path: string }> = [
  { method: "get", path: "/global/health" },
  { method: "get", path: "/global/event" },
  { method: "get", path: "/config" },
  { method: "get", path: "/agent" },
  { method: "get", path: "/config/providers" },
  { method: "get", path: "/provider" },
  { method: "get", path: "/session" },
  { method: "get", path: "/experimental/session" },
  { method: "post", path: "/session" },
  { method: "get", path: "/session/status" },
  { method: "get", path: "/session/{sessionID}" },
  { method: "patch", path: "/session/{sessionID}" },
  { method: "delete", path: "/session/{sessionID}" },
  { method: "get", path: "/session/{sessionID}/message" },
  { method: "post", path: "/session/{sessionID}/message" },
  { method: "get", path: "/session/{sessionID}/message/{messageID}" },
  { method: "post", path: "/session/{sessionID}/prompt_async" },
  { method: "post", path: "/session/{sessionID}/abort" },
  { method: "get", path: "/session/{sessionID}/children" },
  { method: "get", path: "/session/{sessionID}/todo" },
  { method: "get", path: "/session/{sessionID}/diff" },
  { method: "post", path: "/session/{sessionID}/share" },
  { method: "delete", path: "/session/{sessionID}/share" },
  { method: "get", path: "/permission" },
  { method: "post", path: "/permission/{requestID}/reply" },
  { method: "get", path: "/experimental/worktree" },
  { method: "post", path: "/experimental/worktree" },
  { method: "delete", path: "/experimental/worktree" }
]

export interface ClientOptions {
  /** Time allowed for one request to answer (headers and body). */
  readonly requestTimeout?: Duration.DurationInput
  /** How long to wait for the event stream to confirm the subscription. */
  readonly subscribeTimeout?: Duration.DurationInput
}

type Query = Record<string, string | number | boolean | undefined>

interface Call {
  readonly method: "GET" | "POST" | "PATCH" | "DELETE"
  readonly path: string
  readonly query?: Query
  readonly body?: unknown
  readonly timeout?: Duration.DurationInput | "none"
}

const directoryQuery = (options: Scoped | undefined): Query => ({ directory: options?.directory })

const errorDetail = (text: string): string => {
  try {
    const json = JSON.parse(text) as { name?: unknown; message?: unknown; data?: { message?: unknown } }
    const message = json?.data?.message ?? json?.message
    const name = typeof json?.name === "string" ? json.name : undefined
    if (typeof message === "string") return name ? `${name}: ${message}` : message
    if (name) return name
  } catch {
    // not JSON: fall through to the raw text
  }
  const flat = text.replace(/\s+/g, " ").trim()
  return flat.length > 300 ? `${flat.slice(0, 300)}…` : flat || "(empty body)"
}

// The envelope is decoded leniently: an event ocm cannot read is skipped, it never ends the stream.
const decodeEnvelope = Schema.decodeUnknownOption(Schema.parseJson(GlobalEventEnvelope))

/** The body of `GET /global/event` (SSE) as unwrapped, decoded events. */
export const decodeEventStream = <E>(body: Stream.Stream<Uint8Array, E>): Stream.Stream<OpenCodeEvent, E> =>
  body.pipe(
    Stream.decodeText(),
    Stream.splitLines,
    // the SSE channel sleeps on `retry:` fields; reconnecting is our decision, so drop them
    Stream.filter((line) => !line.startsWith("retry:")),
    Stream.map((line) => `${line}\n`),
    Stream.pipeThroughChannel(Sse.makeChannel()),
    Stream.filterMap((event) => decodeEnvelope(event.data)),
    Stream.map((envelope): OpenCodeEvent => ({ directory: envelope.directory ?? "global", payload: envelope.payload }))
  )

export const makeOpenCodeClient = (target: ServerTarget, options: ClientOptions = {}) =>
  Effect.gen(function* () {
    const requestTimeout = Duration.decode(options.requestTimeout ?? "30 seconds")
    const subscribeTimeout = Duration.decode(options.subscribeTimeout ?? "10 seconds")
    const http = (yield* HttpClient.HttpClient).pipe(
      HttpClient.mapRequest((request) =>
        pipe(
          request,
          HttpClientRequest.prependUrl(target.url),
          target.password === undefined
            ? (r) => r
            : HttpClientRequest.basicAuth(target.username, Redacted.value(target.password))
        )
      ),
      HttpClient.withTracerPropagation(false)
    )

    // the URL came from no setting at all: say how to give one
    const hint =
      target.rule === "default"
        ? "no server was configured or found running (start `opencode serve`, or `ocm sandbox up`, or give --url)"
        : target.rule === "sandbox"
          ? "the sandbox's state file names it, but it does not answer (`ocm sandbox status`)"
          : undefined
    const unreachable = (reason: string) =>
      new ServerUnreachable(hint === undefined ? { url: target.url, reason } : { url: target.url, reason, hint })

    const transportReason = (error: HttpClientError.HttpClientError): string => {
      const cause = error.cause as { code?: unknown; message?: unknown } | undefined
      const code = typeof cause?.code === "string" ? cause.code : undefined
      const message = typeof cause?.message === "string" ? cause.message : error.message
      // node's message usually names the code already ("connect ECONNREFUSED 127.0.0.1:9")
      return code === undefined || message.includes(code) ? message : `${code} (${message})`
    }

    const requestOf = (call: Call) => {
      const base = HttpClientRequest.make(call.method)(call.path, {
        urlParams: Object.entries(call.query ?? {}).flatMap(([key, value]) =>
          value === undefined ? [] : [[key, String(value)] as const]
        ),
        acceptJson: true
      })
      return call.body === undefined ? base : HttpClientRequest.setBody(base, HttpBody.unsafeJson(call.body))
    }

    /** Sends one call and checks status and content type; reads (GET) are retried on transport failures. */
    const send = (call: Call): Effect.Effect<HttpClientResponse.HttpClientResponse, ClientError> => {
      const timeout = call.timeout === "none" ? undefined : Duration.decode(call.timeout ?? requestTimeout)
      const attempt = pipe(
        http.execute(requestOf(call)),
        timeout === undefined ? (effect) => effect : Effect.timeout(timeout)
      )
      const attempts =
        call.method === "GET"
          ? Effect.retry(attempt, {
              times: 2,
              schedule: Schedule.exponential("100 millis"),
              while: (error) =>
                error._tag === "TimeoutException" || (error._tag === "RequestError" && error.reason === "Transport")
            })
          : attempt
      return attempts.pipe(
        Effect.catchTags({
          TimeoutException: () =>
            Effect.fail(unreachable(`no answer to ${call.method} ${call.path} within ${Duration.format(timeout!)}`)),
          RequestError: (error) => Effect.fail(unreachable(transportReason(error))),
          ResponseError: (error) => Effect.fail(unreachable(transportReason(error)))
        }),
        Effect.flatMap((response) => checkResponse(call, response))
      )
    }

    const bodyText = (response: HttpClientResponse.HttpClientResponse) =>
      response.text.pipe(Effect.orElseSucceed(() => ""))

    const checkResponse = (
      call: Call,
      response: HttpClientResponse.HttpClientResponse
    ): Effect.Effect<HttpClientResponse.HttpClientResponse, ClientError> => {
      if (response.status === 401) return Effect.fail(new Unauthorized({ url: target.url }))
      if (response.status >= 400) {
        return Effect.flatMap(bodyText(response), (text) =>
          Effect.fail(
            new ServerRejected({ method: call.method, path: call.path, status: response.status, detail: errorDetail(text) })
          )
        )
      }
      if (response.status === 204) return Effect.succeed(response)
      const contentType = response.headers["content-type"] ?? ""
      if (!/json|event-stream/i.test(contentType)) {
        return Effect.fail(
          unreachable(
            `not an OpenCode API at this URL: ${call.method} ${call.path} answered ${response.status} ${contentType || "without a content type"}`
          )
        )
      }
      return Effect.succeed(response)
    }

    const decodeFailure = (call: Call) => (error: ParseResult.ParseError) =>
      new TranscriptDecodeError({
        source: `the answer to ${call.method} ${call.path}`,
        detail: ParseResult.TreeFormatter.formatErrorSync(error)
      })

    const json = <A, I>(call: Call, schema: Schema.Schema<A, I>) =>
      send(call).pipe(
        Effect.flatMap((response) =>
          Effect.flatMap(
            response.json.pipe(
              Effect.mapError(() => unreachable(`${call.method} ${call.path} answered with a body that is not JSON`))
            ),
            (body) => Schema.decodeUnknown(schema)(body).pipe(Effect.mapError(decodeFailure(call)))
          )
        )
      )

    const ignoreBody = (call: Call) => Effect.asVoid(send(call))

    /** A call about one session: the server's 404 means that session does not exist. */
    const aboutSession =
      (sessionID: string) =>
      <A>(effect: Effect.Effect<A, ClientError>): Effect.Effect<A, SessionCallError> =>
        Effect.catchIf(
          effect,
          (error): error is ServerRejected => error._tag === "ServerRejected" && error.status === 404,
          (error) => Effect.fail(new SessionNotFound({ reference: sessionID, detail: error.detail }))
        )

    const sessionPath = (sessionID: string, suffix = "") => `/session/${encodeURIComponent(sessionID)}${suffix}`

    const eventCall: Call = { method: "GET", path: "/global/event", timeout: "none" }
    const events: Stream.Stream<OpenCodeEvent, ClientError> = pipe(
      // headers must come quickly; the body then stays open for as long as the stream is consumed
      http.execute(requestOf(eventCall)).pipe(
        Effect.timeout(requestTimeout),
        Effect.catchTags({
          TimeoutException: () => Effect.fail(unreachable(`no answer to GET /global/event within ${Duration.format(requestTimeout)}`)),
          RequestError: (error) => Effect.fail(unreachable(transportReason(error))),
          ResponseError: (error) => Effect.fail(unreachable(transportReason(error)))
        }),
        Effect.flatMap((response) => checkResponse(eventCall, response))
      ),
      Effect.map((response) =>
        decodeEventStream(
          response.stream.pipe(Stream.mapError((error) => unreachable(`the event stream broke: ${transportReason(error)}`)))
        )
      ),
      Stream.unwrap
    )

    const subscribe = Effect.gen(function* () {
      const mailbox = yield* Mailbox.make<OpenCodeEvent, ClientError>()
      const connected = yield* Deferred.make<void, ClientError>()
      yield* events.pipe(
        Stream.runForEach((event) =>
          event.payload.type === "server.connected" ? Deferred.succeed(connected, undefined) : mailbox.offer(event)
        ),
        Effect.tapError((error) => Deferred.fail(connected, error)),
        Mailbox.into(mailbox),
        Effect.forkScoped
      )
      yield* Deferred.await(connected).pipe(
        Effect.timeoutFail({
          duration: subscribeTimeout,
          onTimeout: () => unreachable(`the event stream did not confirm the subscription within ${Duration.format(subscribeTimeout)}`)
        })
      )
      return { events: Mailbox.toStream(mailbox) }
    })

    const client: OpenCodeClientShape = {
      target,
      health: json({ method: "GET", path: "/global/health" }, Health),
      openApi: json({ method: "GET", path: "/doc" }, OpenApiDocument),
      config: (options) => json({ method: "GET", path: "/config", query: directoryQuery(options) }, ServerConfig),
      agents: (options) => json({ method: "GET", path: "/agent", query: directoryQuery(options) }, Schema.Array(Agent)),
      providers: (options) =>
        json({ method: "GET", path: "/config/providers", query: directoryQuery(options) }, ConfigProviders),
      providerCatalog: (options) => json({ method: "GET", path: "/provider", query: directoryQuery(options) }, ProviderCatalog),

      listSessions: (options) =>
        json(
          {
            method: "GET",
            path: "/session",
            query: { directory: options?.directory, limit: options?.limit, roots: options?.roots, search: options?.search }
          },
          Schema.Array(Session)
        ),
      listAllSessions: (options) =>
        json(
          {
            method: "GET",
            path: "/experimental/session",
            query: { limit: options?.limit, roots: options?.roots, search: options?.search }
          },
          Schema.Array(Session)
        ),
      getSession: (sessionID, options) =>
        json({ method: "GET", path: sessionPath(sessionID), query: directoryQuery(options) }, Session).pipe(
          aboutSession(sessionID)
        ),
      createSession: (options) =>
        json(
          {
            method: "POST",
            path: "/session",
            query: directoryQuery(options),
            body: { title: options?.title, parentID: options?.parentID }
          },
          Session
        ),
      updateSession: (sessionID, patch, options) =>
        json({ method: "PATCH", path: sessionPath(sessionID), query: directoryQuery(options), body: patch }, Session).pipe(
          aboutSession(sessionID)
        ),
      deleteSession: (sessionID, options) =>
        json({ method: "DELETE", path: sessionPath(sessionID), query: directoryQuery(options) }, Schema.Boolean).pipe(
          aboutSession(sessionID)
        ),

      messages: (sessionID, options) =>
        json(
          {
            method: "GET",
            path: sessionPath(sessionID, "/message"),
            query: { directory: options?.directory, limit: options?.limit }
          },
          Schema.Array(MessageWithParts)
        ).pipe(aboutSession(sessionID)),
      message: (sessionID, messageID, options) =>
        json(
          {
            method: "GET",
            path: sessionPath(sessionID, `/message/${encodeURIComponent(messageID)}`),
            query: directoryQuery(options)
          },
          MessageWithParts
        ).pipe(aboutSession(sessionID)),
      prompt: (sessionID, body, options) =>
        json(
          {
            method: "POST",
            path: sessionPath(sessionID, "/message"),
            query: directoryQuery(options),
            body,
            timeout: options?.timeout ?? "none"
          },
          MessageWithParts
        ).pipe(aboutSession(sessionID)),
      promptAsync: (sessionID, body, options) =>
        ignoreBody({
          method: "POST",
          path: sessionPath(sessionID, "/prompt_async"),
          query: directoryQuery(options),
          body
        }).pipe(aboutSession(sessionID)),
      abort: (sessionID, options) =>
        json({ method: "POST", path: sessionPath(sessionID, "/abort"), query: directoryQuery(options) }, Schema.Boolean).pipe(
          aboutSession(sessionID)
        ),
      children: (sessionID, options) =>
        json({ method: "GET", path: sessionPath(sessionID, "/children"), query: directoryQuery(options) }, Schema.Array(Session)).pipe(
          aboutSession(sessionID)
        ),
      todo: (sessionID, options) =>
        json({ method: "GET", path: sessionPath(sessionID, "/todo"), query: directoryQuery(options) }, Schema.Array(Todo)).pipe(
          aboutSession(sessionID)
        ),
      permissions: (options) =>
        json({ method: "GET", path: "/permission", query: directoryQuery(options) }, Schema.Array(PermissionRequest)),
      replyPermission: (requestID, reply, options) =>
        json(
          {
            method: "POST",
            path: `/permission/${encodeURIComponent(requestID)}/reply`,
            query: directoryQuery(options),
            body: reply.message === undefined ? { reply: reply.reply } : reply
          },
          Schema.Boolean
        ),
      diff: (sessionID, options) =>
        json(
          {
            method: "GET",
            path: sessionPath(sessionID, "/diff"),
            query: { directory: options?.directory, messageID: options?.messageID }
          },
          Schema.Array(FileDiff)
        ).pipe(aboutSession(sessionID)),
      share: (sessionID, options) =>
        json({ method: "POST", path: sessionPath(sessionID, "/share"), query: directoryQuery(options) }, Session).pipe(
          aboutSession(sessionID)
        ),
      unshare: (sessionID, options) =>
        json({ method: "DELETE", path: sessionPath(sessionID, "/share"), query: directoryQuery(options) }, Session).pipe(
          aboutSession(sessionID)
        ),
      worktrees: (options) =>
        json({ method: "GET", path: "/experimental/worktree", query: directoryQuery(options) }, Schema.Array(Schema.String)),
      createWorktree: (input, options) =>
        json(
          { method: "POST", path: "/experimental/worktree", query: directoryQuery(options), body: input.name === undefined ? {} : { name: input.name } },
          Worktree
        ),
      removeWorktree: (directory, options) =>
        ignoreBody({ method: "DELETE", path: "/experimental/worktree", query: directoryQuery(options), body: { directory } }),
      sessionStatus: (options) =>
        json({ method: "GET", path: "/session/status", query: directoryQuery(options) }, SessionStatusMap),

      events,
      subscribe
    }
    return client
  })

/** The live client for a resolved target, over the platform's HttpClient. */
export const layer = (target: ServerTarget, options?: ClientOptions) =>
  Layer.effect(OpenCodeClient, makeOpenCodeClient(target, options))

export type { SessionCallError }
