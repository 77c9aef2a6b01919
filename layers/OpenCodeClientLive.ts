import * as Sse from "@effect/experimental/Sse"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as HttpBody from "@effect/platform/HttpBody"
import * as HttpClient from "@effect/platform/HttpClient"
import type * as HttpClientError from "@effect/platform/HttpClientError"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as Deferred from "effect/Deferred"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import { pipe } from "effect/Function"
import * as Layer from "effect/Layer"
import * as Mailbox from "effect/Mailbox"
import * as Option from "effect/Option"
import * as ParseResult from "effect/ParseResult"
import * as Redacted from "effect/Redacted"
import * as Ref from "effect/Ref"
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
} from "../src/domain/Domain.js"
import { ServerRejected, ServerUnreachable, SessionNotFound, TranscriptDecodeError, Unauthorized, WaitTimeout } from "../src/domain/Errors.js"
import { redactUrl } from "../src/domain/Text.js"
import { withinBudget } from "../src/engine/Timeout.js"
import type { ServerTarget } from "../src/domain/ServerTarget.js"
import {
  type ClientError,
  OpenCodeClient,
  type OpenCodeClientShape,
  type Scoped,
  type SessionCallError,
  OpenCodeConnector,
  usedEndpoints
} from "../services/OpenCodeClient.js"

export { usedEndpoints }

export interface ClientOptions {
  /**
   * A hard limit for one call to answer (headers and body, retries included), instead of the silence rule below.
   * The blocking prompt has none; the event stream's limit covers its headers only (its body is the stream).
   */
  readonly requestTimeout?: Duration.DurationInput
  /** How long to wait for the event stream to confirm the subscription. */
  readonly subscribeTimeout?: Duration.DurationInput
}

/**
 * Telling a silent server from a slow one. A port that accepts connections but never answers is reported
 * unreachable (exit 3) after `silenceLimit` without a byte from it. A server that has shown it is alive (it
 * answered any call of this client, or the health probe sent after `probeAfter` of waiting) is only slow: a call
 * to it may take up to `slowLimit`. Measured: OpenCode answers most calls in milliseconds, but the first calls
 * after it starts (`GET /doc`, the first `POST /session`) took over 9 s on a 2-core machine at load 17, and a
 * big `GET /experimental/session` is slow on a busy server while its health answers at once.
 */
export const silenceLimit = Duration.seconds(9)
export const probeAfter = Duration.seconds(3)
export const slowLimit = Duration.seconds(60)

type Query = Record<string, string | number | boolean | undefined>

interface Call {
  readonly method: "GET" | "POST" | "PATCH" | "DELETE"
  readonly path: string
  readonly query?: Query
  readonly body?: unknown
  readonly timeout?: Duration.DurationInput | "none"
  /**
   * A call the server computes for seconds with its event loop held (the 6 MB `GET /provider` took 8–50 s at load 9,
   * and its health probe went unanswered meanwhile): it is sent only once the server has answered something, so it
   * gets `slowLimit` while a silent port is still found within `silenceLimit`.
   */
  readonly heavy?: boolean
}

const directoryQuery = (options: Scoped | undefined): Query => ({ directory: options?.directory })

const errorDetail = (text: string): string => {
  try {
    const json = JSON.parse(text) as { name?: unknown; message?: unknown; data?: { message?: unknown; path?: unknown; issues?: unknown } }
    const message = json?.data?.message ?? json?.message
    const name = typeof json?.name === "string" ? json.name : undefined
    if (typeof message === "string") return name ? `${name}: ${message}` : message
    // a config OpenCode rejects (ConfigInvalidError): the file, then each issue at its key path
    const issues = json?.data?.issues
    if (Array.isArray(issues) && issues.length > 0) {
      const said = issues.map((issue: { path?: unknown; message?: unknown }) => {
        const at = Array.isArray(issue?.path) && issue.path.length > 0 ? `${issue.path.join(".")}: ` : ""
        return `${at}${String(issue?.message)}`
      })
      const where = typeof json?.data?.path === "string" ? `${json.data.path}: ` : ""
      return `${name ?? "rejected"}: ${where}${said.join("; ")}`
    }
    if (name) return name
  } catch {
    // not JSON: fall through to the raw text
  }
  const flat = text.replace(/\s+/g, " ").trim()
  return flat.length > 300 ? `${flat.slice(0, 300)}…` : flat || "(empty body)"
}

// The envelope is decoded leniently: an event ocm cannot read is skipped, it never ends the stream. Its decoder is
// made at the first event, not when the module loads: `Schema.decode…` builds a parser for the whole union when
// called (memoised per schema), which cost every start of the CLI ~8 ms.
const EnvelopeJson = Schema.parseJson(GlobalEventEnvelope)
const decodeEnvelope = (data: string) => Schema.decodeUnknownOption(EnvelopeJson)(data)

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

