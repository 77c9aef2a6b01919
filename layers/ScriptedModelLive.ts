import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as HttpRouter from "@effect/platform/HttpRouter"
import * as HttpServer from "@effect/platform/HttpServer"
import type { ServeError } from "@effect/platform/HttpServerError"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import * as Arr from "effect/Array"
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Random from "effect/Random"
import * as Ref from "effect/Ref"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import * as Http from "node:http"
import { SandboxError } from "../src/domain/Errors.js"
import { ModelRequest, ScriptedModel } from "../services/ScriptedModel.js"

// ---------------------------------------------------------------------------------------------------------------------
// Script: what the markers in the last user message ask for
// ---------------------------------------------------------------------------------------------------------------------

export interface ScriptedToolCall {
  readonly name: string
  /** The arguments as the JSON string sent in `function.arguments`. */
  readonly arguments: string
}

export interface Script {
  /** Final reply text: the "Reply with ONLY" text, or the default echo. */
  readonly reply: string
  readonly replyIsExact: boolean
  readonly slowSeconds: number | undefined
  readonly toolCalls: ReadonlyArray<ScriptedToolCall>
  readonly failStatus: number | undefined
  readonly reasoning: string | undefined
}

interface Marker {
  readonly start: number
  readonly end: number
  readonly inner: string
}

/** Index just past the `}` matching the `{` at `open`, honouring JSON strings; -1 if unbalanced. */
const matchingBraceEnd = (text: string, open: number): number => {
  let depth = 0
  let inString = false
  for (let i = open; i < text.length; i++) {
    const char = text[i]
    if (inString) {
      if (char === "\\") i++
      else if (char === "\"") inString = false
    } else if (char === "\"") inString = true
    else if (char === "{") depth++
    else if (char === "}" && --depth === 0) return i + 1
  }
  return -1
}

/** Tool arguments may themselves contain "]]", so a tool marker ends at the "]]" after its balanced JSON object. */
const markerEnd = (text: string, innerStart: number): number => {
  const plainClose = text.indexOf("]]", innerStart)
  if (plainClose < 0) return -1
  const brace = text.indexOf("{", innerStart)
  if (/^tool\s/.test(text.slice(innerStart)) && brace >= 0 && brace < plainClose) {
    const jsonEnd = matchingBraceEnd(text, brace)
    const close = jsonEnd < 0 ? -1 : text.indexOf("]]", jsonEnd)
    if (close >= 0 && text.slice(jsonEnd, close).trim() === "") return close + 2
  }
  return plainClose + 2
}

const findMarkers = (text: string): ReadonlyArray<Marker> => {
  const markers: Array<Marker> = []
  for (let start = text.indexOf("[["); start >= 0; ) {
    const end = markerEnd(text, start + 2)
    if (end < 0) break
    markers.push({ start, end, inner: text.slice(start + 2, end - 2) })
    start = text.indexOf("[[", end)
  }
  return markers
}

const withoutMarkers = (text: string, markers: ReadonlyArray<Marker>): string =>
  markers.reduceRight((rest, marker) => rest.slice(0, marker.start) + rest.slice(marker.end), text)

const normalizedArguments = (json: string): string => {
  if (json === "") return "{}"
  try {
    return JSON.stringify(JSON.parse(json))
  } catch {
    // Malformed arguments are passed on untouched so tests can script a broken tool call.
    return json
  }
}

const replyMarker = "Reply with ONLY "

