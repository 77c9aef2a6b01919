/**
 * The scripted model: an OpenAI-compatible chat-completions server on 127.0.0.1. What it answers is decided by
 * `ScriptedModelRules.decide` (the rules of the model script in force, then prompt markers); `respond` is the one
 * engine that turns that answer into a completion, streamed or not, or an HTTP error. Every request is recorded.
 */
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as HttpRouter from "@effect/platform/HttpRouter"
import * as HttpServer from "@effect/platform/HttpServer"
import type { ServeError } from "@effect/platform/HttpServerError"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Random from "effect/Random"
import * as Ref from "effect/Ref"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import * as Http from "node:http"
import { SandboxError } from "../src/domain/Errors.js"
import {
  decodeModelScript,
  ModelRequest,
  type ModelScript,
  ScriptedModel,
  ScriptedModelRemote,
  scriptProblems,
  ScriptStatus
} from "../services/ScriptedModel.js"
import {
  type Answer,
  ChatRequest,
  decide,
  headersOfInterest,
  loadScript,
  messageText,
  noScript,
  openAiError,
  type Pacing,
  readRequest,
  type RequestFacts,
  type ScriptState
} from "./ScriptedModelRules.js"

export { parseMarkers, readRequest, ruleHolds, decide, loadScript, noScript, unmatchedMessage } from "./ScriptedModelRules.js"

// ---------------------------------------------------------------------------------------------------------------------
// Answering
// ---------------------------------------------------------------------------------------------------------------------

const tokenEstimate = (text: string): number => Math.max(1, Math.ceil(text.length / 4))

/** Word-sized pieces, so clients have to accumulate deltas like they do with real models. */
const wordPieces = (text: string): ReadonlyArray<string> => text.match(/\s*\S+\s*/g) ?? (text === "" ? [] : [text])

const sizedPieces = (text: string, size: number): ReadonlyArray<string> =>
  Array.from({ length: Math.ceil(text.length / size) }, (_, i) => text.slice(i * size, (i + 1) * size))

/** About 20 pieces (one per character for short texts, at least 2) so a slow reply is paced evenly. */
const slowPieces = (text: string): ReadonlyArray<string> => {
  const count = Math.max(2, Math.min(20, text.length))
  const size = Math.ceil(text.length / count)
  return Array.from({ length: count }, (_, i) => text.slice(i * size, (i + 1) * size))
}

/** The deltas of a text: spread over time only for the reply (`Spread`), never for reasoning. */
const pieces = (text: string, pacing: Pacing, spread: boolean): Stream.Stream<string> => {
  switch (pacing._tag) {
    case "Words":
      return Stream.fromIterable(wordPieces(text))
    case "Chunks":
      return Stream.fromIterable(sizedPieces(text, pacing.size))
    case "Spread": {
      if (!spread) return Stream.fromIterable(wordPieces(text))
      const all = slowPieces(text)
      const pause = Duration.millis((pacing.seconds * 1000) / all.length)
      return Stream.fromIterable(all).pipe(Stream.tap(() => Effect.sleep(pause)))
    }
  }
}

const randomId = Effect.map(Random.nextIntBetween(0, 2 ** 31), (n) => n.toString(36).padStart(6, "0"))

const errorJson = (status: number, message: string, type: string) =>
  HttpServerResponse.unsafeJson(openAiError(status, message, type), { status })