/**
 * A base URL's own query (`?token=…` for a proxy in front of the server) is sent with every call, after the
 * call's path; the fragment is dropped.
 */
export const splitBaseUrl = (url: string): { readonly base: string; readonly baseParams: ReadonlyArray<readonly [string, string]> } => {
  const beforeHash = url.split("#")[0]!
  const queryAt = beforeHash.indexOf("?")
  if (queryAt === -1) return { base: beforeHash.replace(/\/+$/, ""), baseParams: [] }
  return {
    base: beforeHash.slice(0, queryAt).replace(/\/+$/, ""),
    baseParams: [...new URLSearchParams(beforeHash.slice(queryAt + 1))]
  }
}

/** What a call's span says about it: method, path (holding the session and message ids), directory, message id. */
const callAttributes = (call: Call): Record<string, unknown> => {
  const messageID = (call.body as { readonly messageID?: unknown } | undefined)?.messageID
  return {
    "http.request.method": call.method,
    "url.path": call.path,
    ...(call.query?.directory === undefined ? {} : { "opencode.directory": call.query.directory }),
    ...(typeof messageID === "string" ? { "opencode.message.id": messageID } : {})
  }
}

/**
 * Each call of a client in a span of its own, `OpenCodeClient.<method>` (the platform's `http.client` span of each
 * request below it); the event stream is left as it is, since it lasts as long as it is read.
 */
const traced = (client: OpenCodeClientShape): OpenCodeClientShape => {
  const spanned: Record<string, unknown> = {}
  for (const [name, member] of Object.entries(client)) {
    const span = `OpenCodeClient.${name}`
    spanned[name] =
      typeof member === "function"
        ? Effect.fn(span)(member as (...args: Array<unknown>) => Effect.Effect<unknown, unknown>)
        : Effect.isEffect(member)
          ? Effect.withSpan(member, span)
          : member
  }
  return spanned as unknown as OpenCodeClientShape
}