/** Reads the script from the text of the last user message. Pure. */
export const parseScript = (lastUserText: string): Script => {
  const markers = findMarkers(lastUserText)
  const plain = withoutMarkers(lastUserText, markers)
  const toolCalls: Array<ScriptedToolCall> = []
  const reasons: Array<string> = []
  let slowSeconds: number | undefined
  let failStatus: number | undefined
  for (const { inner } of markers) {
    const slow = /^slow\s+(\d+(?:\.\d+)?|\.\d+)\s*$/.exec(inner)
    const fail = /^fail\s+(\d{3})\s*$/.exec(inner)
    const tool = /^tool\s+([^\s{]+)\s*([\s\S]*)$/.exec(inner)
    const reason = /^reason\s+([\s\S]*)$/.exec(inner)
    if (slow) slowSeconds ??= Number(slow[1])
    else if (fail && Number(fail[1]) >= 400 && Number(fail[1]) <= 599) failStatus ??= Number(fail[1])
    else if (tool) toolCalls.push({ name: tool[1]!, arguments: normalizedArguments(tool[2]!.trim()) })
    else if (reason) reasons.push(reason[1]!.trim())
  }
  const replyAt = plain.indexOf(replyMarker)
  const exact = replyAt < 0 ? undefined : plain.slice(replyAt + replyMarker.length).split("\n")[0]!.trim()
  return {
    reply: exact === undefined ? `echo: ${plain.trim()}` : exact.endsWith(".") ? exact.slice(0, -1) : exact,
    replyIsExact: exact !== undefined,
    slowSeconds,
    toolCalls,
    failStatus,
    reasoning: reasons.length > 0 ? reasons.join("\n") : undefined
  }
}

// ---------------------------------------------------------------------------------------------------------------------
// Requests and answers
// ---------------------------------------------------------------------------------------------------------------------

const ChatRequest = Schema.Struct({
  model: Schema.optionalWith(Schema.String, { default: () => "scripted" }),
  messages: Schema.Array(Schema.Struct({ role: Schema.String, content: Schema.optional(Schema.Unknown) })),
  tools: Schema.optional(Schema.NullOr(Schema.Array(Schema.Struct({ function: Schema.Struct({ name: Schema.String }) })))),
  stream: Schema.optional(Schema.NullOr(Schema.Boolean))
})
type ChatRequest = typeof ChatRequest.Type

const messageText = (content: unknown): string =>
  typeof content === "string"
    ? content
    : Array.isArray(content)
    ? content.flatMap((part) => (part?.type === "text" && typeof part.text === "string" ? [part.text] : [])).join("\n")
    : ""

const titleText = "Scripted session"

type Answer =
  | { readonly action: "fail"; readonly status: number }
  | { readonly action: "title" | "reply"; readonly text: string; readonly reasoning: string | undefined; readonly slowSeconds: number | undefined }
  | { readonly action: "tool"; readonly call: ScriptedToolCall; readonly callNumber: number }

interface Received {
  readonly chat: ChatRequest
  readonly kind: "title" | "chat"
  readonly lastUserText: string
  readonly answer: Answer
}

const understand = (chat: ChatRequest): Received => {
  const messages = chat.messages
  const lastUserIndex = Option.getOrElse(Arr.findLastIndex(messages, (message) => message.role === "user"), () => -1)
  const lastUserText = lastUserIndex < 0 ? "" : messageText(messages[lastUserIndex]!.content)
  const systemMessages = messages.filter((message) => message.role === "system")
  const instructions = (systemMessages.length > 0 ? systemMessages : messages.slice(0, 1))
    .map((message) => messageText(message.content)).join("\n")
  // OpenCode's title request opens with "You are a title generator"; the proof agent also has no tools
  const kind = /title generator/i.test(instructions) && (chat.tools ?? []).length === 0 ? "title" : "chat"
  const script = parseScript(lastUserText)
  const toolResults = messages.slice(lastUserIndex + 1).filter((message) => message.role === "tool").length
  const answer: Answer = kind === "title"
    ? { action: "title", text: titleText, reasoning: undefined, slowSeconds: undefined }
    : script.failStatus !== undefined
    ? { action: "fail", status: script.failStatus }
    : toolResults < script.toolCalls.length
    ? { action: "tool", call: script.toolCalls[toolResults]!, callNumber: toolResults }
    : { action: "reply", text: script.reply, reasoning: script.reasoning, slowSeconds: script.slowSeconds }
  return { chat, kind, lastUserText, answer }
}

const tokenEstimate = (text: string): number => Math.max(1, Math.ceil(text.length / 4))

/** Word-sized pieces, so clients have to accumulate deltas like they do with real models. */
const wordPieces = (text: string): ReadonlyArray<string> => text.match(/\s*\S+\s*/g) ?? (text === "" ? [] : [text])

/** About 20 pieces (one per character for short texts, at least 2) so a slow reply is paced evenly. */
const slowPieces = (text: string): ReadonlyArray<string> => {
  const count = Math.max(2, Math.min(20, text.length))
  const size = Math.ceil(text.length / count)
  return Array.from({ length: count }, (_, i) => text.slice(i * size, (i + 1) * size))
}

const randomId = Effect.map(Random.nextIntBetween(0, 2 ** 31), (n) => n.toString(36).padStart(6, "0"))

const errorJson = (status: number, message: string, type: string) =>
  HttpServerResponse.unsafeJson({ error: { message, type, code: status } }, { status })

const respond = Effect.fn("ScriptedModel.respond")(
  function*(received: Received) {
    const { answer, chat } = received
    yield* Effect.annotateCurrentSpan({ "ocm.model.request": received.kind, "ocm.model.action": answer.action })
    if (answer.action === "fail") {
      return errorJson(answer.status, `scripted failure ${answer.status}`, "scripted_failure")
    }
    const id = `chatcmpl-${yield* randomId}`
    const created = Math.floor((yield* Clock.currentTimeMillis) / 1000)
    const toolCall = answer.action === "tool"
      ? {
        id: `call_${answer.callNumber}_${yield* randomId}`,
        type: "function",
        function: { name: answer.call.name, arguments: answer.call.arguments }
      }
      : undefined
    const text = answer.action === "tool" ? "" : answer.text
    const reasoning = answer.action === "tool" ? undefined : answer.reasoning
    const finishReason = toolCall ? "tool_calls" : "stop"
    const promptTokens = tokenEstimate(chat.messages.map((message) => messageText(message.content)).join(""))
    const completionTokens = tokenEstimate(text + (reasoning ?? "") + (toolCall?.function.arguments ?? ""))
    const usage = { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens }
    if (chat.stream !== true) {
      const message = {
        role: "assistant",
        content: toolCall ? null : text,
        ...(toolCall ? { tool_calls: [toolCall] } : {}),
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
    const slowSeconds = answer.action === "tool" ? undefined : answer.slowSeconds
    const contentPieces = slowSeconds === undefined ? Stream.fromIterable(wordPieces(text)) : (() => {
      const pieces = slowPieces(text)
      const pause = Duration.millis((slowSeconds * 1000) / pieces.length)
      return Stream.fromIterable(pieces).pipe(Stream.tap(() => Effect.sleep(pause)))
    })()
    const events = Stream.make<Array<object>>(chunk({ role: "assistant" })).pipe(
      Stream.concat(Stream.fromIterable(wordPieces(reasoning ?? "")).pipe(Stream.map((piece) => chunk({ reasoning_content: piece })))),
      Stream.concat(Stream.map(contentPieces, (piece) => chunk({ content: piece }))),
      Stream.concat(Stream.fromIterable(toolCall ? [chunk({ tool_calls: [{ index: 0, ...toolCall }] })] : [])),
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

// ---------------------------------------------------------------------------------------------------------------------
// Server
// ---------------------------------------------------------------------------------------------------------------------

interface Records {
  readonly nextIndex: number
  readonly requests: ReadonlyArray<ModelRequest>
}

const makeScriptedModel = Effect.gen(function*() {
  // Indexes keep increasing across clears so a record is never confused with an earlier one.
  const records = yield* Ref.make<Records>({ nextIndex: 0, requests: [] })
  const requests = Effect.map(Ref.get(records), (state) => state.requests)
  const clear = Ref.update(records, (state) => ({ ...state, requests: [] }))

  const record = (path: string, body: unknown, received: Received) =>
    Effect.flatMap(Clock.currentTimeMillis, (receivedAt) =>
      Ref.update(records, (state) => ({
        nextIndex: state.nextIndex + 1,
        requests: [...state.requests, {
          index: state.nextIndex,
          receivedAt,
          path,
          model: received.chat.model,
          stream: received.chat.stream === true,
          kind: received.kind,
          action: received.answer.action,
          system: received.chat.messages.filter((message) => message.role === "system")
            .map((message) => messageText(message.content)).join("\n\n"),
          lastUserText: received.lastUserText,
          messageCount: received.chat.messages.length,
          toolNames: (received.chat.tools ?? []).map((tool) => tool.function.name),
          body
        }]
      }))
    )

  const chatCompletions = Effect.gen(function*() {
    const request = yield* HttpServerRequest.HttpServerRequest
    const body = yield* request.json
    const received = understand(yield* Schema.decodeUnknown(ChatRequest)(body))
    yield* record(request.url, body, received)
    return yield* respond(received)
  }).pipe(
    Effect.catchTags({
      RequestError: (error) => Effect.succeed(errorJson(400, `unreadable request body: ${error.message}`, "invalid_request_error")),
      ParseError: (error) => Effect.succeed(errorJson(400, `not a chat completion request: ${error.message}`, "invalid_request_error"))
    })
  )

  const app = HttpRouter.empty.pipe(
    HttpRouter.post("/v1/chat/completions", chatCompletions),
    HttpRouter.get("/v1/models", Effect.succeed(HttpServerResponse.unsafeJson({ object: "list", data: [{ id: "scripted", object: "model" }] }))),
    HttpRouter.get("/_ocm/requests", Effect.map(requests, (all) => HttpServerResponse.unsafeJson(all))),
    HttpRouter.del("/_ocm/requests", Effect.as(clear, HttpServerResponse.unsafeJson(true))),
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
  return ScriptedModel.of({ url: `http://127.0.0.1:${port}/v1`, port, requests, clear })
})

/** Starts the scripted model on 127.0.0.1 (port 0 picks a free port) for the lifetime of the layer. */
export const layer = (options?: { readonly port?: number }): Layer.Layer<ScriptedModel, ServeError> =>
  Layer.suspend(() => {
    let server: Http.Server | undefined
    // closing waits for open connections; a slow stream to a client that vanished must not hold release up
    const dropConnections = Effect.addFinalizer(() => Effect.sync(() => server?.closeAllConnections()))
    return Layer.scoped(ScriptedModel, Effect.zipLeft(makeScriptedModel, dropConnections)).pipe(
      Layer.provide(
        NodeHttpServer.layer(() => (server = Http.createServer()), { port: options?.port ?? 0, host: "127.0.0.1" })
      )
    )
  })

/** Reads the record of a scripted model running elsewhere, given its URL (any path; only the origin is used). */
export const fetchRecordedRequests: (
  modelUrl: string
) => Effect.Effect<ReadonlyArray<ModelRequest>, SandboxError, HttpClient.HttpClient> = Effect.fn(
  "ScriptedModel.fetchRecordedRequests"
)(
  function*(modelUrl: string) {
    const origin = yield* Effect.try({
      try: () => new URL(modelUrl).origin,
      catch: () => new SandboxError({ reason: `not a scripted model URL: ${modelUrl}` })
    })
    const client = (yield* HttpClient.HttpClient).pipe(HttpClient.filterStatusOk)
    const response = yield* client.get(`${origin}/_ocm/requests`)
    return yield* HttpClientResponse.schemaBodyJson(Schema.Array(ModelRequest))(response)
  },
  (effect, modelUrl) =>
    Effect.catchAll(effect, (error) =>
      Effect.fail(
        error instanceof SandboxError
          ? error
          : new SandboxError({ reason: `could not read the scripted model's requests from ${modelUrl}: ${error.message}` })
      )
    )
  )