/** The one response engine: markers and rules alike answer through it. */
const respond = Effect.fn("ScriptedModel.respond")(
  function*(chat: ChatRequest, answer: Answer) {
    if (answer.delaySeconds > 0) yield* Effect.sleep(Duration.millis(answer.delaySeconds * 1000))
    if (answer._tag === "Failure") return HttpServerResponse.unsafeJson(answer.body, { status: answer.status })
    const id = `chatcmpl-${yield* randomId}`
    const created = Math.floor((yield* Clock.currentTimeMillis) / 1000)
    const toolCalls = yield* Effect.forEach(answer.toolCalls, (call) =>
      Effect.map(randomId, (suffix) => ({
        id: `call_${call.number}_${suffix}`,
        type: "function",
        function: { name: call.name, arguments: call.arguments }
      })))
    const { text, reasoning } = answer
    const finishReason = toolCalls.length > 0 ? "tool_calls" : "stop"
    const promptTokens = tokenEstimate(chat.messages.map((message) => messageText(message.content)).join(""))
    const completionTokens = tokenEstimate(text + (reasoning ?? "") + toolCalls.map((call) => call.function.arguments).join(""))
    const usage = { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens }
    if (chat.stream !== true) {
      const message = {
        role: "assistant",
        content: toolCalls.length > 0 && text === "" ? null : text,
        ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}),
        ...(reasoning !== undefined ? { reasoning_content: reasoning } : {})
      }
      return HttpServerResponse.unsafeJson({
        id,
        object: "chat.completion",
        created,
        model: chat.model,
        choices: [{ index: 0, message, finish_reason: finishReason }],
        usage
      })
    }
    const envelope = { id, object: "chat.completion.chunk", created, model: chat.model }
    const chunk = (delta: object, finish: string | null = null) => ({
      ...envelope,
      choices: [{ index: 0, delta, finish_reason: finish }]
    })
    const events = Stream.make<Array<object>>(chunk({ role: "assistant" })).pipe(
      Stream.concat(Stream.map(pieces(reasoning ?? "", answer.pacing, false), (piece) => chunk({ reasoning_content: piece }))),
      Stream.concat(Stream.map(pieces(text, answer.pacing, true), (piece) => chunk({ content: piece }))),
      Stream.concat(Stream.fromIterable(toolCalls.map((call, index) => chunk({ tool_calls: [{ index, ...call }] })))),
      Stream.concat(Stream.make(chunk({}, finishReason), { ...envelope, choices: [], usage })),
      Stream.map((event) => `data: ${JSON.stringify(event)}\n\n`),
      Stream.concat(Stream.make("data: [DONE]\n\n")),
      Stream.encodeText
    )
    return HttpServerResponse.stream(events, {
      contentType: "text/event-stream",
      headers: { "cache-control": "no-cache", connection: "keep-alive" }
    })
  }
)

const actionOf = (facts: RequestFacts, answer: Answer) =>
  answer._tag === "Failure" ? "fail" : answer.toolCalls.length > 0 ? "tool" : facts.kind === "title" ? "title" : "reply"

// ---------------------------------------------------------------------------------------------------------------------
// Server
// ---------------------------------------------------------------------------------------------------------------------

interface State {
  readonly nextIndex: number
  readonly requests: ReadonlyArray<ModelRequest>
  readonly script: ScriptState
}

const statusOf = (script: ScriptState): ScriptStatus => ({
  active: script.rules !== undefined,
  rules: script.rules ?? [],
  chatRequests: script.chatRequests
})

const decodeScriptBody = (body: unknown) =>
  Either.mapLeft(decodeModelScript(body), (error) => errorJson(400, `not a model script: ${scriptProblems(error)}`, "invalid_script"))