export const makeOpenCodeClient = (target: ServerTarget, options: ClientOptions = {}) =>
  Effect.gen(function* () {
    const requestLimit = options.requestTimeout === undefined ? undefined : Duration.decode(options.requestTimeout)
    const subscribeTimeout = Duration.decode(options.subscribeTimeout ?? "10 seconds")
    const { base, baseParams } = splitBaseUrl(target.url)
    const http = (yield* HttpClient.HttpClient).pipe(
      HttpClient.mapRequest((request) =>
        pipe(
          request,
          HttpClientRequest.prependUrl(base),
          HttpClientRequest.appendUrlParams(baseParams),
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

    /** The answer's body as text, for an error's detail; read within the call's limit like any body (`bounded`). */
    const bodyText = (response: HttpClientResponse.HttpClientResponse) =>
      response.text.pipe(Effect.orElseSucceed(() => ""))

    /**
     * Reads are idempotent: a read whose connection failed before an answer (refused, reset) is sent again, twice.
     * Nothing else is: a POST, PATCH or DELETE may have been received, and sending it again could do it twice.
     */
    const reads = http.pipe(
      HttpClient.retryTransient({ mode: "errors-only", schedule: Schedule.exponential("100 millis"), times: 2 })
    )

    /** Whether the server answered anything yet: then a call that takes long is slow, not unanswered. */
    const alive = yield* Ref.make(false)
    const healthCall: Call = { method: "GET", path: "/global/health" }
    const healthProbe = http.execute(requestOf(healthCall)).pipe(
      Effect.flatMap((response) => (/json/i.test(response.headers["content-type"] ?? "") ? Ref.set(alive, true) : Effect.void)),
      Effect.ignore
    )
    const noAnswer = (call: Call, within: Duration.Duration) =>
      unreachable(`no answer to ${call.method} ${call.path} within ${Duration.format(within)}`)
    /** Fails when the server stays silent: `silenceLimit` unless it proves alive (probed), then `slowLimit`. */
    const silence = (call: Call) =>
      Effect.gen(function* () {
        if (!(yield* Ref.get(alive))) {
          yield* Effect.forkScoped(Effect.zipRight(Effect.sleep(probeAfter), healthProbe))
          yield* Effect.sleep(silenceLimit)
          if (!(yield* Ref.get(alive))) return yield* Effect.fail(noAnswer(call, silenceLimit))
          yield* Effect.sleep(Duration.subtract(slowLimit, silenceLimit))
        } else {
          yield* Effect.sleep(slowLimit)
        }
        return yield* Effect.fail(noAnswer(call, slowLimit))
      }).pipe(Effect.scoped)

    /**
     * The one limit on a call, covering everything from sending it to the last byte of its body (a server may stall
     * mid-body as well as before its headers): a call's own hard limit, or the client's `requestTimeout`, when there
     * is one; none for the blocking prompt (`"none"`: the turn takes what it takes); otherwise the silence rule.
     * Within the command's `--timeout` budget when that ends sooner: then it is WaitTimeout (exit 124), naming the
     * unanswered call.
     */
    const bounded = <A>(call: Call, effect: Effect.Effect<A, ClientError>): Effect.Effect<A, ClientError> =>
      Effect.gen(function* () {
        const hardLimit = call.timeout === undefined ? requestLimit : call.timeout === "none" ? undefined : Duration.decode(call.timeout)
        const limited =
          hardLimit !== undefined
            ? Effect.timeoutFail(effect, { duration: hardLimit, onTimeout: () => noAnswer(call, hardLimit) })
            : call.timeout === "none"
              ? effect
              : // the timer stays interruptible where the call is not (a finalizer's call), as Effect.timeout's own sleep
                // does: else the answered call would wait out the whole silence timer before it returns
                Effect.raceFirst(effect, Effect.interruptible(silence(call)))
        const { duration, budget } = yield* withinBudget(Duration.infinity)
        if (Option.isNone(budget)) return yield* limited
        return yield* Effect.timeoutFail(limited, {
          duration,
          onTimeout: (): ClientError =>
            new WaitTimeout({
              waitingFor: `an answer from ${redactUrl(target.url)} to ${call.method} ${call.path}`,
              seconds: budget.value.seconds,
              hint: "the command's --timeout ran out"
            })
        })
      })

    /** One call, `bounded` as a whole: sent (a read through `reads`), its status and content type judged, then `read` of its body. */
    const exchange = <A>(
      call: Call,
      read: (response: HttpClientResponse.HttpClientResponse) => Effect.Effect<A, ClientError>
    ): Effect.Effect<A, ClientError> =>
      Effect.gen(function* () {
        if (call.heavy === true && !(yield* Ref.get(alive))) yield* exchange(healthCall, () => Effect.void)
        yield* Effect.annotateCurrentSpan(callAttributes(call))
        const sent = (call.method === "GET" ? reads : http).execute(requestOf(call))
        return yield* bounded(
          call,
          sent.pipe(
            Effect.catchTags({
              RequestError: (error) => Effect.fail(unreachable(transportReason(error))),
              ResponseError: (error) => Effect.fail(unreachable(transportReason(error)))
            }),
            Effect.tap((response) => Effect.zipRight(Effect.annotateCurrentSpan("http.response.status_code", response.status), Ref.set(alive, true))),
            Effect.flatMap((response) => checkResponse(call, response)),
            Effect.flatMap(read)
          )
        )
      })

    /** Non-JSON from a server that answers at all is not OpenCode's: its own answers and errors are JSON. */
    const notOpenCode = (call: Call, response: HttpClientResponse.HttpClientResponse, contentType: string) =>
      unreachable(
        `not an OpenCode API at this URL: ${call.method} ${call.path} answered ${response.status} ${contentType || "without a content type"}`
      )

    const checkResponse = (
      call: Call,
      response: HttpClientResponse.HttpClientResponse
    ): Effect.Effect<HttpClientResponse.HttpClientResponse, ClientError> => {
      // OpenCode's 401 (basic auth) is not JSON; any server's 401 asks for credentials all the same
      if (response.status === 401) return Effect.fail(new Unauthorized({ url: target.url }))
      if (response.status === 204) return Effect.succeed(response)
      const contentType = response.headers["content-type"] ?? ""
      // the content type first: an HTML 404 or 501 is some other web server, not OpenCode rejecting the call
      if (!/json|event-stream/i.test(contentType)) return Effect.fail(notOpenCode(call, response, contentType))
      if (response.status >= 400) {
        return Effect.flatMap(bodyText(response), (text) =>
          Effect.fail(
            new ServerRejected({ method: call.method, path: call.path, status: response.status, detail: errorDetail(text) })
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

    /** A call whose answer is `schema` as JSON; a JSON content type with a body that is not JSON is not OpenCode's either. */
    const json = <A, I>(call: Call, schema: Schema.Schema<A, I>) => {
      const decode = HttpClientResponse.schemaBodyJson(schema)
      return exchange(call, (response) =>
        decode(response).pipe(
          Effect.catchTags({
            ResponseError: () => Effect.fail(unreachable(`${call.method} ${call.path} answered with a body that is not JSON`)),
            ParseError: (error) => Effect.fail(decodeFailure(call)(error))
          })
        )
      )
    }

    const ignoreBody = (call: Call) => exchange(call, (response) => Effect.asVoid(bodyText(response)))

    /** A call about one session: the server's 404 means that session does not exist. */
    const aboutSession =
      (sessionID: string) =>
      <A>(effect: Effect.Effect<A, ClientError>): Effect.Effect<A, SessionCallError> =>
        Effect.catchIf(
          Effect.zipRight(Effect.annotateCurrentSpan("opencode.session.id", sessionID), effect),
          (error): error is ServerRejected => error._tag === "ServerRejected" && error.status === 404,
          (error) => Effect.fail(new SessionNotFound({ reference: sessionID, detail: error.detail }))
        )

    const sessionPath = (sessionID: string, suffix = "") => `/session/${encodeURIComponent(sessionID)}${suffix}`

    // headers must come as quickly as any answer; the body then stays open for as long as the stream is consumed
    const events: Stream.Stream<OpenCodeEvent, ClientError> = pipe(
      exchange({ method: "GET", path: "/global/event" }, Effect.succeed),
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
      const bound = yield* withinBudget(subscribeTimeout)
      yield* Deferred.await(connected).pipe(
        Effect.timeoutFail({
          duration: bound.duration,
          onTimeout: (): ClientError =>
            Option.match(bound.budget, {
              onNone: () =>
                unreachable(`the event stream did not confirm the subscription within ${Duration.format(subscribeTimeout)}`),
              onSome: ({ seconds }) =>
                new WaitTimeout({
                  waitingFor: `the event stream of ${redactUrl(target.url)} to confirm the subscription`,
                  seconds,
                  hint: "the command's --timeout ran out"
                })
            })
        })
      )
      return { events: Mailbox.toStream(mailbox) }
    })

    const client: OpenCodeClientShape = {
      target,
      health: json({ method: "GET", path: "/global/health" }, Health),
      openApi: json({ method: "GET", path: "/doc", heavy: true }, OpenApiDocument),
      config: (options) => json({ method: "GET", path: "/config", query: directoryQuery(options) }, ServerConfig),
      agents: (options) => json({ method: "GET", path: "/agent", query: directoryQuery(options) }, Schema.Array(Agent)),
      providers: (options) =>
        json({ method: "GET", path: "/config/providers", query: directoryQuery(options) }, ConfigProviders),
      providerCatalog: (options) =>
        json({ method: "GET", path: "/provider", query: directoryQuery(options), heavy: true }, ProviderCatalog),

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
      showToast: (toast, options) =>
        json({ method: "POST", path: "/tui/show-toast", query: directoryQuery(options), body: toast }, Schema.Boolean),
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
    return traced(client)
  })

/**
 * Node's HttpClient over one keep-alive agent: a command's calls share a few connections instead of opening one
 * per call (a long wait makes hundreds of calls). Idle pooled sockets do not keep the process alive.
 */
export const keepAliveHttpClient: Layer.Layer<HttpClient.HttpClient> = NodeHttpClient.layerWithoutAgent.pipe(
  Layer.provide(NodeHttpClient.makeAgentLayer({ keepAlive: true }))
)

/** Clients of targets a program resolves itself (doctor's probe), over the platform's HttpClient. */
export const connector: Layer.Layer<OpenCodeConnector, never, HttpClient.HttpClient> = Layer.effect(
  OpenCodeConnector,
  Effect.map(HttpClient.HttpClient, (http) => ({
    connect: (target: ServerTarget) => makeOpenCodeClient(target).pipe(Effect.provideService(HttpClient.HttpClient, http))
  }))
)

/** The live client for a resolved target, over the platform's HttpClient. */
export const layer = (target: ServerTarget, options?: ClientOptions) =>
  Layer.effect(OpenCodeClient, makeOpenCodeClient(target, options))

/** A server a library user names: its URL, and its password when it has one (HTTP Basic, user `opencode` by default). */
export interface ServerAddress {
  readonly url: string
  readonly password?: string | Redacted.Redacted<string> | undefined
  readonly username?: string | undefined
}

/**
 * The live client for a server the caller names (the CLI finds its server by SPEC §3's rules instead), over
 * `keepAliveHttpClient`: a layer that needs nothing else.
 */
export const forServer = (server: ServerAddress, options?: ClientOptions): Layer.Layer<OpenCodeClient> =>
  layer(
    {
      url: server.url,
      rule: "--url",
      username: server.username ?? "opencode",
      password:
        server.password === undefined || Redacted.isRedacted(server.password) ? server.password : Redacted.make(server.password)
    },
    options
  ).pipe(Layer.provide(keepAliveHttpClient))

export type { SessionCallError }