const makeScriptedModel = Effect.gen(function*() {
  // Indexes keep increasing across clears so a record is never confused with an earlier one.
  const state = yield* Ref.make<State>({ nextIndex: 0, requests: [], script: noScript })
  const requests = Effect.map(Ref.get(state), (current) => current.requests)
  const clear = Ref.update(state, (current) => ({ ...current, requests: [] }))
  const script = Effect.map(Ref.get(state), (current) => statusOf(current.script))
  const setScript = (next: ModelScript, options?: { readonly append?: boolean }) =>
    Ref.modify(state, (current) => {
      const loaded = loadScript(current.script, next, options?.append === true)
      return [statusOf(loaded), { ...current, script: loaded }] as const
    })
  const clearScript = Ref.update(state, (current) => ({ ...current, script: { ...current.script, rules: undefined } }))

  /** Decides the answer and records the request in one step, so `times` and `request` count every request once. */
  const receive = (path: string, body: unknown, chat: ChatRequest, headers: Record<string, string>) =>
    Effect.flatMap(Clock.currentTimeMillis, (receivedAt) =>
      Ref.modify(state, (current) => {
        const facts = readRequest(chat, headers)
        const index = current.nextIndex
        const [decision, script] = decide(current.script, facts, index)
        const record: ModelRequest = {
          index,
          receivedAt,
          path,
          model: chat.model,
          stream: chat.stream === true,
          kind: facts.kind,
          action: actionOf(facts, decision.answer),
          status: decision.answer._tag === "Failure" ? decision.answer.status : 200,
          rule: decision.rule,
          ...(facts.agent !== undefined ? { agent: facts.agent } : {}),
          ...(facts.sessionID !== undefined ? { sessionID: facts.sessionID } : {}),
          headers,
          system: facts.system,
          lastUserText: facts.lastUserText,
          messageCount: chat.messages.length,
          messages: facts.messages,
          toolNames: facts.toolNames,
          body
        }
        return [{ facts, decision }, { nextIndex: index + 1, requests: [...current.requests, record], script }] as const
      })
    )

  const chatCompletions = Effect.gen(function*() {
    const request = yield* HttpServerRequest.HttpServerRequest
    const body = yield* request.json
    const chat = yield* Schema.decodeUnknown(ChatRequest)(body)
    const { decision, facts } = yield* receive(request.url, body, chat, headersOfInterest(request.headers))
    yield* Effect.annotateCurrentSpan({
      "ocm.model.request": facts.kind,
      "ocm.model.rule": decision.rule,
      "ocm.model.action": actionOf(facts, decision.answer)
    })
    return yield* respond(chat, decision.answer)
  }).pipe(
    Effect.catchTags({
      RequestError: (error) => Effect.succeed(errorJson(400, `unreadable request body: ${error.message}`, "invalid_request_error")),
      ParseError: (error) => Effect.succeed(errorJson(400, `not a chat completion request: ${error.message}`, "invalid_request_error"))
    })
  )

  const putScript = (append: boolean) =>
    Effect.gen(function*() {
      const request = yield* HttpServerRequest.HttpServerRequest
      const decoded = decodeScriptBody(yield* request.json)
      if (Either.isLeft(decoded)) return decoded.left
      return HttpServerResponse.unsafeJson(Schema.encodeSync(ScriptStatus)(yield* setScript(decoded.right, { append })))
    }).pipe(
      Effect.catchTag("RequestError", (error) => Effect.succeed(errorJson(400, `unreadable script: ${error.message}`, "invalid_script")))
    )

  const app = HttpRouter.empty.pipe(
    HttpRouter.post("/v1/chat/completions", chatCompletions),
    HttpRouter.get("/v1/models", Effect.succeed(HttpServerResponse.unsafeJson({ object: "list", data: [{ id: "scripted", object: "model" }] }))),
    HttpRouter.get("/_ocm/requests", Effect.map(requests, (all) => HttpServerResponse.unsafeJson(all))),
    HttpRouter.del("/_ocm/requests", Effect.as(clear, HttpServerResponse.unsafeJson(true))),
    HttpRouter.get("/_ocm/script", Effect.map(script, (status) => HttpServerResponse.unsafeJson(Schema.encodeSync(ScriptStatus)(status)))),
    HttpRouter.put("/_ocm/script", putScript(false)),
    HttpRouter.post("/_ocm/script", putScript(true)),
    HttpRouter.del("/_ocm/script", Effect.as(clearScript, HttpServerResponse.unsafeJson(true))),
    HttpRouter.get("/_ocm/health", Effect.succeed(HttpServerResponse.unsafeJson({ ok: true }))),
    HttpRouter.all(
      "*",
      Effect.map(HttpServerRequest.HttpServerRequest, (request) =>
        errorJson(404, `no route for ${request.method} ${request.url}`, "not_found"))
    )
  )
  yield* HttpServer.serveEffect(app)
  const server = yield* HttpServer.HttpServer
  const port = server.address._tag === "TcpAddress" ? server.address.port : 0
  return ScriptedModel.of({ url: `http://127.0.0.1:${port}/v1`, port, requests, clear, setScript, clearScript, script })
})

/**
 * Starts the scripted model on 127.0.0.1 (port 0 picks a free port) for the lifetime of the layer, with `script` in
 * force when given.
 */
export const layer = (options?: { readonly port?: number; readonly script?: ModelScript | undefined }): Layer.Layer<ScriptedModel, ServeError> =>
  Layer.suspend(() => {
    let server: Http.Server | undefined
    // closing waits for open connections; a slow stream to a client that vanished must not hold release up
    const dropConnections = Effect.addFinalizer(() => Effect.sync(() => server?.closeAllConnections()))
    const initialScript = (model: ScriptedModel["Type"]) =>
      options?.script === undefined ? Effect.void : Effect.asVoid(model.setScript(options.script))
    return Layer.scoped(ScriptedModel, Effect.tap(Effect.zipLeft(makeScriptedModel, dropConnections), initialScript)).pipe(
      Layer.provide(
        NodeHttpServer.layer(() => (server = Http.createServer()), { port: options?.port ?? 0, host: "127.0.0.1" })
      )
    )
  })

// ---------------------------------------------------------------------------------------------------------------------
// A scripted model running elsewhere (a background sandbox's)
// ---------------------------------------------------------------------------------------------------------------------

const originOf = (modelUrl: string) =>
  Effect.try({
    try: () => new URL(modelUrl).origin,
    catch: () => new SandboxError({ reason: `not a scripted model URL: ${modelUrl}` })
  })

/** Any failure to reach the model (or an answer it refused) as one SandboxError saying what was being done. */
const reaching = (what: string, modelUrl: string) => <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.catchAll(effect, (error) =>
    Effect.fail(
      error instanceof SandboxError
        ? error
        : new SandboxError({
          reason: `could not ${what} the scripted model at ${modelUrl}: ${error instanceof Error ? error.message : String(error)}`
        })
    ))

/** The model's own error message, when it refused a request (an invalid script). */
const refusal = (response: HttpClientResponse.HttpClientResponse) =>
  Effect.flatMap(response.json, (body) => {
    const message = (body as { error?: { message?: unknown } } | null)?.error?.message
    return Effect.fail(new SandboxError({ reason: `the scripted model refused it (HTTP ${response.status}): ${String(message ?? "")}` }))
  })

/** Reads the record of a scripted model running elsewhere, given its URL (any path; only the origin is used). */
export const fetchRecordedRequests: (
  modelUrl: string
) => Effect.Effect<ReadonlyArray<ModelRequest>, SandboxError, HttpClient.HttpClient> = Effect.fn(
  "ScriptedModel.fetchRecordedRequests"
)(
  function*(modelUrl: string) {
    const origin = yield* originOf(modelUrl)
    const client = (yield* HttpClient.HttpClient).pipe(HttpClient.filterStatusOk)
    const response = yield* client.get(`${origin}/_ocm/requests`)
    return yield* HttpClientResponse.schemaBodyJson(Schema.Array(ModelRequest))(response)
  },
  (effect, modelUrl) => reaching("read the requests of", modelUrl)(effect)
)

/** Puts a script in force on a scripted model running elsewhere (replacing its script, or appended to it). */
export const sendScript: (
  modelUrl: string,
  script: ModelScript,
  options?: { readonly append?: boolean }
) => Effect.Effect<ScriptStatus, SandboxError, HttpClient.HttpClient> = Effect.fn("ScriptedModel.sendScript")(
  function*(modelUrl: string, script: ModelScript, options?: { readonly append?: boolean }) {
    const origin = yield* originOf(modelUrl)
    const client = yield* HttpClient.HttpClient
    const request = (options?.append ? HttpClientRequest.post : HttpClientRequest.put)(`${origin}/_ocm/script`)
    // a script is its own JSON form (no field of it is transformed)
    const body = yield* HttpClientRequest.bodyJson(request, script)
    const response = yield* client.execute(body)
    if (response.status !== 200) return yield* refusal(response)
    return yield* HttpClientResponse.schemaBodyJson(ScriptStatus)(response)
  },
  (effect, modelUrl) => reaching("send the script to", modelUrl)(effect)
)

/** The script in force on a scripted model running elsewhere. */
export const fetchScript: (modelUrl: string) => Effect.Effect<ScriptStatus, SandboxError, HttpClient.HttpClient> = Effect.fn(
  "ScriptedModel.fetchScript"
)(
  function*(modelUrl: string) {
    const origin = yield* originOf(modelUrl)
    const client = (yield* HttpClient.HttpClient).pipe(HttpClient.filterStatusOk)
    return yield* HttpClientResponse.schemaBodyJson(ScriptStatus)(yield* client.get(`${origin}/_ocm/script`))
  },
  (effect, modelUrl) => reaching("read the script of", modelUrl)(effect)
)

/** `ScriptedModelRemote` over the HttpClient in context. */
export const remote = Layer.effect(
  ScriptedModelRemote,
  Effect.map(HttpClient.HttpClient, (client) => {
    const withClient = <A, E>(effect: Effect.Effect<A, E, HttpClient.HttpClient>) =>
      Effect.provideService(effect, HttpClient.HttpClient, client)
    return ScriptedModelRemote.of({
      requests: (modelUrl) => withClient(fetchRecordedRequests(modelUrl)),
      setScript: (modelUrl, script, options) => withClient(sendScript(modelUrl, script, options)),
      script: (modelUrl) => withClient(fetchScript(modelUrl))
    })
  })
)
