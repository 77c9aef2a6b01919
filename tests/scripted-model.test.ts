import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import { assert, describe, it } from "@effect/vitest"
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Schema from "effect/Schema"
import { fetchRecordedRequests, fetchScript, layer as scriptedModelLayer, parseMarkers, sendScript } from "../layers/ScriptedModelLive.js"
import { ScriptedModel } from "../services/ScriptedModel.js"

// ---------------------------------------------------------------------------------------------------------------------
// parseMarkers
// ---------------------------------------------------------------------------------------------------------------------

describe("parseMarkers", () => {
  it("takes the exact reply from the rest of the line, dropping one trailing dot", () => {
    assert.deepStrictEqual(parseMarkers("Reply with ONLY READY."), {
      reply: "READY",
      replyIsExact: true,
      slowSeconds: undefined,
      toolCalls: [],
      failStatus: undefined,
      reasoning: undefined
    })
    assert.strictEqual(parseMarkers("Reply with ONLY v1.2..").reply, "v1.2.")
    assert.strictEqual(parseMarkers("context first\nReply with ONLY   two words  \nignored line").reply, "two words")
  })

  it("echoes the text without markers when there is no exact reply", () => {
    const script = parseMarkers("  hello [[slow 0.1]] world [[unknown thing]]\n")
    assert.strictEqual(script.reply, "echo: hello  world")
    assert.isFalse(script.replyIsExact)
    assert.strictEqual(parseMarkers("").reply, "echo: ")
  })

  it("reads slow seconds, decimals included", () => {
    assert.strictEqual(parseMarkers("[[slow 2]]").slowSeconds, 2)
    assert.strictEqual(parseMarkers("[[slow 1.5]] Reply with ONLY x").slowSeconds, 1.5)
    assert.strictEqual(parseMarkers("[[slow .25]]").slowSeconds, 0.25)
    assert.strictEqual(parseMarkers("[[slow fast]]").slowSeconds, undefined)
  })

  it("reads tool calls in order, with JSON arguments that contain spaces and brackets", () => {
    const script = parseMarkers(
      "[[tool bash {\"command\": \"ls -la\", \"description\": \"List\"}]]\n" +
        "[[tool read {\"filePath\": \"a]]b\", \"nested\": {\"list\": [[1, 2]]}}]]\n" +
        "[[tool todoread]]\nReply with ONLY done."
    )
    assert.deepStrictEqual(script.toolCalls, [
      { name: "bash", arguments: "{\"command\":\"ls -la\",\"description\":\"List\"}" },
      { name: "read", arguments: "{\"filePath\":\"a]]b\",\"nested\":{\"list\":[[1,2]]}}" },
      { name: "todoread", arguments: "{}" }
    ])
    assert.strictEqual(script.reply, "done")
  })

  it("passes malformed tool arguments through untouched", () => {
    assert.deepStrictEqual(parseMarkers("[[tool bash {not json}]]").toolCalls, [{ name: "bash", arguments: "{not json}" }])
  })

  it("reads an HTTP error status to fail with", () => {
    assert.strictEqual(parseMarkers("[[fail 503]]").failStatus, 503)
    assert.strictEqual(parseMarkers("[[fail 429]] Reply with ONLY no").failStatus, 429)
    assert.strictEqual(parseMarkers("[[fail 200]]").failStatus, undefined)
    assert.strictEqual(parseMarkers("[[fail soon]]").failStatus, undefined)
  })

  it("reads reasoning text up to the end of the marker", () => {
    assert.strictEqual(parseMarkers("[[reason First, think {carefully}.]] Reply with ONLY 42").reasoning, "First, think {carefully}.")
    assert.strictEqual(parseMarkers("[[reason one]] [[reason two]]").reasoning, "one\ntwo")
  })

  it("combines every marker and ignores a reply phrase hidden inside a marker", () => {
    assert.deepStrictEqual(
      parseMarkers("[[reason Reply with ONLY wrong]] [[slow 3]] [[tool glob {\"pattern\": \"*.ts\"}]] [[fail 500]]\nReply with ONLY right. [[slow 9]]"),
      {
        reply: "right",
        replyIsExact: true,
        slowSeconds: 3,
        toolCalls: [{ name: "glob", arguments: "{\"pattern\":\"*.ts\"}" }],
        failStatus: 500,
        reasoning: "Reply with ONLY wrong"
      }
    )
  })
})

// ---------------------------------------------------------------------------------------------------------------------
// The live server
// ---------------------------------------------------------------------------------------------------------------------

const TestLayer = Layer.merge(scriptedModelLayer(), NodeHttpClient.layerUndici)

const ToolCall = Schema.Struct({
  id: Schema.String,
  type: Schema.Literal("function"),
  function: Schema.Struct({ name: Schema.String, arguments: Schema.String })
})
const Usage = Schema.Struct({ prompt_tokens: Schema.Number, completion_tokens: Schema.Number, total_tokens: Schema.Number })
const StreamChunk = Schema.Struct({
  id: Schema.String,
  object: Schema.Literal("chat.completion.chunk"),
  created: Schema.Number,
  model: Schema.String,
  choices: Schema.Array(Schema.Struct({
    index: Schema.Literal(0),
    delta: Schema.Struct({
      role: Schema.optional(Schema.Literal("assistant")),
      content: Schema.optional(Schema.String),
      reasoning_content: Schema.optional(Schema.String),
      tool_calls: Schema.optional(Schema.Array(Schema.extend(ToolCall, Schema.Struct({ index: Schema.Number }))))
    }),
    finish_reason: Schema.NullOr(Schema.String)
  })),
  usage: Schema.optional(Usage)
})
const Completion = Schema.Struct({
  id: Schema.String,
  object: Schema.Literal("chat.completion"),
  model: Schema.String,
  choices: Schema.Tuple(Schema.Struct({
    index: Schema.Literal(0),
    message: Schema.Struct({
      role: Schema.Literal("assistant"),
      content: Schema.NullOr(Schema.String),
      tool_calls: Schema.optional(Schema.Array(ToolCall)),
      reasoning_content: Schema.optional(Schema.String)
    }),
    finish_reason: Schema.String
  })),
  usage: Usage
})

interface Message {
  readonly role: "system" | "user" | "assistant" | "tool"
  readonly content: string | ReadonlyArray<{ readonly type: "text"; readonly text: string }> | null
  readonly tool_calls?: ReadonlyArray<unknown>
  readonly tool_call_id?: string
}

const chatBody = (messages: ReadonlyArray<Message>, extra: Record<string, unknown> = {}) => ({
  model: "scripted-test",
  messages,
  tools: [{ type: "function", function: { name: "bash", parameters: {} } }, { type: "function", function: { name: "read" } }],
  stream: true,
  ...extra
})

const send = (method: "GET" | "POST" | "PUT" | "DELETE", path: string, body?: unknown, headers: Record<string, string> = {}) =>
  Effect.gen(function*() {
    const model = yield* ScriptedModel
    const client = yield* HttpClient.HttpClient
    const origin = new URL(model.url).origin
    const request = HttpClientRequest.make(method)(`${origin}${path}`, { headers })
    const response = yield* client.execute(body === undefined ? request : HttpClientRequest.bodyUnsafeJson(request, body))
    return { status: response.status, contentType: response.headers["content-type"] ?? "", text: yield* response.text }
  })

const complete = (body: unknown, headers?: Record<string, string>) => send("POST", "/v1/chat/completions", body, headers)

/** Decodes an SSE body and folds its deltas the way an OpenAI client would. */
const readStream = (text: string) =>
  Effect.gen(function*() {
    const events = text.split("\n\n").filter((block) => block !== "")
    for (const event of events) assert.isTrue(event.startsWith("data: "), `not an SSE data line: ${event}`)
    assert.strictEqual(events.at(-1), "data: [DONE]")
    const chunks = yield* Effect.forEach(events.slice(0, -1), (event) => Schema.decodeUnknown(Schema.parseJson(StreamChunk))(event.slice("data: ".length)))
    const deltas = chunks.flatMap((chunk) => chunk.choices.map((choice) => choice.delta))
    const finishReasons = chunks.flatMap((chunk) => chunk.choices.flatMap((choice) => choice.finish_reason === null ? [] : [choice.finish_reason]))
    const contentPieces = deltas.flatMap((delta) => (delta.content === undefined ? [] : [delta.content]))
    const lastChunk = chunks.at(-1)!
    assert.strictEqual(new Set(chunks.map((chunk) => chunk.id)).size, 1, "every chunk of one answer shares its id")
    assert.deepStrictEqual(lastChunk.choices, [], "the usage chunk has no choices")
    return {
      model: chunks[0]!.model,
      id: chunks[0]!.id,
      firstRole: deltas[0]?.role,
      contentPieces,
      content: contentPieces.join(""),
      reasoning: deltas.flatMap((delta) => (delta.reasoning_content === undefined ? [] : [delta.reasoning_content])).join(""),
      reasoningFirst: deltas.findIndex((delta) => delta.reasoning_content !== undefined),
      contentFirst: deltas.findIndex((delta) => delta.content !== undefined),
      toolCalls: deltas.flatMap((delta) => delta.tool_calls ?? []),
      finishReasons,
      usage: lastChunk.usage
    }
  })

const streamed = (body: unknown) =>
  Effect.gen(function*() {
    const response = yield* complete(body)
    assert.strictEqual(response.status, 200, response.text)
    assert.include(response.contentType, "text/event-stream")
    return yield* readStream(response.text)
  })

const user = (content: Message["content"]): Message => ({ role: "user", content })

describe("scripted model server", () => {
  it.live("streams the exact reply with role, finish reason, usage and [DONE]", () =>
    Effect.gen(function*() {
      const answer = yield* streamed(chatBody([{ role: "system", content: "You are helpful." }, user("Reply with ONLY READY.")]))
      assert.strictEqual(answer.content, "READY")
      assert.strictEqual(answer.firstRole, "assistant")
      assert.strictEqual(answer.model, "scripted-test")
      assert.match(answer.id, /^chatcmpl-/)
      assert.deepStrictEqual(answer.finishReasons, ["stop"])
      assert.deepStrictEqual(answer.toolCalls, [])
      assert.isDefined(answer.usage)
      assert.isAbove(answer.usage!.prompt_tokens, 0)
      assert.isAbove(answer.usage!.completion_tokens, 0)
      assert.strictEqual(answer.usage!.total_tokens, answer.usage!.prompt_tokens + answer.usage!.completion_tokens)
    }).pipe(Effect.provide(TestLayer)))

  it.live("echoes the last user message, text parts joined, markers removed", () =>
    Effect.gen(function*() {
      const answer = yield* streamed(chatBody([
        user("Reply with ONLY OLD"),
        { role: "assistant", content: "OLD" },
        user([{ type: "text", text: "first part [[reason hmm]]" }, { type: "text", text: "second part" }])
      ]))
      assert.strictEqual(answer.content, "echo: first part \nsecond part")
      assert.strictEqual(answer.reasoning, "hmm")
      assert.isAbove(answer.contentPieces.length, 1, "the reply arrives in several deltas")
    }).pipe(Effect.provide(TestLayer)))

  it.live("answers the scripted tool calls in sequence, then the reply", () =>
    Effect.gen(function*() {
      const script = user("[[tool bash {\"command\": \"echo hi\"}]] [[tool read {\"filePath\": \"/tmp/x\"}]] Reply with ONLY finished.")
      const first = yield* streamed(chatBody([user("[[tool glob {}]] earlier turn"), { role: "tool", content: "stale", tool_call_id: "old" }, script]))
      assert.deepStrictEqual(first.finishReasons, ["tool_calls"])
      assert.strictEqual(first.content, "")
      assert.strictEqual(first.toolCalls.length, 1)
      assert.match(first.toolCalls[0]!.id, /^call_0_/)
      assert.deepStrictEqual(first.toolCalls[0]!.function, { name: "bash", arguments: "{\"command\":\"echo hi\"}" })

      const afterFirst = [
        script,
        { role: "assistant", content: null, tool_calls: [{ ...first.toolCalls[0], index: undefined }] },
        { role: "tool", content: "hi", tool_call_id: first.toolCalls[0]!.id }
      ] satisfies ReadonlyArray<Message>
      const second = yield* streamed(chatBody(afterFirst))
      assert.deepStrictEqual(second.finishReasons, ["tool_calls"])
      assert.match(second.toolCalls[0]!.id, /^call_1_/)
      assert.deepStrictEqual(second.toolCalls[0]!.function, { name: "read", arguments: "{\"filePath\":\"/tmp/x\"}" })

      const final = yield* streamed(chatBody([
        ...afterFirst,
        { role: "assistant", content: null, tool_calls: [second.toolCalls[0]] },
        { role: "tool", content: "contents", tool_call_id: second.toolCalls[0]!.id }
      ]))
      assert.deepStrictEqual(final.toolCalls, [])
      assert.deepStrictEqual(final.finishReasons, ["stop"])
      assert.strictEqual(final.content, "finished")

      const model = yield* ScriptedModel
      assert.deepStrictEqual((yield* model.requests).map((request) => request.action), ["tool", "tool", "reply"])
    }).pipe(Effect.provide(TestLayer)))

  it.live("fails with the scripted HTTP status and an OpenAI error body", () =>
    Effect.gen(function*() {
      const response = yield* complete(chatBody([user("[[fail 503]] Reply with ONLY never")]))
      assert.strictEqual(response.status, 503)
      assert.include(response.contentType, "application/json")
      assert.deepStrictEqual(JSON.parse(response.text), {
        error: { message: "scripted failure 503", type: "scripted_failure", code: 503 }
      })
    }).pipe(Effect.provide(TestLayer)))

  it.live("streams reasoning chunks before the reply", () =>
    Effect.gen(function*() {
      const answer = yield* streamed(chatBody([user("[[reason Let me think about the answer.]] Reply with ONLY 42")]))
      assert.strictEqual(answer.reasoning, "Let me think about the answer.")
      assert.strictEqual(answer.content, "42")
      assert.isAtLeast(answer.reasoningFirst, 0)
      assert.isBelow(answer.reasoningFirst, answer.contentFirst)
    }).pipe(Effect.provide(TestLayer)))

  it.live("spreads a slow reply over the requested time", () =>
    Effect.gen(function*() {
      const startedAt = yield* Clock.currentTimeMillis
      const answer = yield* streamed(chatBody([user("[[slow 1]] Reply with ONLY abcdefghijklmnopqrstuvwxyz")]))
      const elapsed = (yield* Clock.currentTimeMillis) - startedAt
      assert.strictEqual(answer.content, "abcdefghijklmnopqrstuvwxyz")
      assert.isAtLeast(elapsed, 800)
      assert.isAtLeast(answer.contentPieces.length, 10)

      const shortStartedAt = yield* Clock.currentTimeMillis
      const short = yield* streamed(chatBody([user("[[slow 0.5]] Reply with ONLY a")]))
      assert.isAtLeast((yield* Clock.currentTimeMillis) - shortStartedAt, 400)
      assert.strictEqual(short.content, "a")
      assert.isAtLeast(short.contentPieces.length, 2)
    }).pipe(Effect.provide(TestLayer)))

  it.live("answers title requests with the fixed title, only when no tools are offered", () =>
    Effect.gen(function*() {
      const titleMessages: ReadonlyArray<Message> = [
        { role: "system", content: "You are a title generator. You output ONLY a thread title." },
        user("Reply with ONLY READY.")
      ]
      const title = yield* streamed(chatBody(titleMessages, { tools: [] }))
      assert.strictEqual(title.content, "Scripted session")
      const withTools = yield* streamed(chatBody(titleMessages))
      assert.strictEqual(withTools.content, "READY")
      const firstMessage = yield* complete(chatBody([user("You are a title generator. Generate a title for: hi")], { tools: undefined, stream: false }))
      assert.strictEqual(JSON.parse(firstMessage.text).choices[0].message.content, "Scripted session")

      const model = yield* ScriptedModel
      const recorded = yield* model.requests
      assert.deepStrictEqual(recorded.map((request) => [request.kind, request.action]), [["title", "title"], ["chat", "reply"], ["title", "title"]])
    }).pipe(Effect.provide(TestLayer)))

  it.live("answers non-streaming requests with one chat.completion", () =>
    Effect.gen(function*() {
      const decode = Schema.decodeUnknown(Schema.parseJson(Completion))
      const reply = yield* complete(chatBody([user("[[reason because]] Reply with ONLY READY.")], { stream: false }))
      assert.strictEqual(reply.status, 200)
      assert.include(reply.contentType, "application/json")
      const completion = yield* decode(reply.text)
      assert.deepStrictEqual(completion.choices[0].message, { role: "assistant", content: "READY", reasoning_content: "because" })
      assert.strictEqual(completion.choices[0].finish_reason, "stop")
      assert.strictEqual(completion.model, "scripted-test")
      assert.strictEqual(completion.usage.total_tokens, completion.usage.prompt_tokens + completion.usage.completion_tokens)

      const { stream: _, ...withoutStream } = chatBody([user("[[tool bash {\"command\": \"pwd\"}]]")])
      const toolCall = yield* decode((yield* complete(withoutStream)).text)
      assert.strictEqual(toolCall.choices[0].finish_reason, "tool_calls")
      assert.strictEqual(toolCall.choices[0].message.content, null)
      assert.deepStrictEqual(toolCall.choices[0].message.tool_calls?.map((call) => call.function), [{ name: "bash", arguments: "{\"command\":\"pwd\"}" }])
    }).pipe(Effect.provide(TestLayer)))

  it.live("records every request, failures included, and serves the record over HTTP", () =>
    Effect.gen(function*() {
      const model = yield* ScriptedModel
      const before = yield* Clock.currentTimeMillis
      const toolBody = chatBody([
        { role: "system", content: "System one." },
        { role: "system", content: [{ type: "text", text: "System two." }] },
        user("[[tool bash {\"command\": \"ls\"}]] go")
      ])
      const failBody = chatBody([user("[[fail 500]]")], { stream: false })
      yield* complete(toolBody, { "x-ocm-agent": "build", "x-session-id": "ses_1", authorization: "Bearer secret" })
      yield* complete(failBody)
      const after = yield* Clock.currentTimeMillis

      const recorded = yield* model.requests
      assert.strictEqual(recorded.length, 2)
      const [tool, fail] = recorded
      assert.deepStrictEqual({ ...tool!, receivedAt: 0 }, {
        index: 0,
        receivedAt: 0,
        path: "/v1/chat/completions",
        model: "scripted-test",
        stream: true,
        kind: "chat",
        action: "tool",
        status: 200,
        rule: "marker",
        agent: "build",
        sessionID: "ses_1",
        headers: { "x-ocm-agent": "build", "x-session-id": "ses_1" },
        system: "System one.\n\nSystem two.",
        lastUserText: "[[tool bash {\"command\": \"ls\"}]] go",
        messageCount: 3,
        messages: [
          { role: "system", text: "System one." },
          { role: "system", text: "System two." },
          { role: "user", text: "[[tool bash {\"command\": \"ls\"}]] go" }
        ],
        toolNames: ["bash", "read"],
        body: toolBody
      })
      assert.isAtLeast(tool!.receivedAt, before)
      assert.isAtMost(tool!.receivedAt, after)
      assert.strictEqual(fail!.index, 1)
      assert.strictEqual(fail!.action, "fail")
      assert.strictEqual(fail!.status, 500)
      assert.strictEqual(fail!.rule, "marker")
      assert.isFalse(fail!.stream)
      assert.deepStrictEqual(fail!.body, failBody)

      assert.deepStrictEqual(yield* fetchRecordedRequests(model.url), recorded)

      const cleared = yield* send("DELETE", "/_ocm/requests")
      assert.strictEqual(cleared.text, "true")
      assert.deepStrictEqual(yield* model.requests, [])
      yield* complete(chatBody([user("again")]))
      assert.deepStrictEqual((yield* fetchRecordedRequests(model.url)).map((request) => request.index), [2])
      yield* model.clear
      assert.deepStrictEqual(yield* fetchRecordedRequests(model.url), [])
    }).pipe(Effect.provide(TestLayer)))

  it.live("answers by the rules of a script: several tool calls at once, a chunked reply after a delay, an error", () =>
    Effect.gen(function*() {
      const model = yield* ScriptedModel
      yield* model.setScript({
        rules: [
          {
            name: "calls",
            when: { user: { contains: "look" } },
            then: { reply: "Looking.", tools: [{ name: "bash", input: { command: "ls" } }, { name: "mcp_fetch", input: "{raw" }] },
            times: 1
          },
          { name: "slowly", when: { user: { contains: "look" } }, then: { reply: "abcdefg", reasoning: "hmm", chunk: 3, delay: 0.5 } },
          { name: "broken", when: { user: { contains: "break" } }, then: { error: { status: 422, body: "no way" } } }
        ]
      })
      const calls = yield* streamed(chatBody([user("look around")]))
      assert.deepStrictEqual(calls.finishReasons, ["tool_calls"])
      assert.strictEqual(calls.content, "Looking.")
      assert.deepStrictEqual(calls.toolCalls.map((call) => [call.index, call.function.name, call.function.arguments]), [
        [0, "bash", "{\"command\":\"ls\"}"],
        [1, "mcp_fetch", "{raw"]
      ])
      assert.notStrictEqual(calls.toolCalls[0]!.id, calls.toolCalls[1]!.id)

      const startedAt = yield* Clock.currentTimeMillis
      const slowly = yield* streamed(chatBody([user("look again")]))
      assert.isAtLeast((yield* Clock.currentTimeMillis) - startedAt, 450)
      assert.deepStrictEqual(slowly.contentPieces, ["abc", "def", "g"])
      assert.strictEqual(slowly.reasoning, "hmm")

      const broken = yield* complete(chatBody([user("break it")]))
      assert.strictEqual(broken.status, 422)
      assert.deepStrictEqual(JSON.parse(broken.text), { error: { message: "no way", type: "scripted_failure", code: 422 } })

      const unmatched = yield* complete(chatBody([user("something else")]))
      assert.strictEqual(unmatched.status, 400)
      assert.include(JSON.parse(unmatched.text).error.message, "no rule of the model script matched chat request #3")

      const recorded = yield* model.requests
      assert.deepStrictEqual(recorded.map((request) => [request.rule, request.action, request.status]), [
        ["calls", "tool", 200],
        ["slowly", "reply", 200],
        ["broken", "fail", 422],
        ["unmatched", "fail", 400]
      ])
      assert.deepStrictEqual((yield* model.script).rules.map((rule) => rule.used), [1, 1, 1])
    }).pipe(Effect.provide(TestLayer)))

  it.live("takes scripts over HTTP: replace, append, read, clear; refuses an invalid one", () =>
    Effect.gen(function*() {
      const model = yield* ScriptedModel
      const none = JSON.parse((yield* send("GET", "/_ocm/script")).text)
      assert.deepStrictEqual(none, { active: false, rules: [], chatRequests: 0 })

      const put = yield* send("PUT", "/_ocm/script", [{ name: "a", then: { reply: "A" }, times: 1 }])
      assert.strictEqual(put.status, 200, put.text)
      yield* complete(chatBody([user("one")]))
      const appended = yield* send("POST", "/_ocm/script", { rules: [{ name: "b", when: { request: 1 }, then: { reply: "B" } }] })
      assert.deepStrictEqual(JSON.parse(appended.text).rules.map((rule: { rule: { name: string }; loadedAfter: number }) => [rule.rule.name, rule.loadedAfter]), [
        ["a", 0],
        ["b", 1]
      ])
      assert.strictEqual((yield* streamed(chatBody([user("two")]))).content, "B")
      const status = JSON.parse((yield* send("GET", "/_ocm/script")).text)
      assert.deepStrictEqual([status.active, status.chatRequests, status.rules.map((rule: { used: number }) => rule.used)], [true, 2, [1, 1]])

      const invalid = yield* send("PUT", "/_ocm/script", { rules: [{ when: { usr: {} }, then: { reply: "x" } }] })
      assert.strictEqual(invalid.status, 400)
      assert.include(JSON.parse(invalid.text).error.message, "rules.0.when.usr")
      assert.strictEqual((yield* model.script).rules.length, 2, "an invalid script changes nothing")

      const cleared = yield* send("DELETE", "/_ocm/script")
      assert.strictEqual(cleared.text, "true")
      assert.strictEqual((yield* streamed(chatBody([user("three")]))).content, "echo: three")
      assert.deepStrictEqual((yield* model.requests).map((request) => request.rule), ["a", "b", "default"])
    }).pipe(Effect.provide(TestLayer)))

  it.live("starts with a script in force when given one; the remote client reads and sets it", () =>
    Effect.gen(function*() {
      const model = Context.get(
        yield* Layer.build(scriptedModelLayer({ script: { rules: [{ name: "first", then: { reply: "hi" } }] } })),
        ScriptedModel
      )
      assert.deepStrictEqual((yield* fetchScript(model.url)).rules.map((rule) => rule.rule.name), ["first"])
      const status = yield* sendScript(model.url, { rules: [{ name: "second", then: { reply: "ho" } }] }, { append: true })
      assert.deepStrictEqual(status.rules.map((rule) => rule.rule.name), ["first", "second"])
      const refused = yield* Effect.flip(sendScript(model.url, { rules: [{ then: { error: { status: 200 } } }] } as never))
      assert.include(refused.message, "refused")
    }).pipe(Effect.scoped, Effect.provide(NodeHttpClient.layerUndici)))

  it.live("serves models, health and a JSON 404", () =>
    Effect.gen(function*() {
      const models = yield* send("GET", "/v1/models")
      assert.deepStrictEqual(JSON.parse(models.text), { object: "list", data: [{ id: "scripted", object: "model" }] })
      const health = yield* send("GET", "/_ocm/health")
      assert.deepStrictEqual(JSON.parse(health.text), { ok: true })
      const missing = yield* send("GET", "/v1/nothing")
      assert.strictEqual(missing.status, 404)
      assert.strictEqual(JSON.parse(missing.text).error.code, 404)
      const badBody = yield* complete({ messages: "not a list" })
      assert.strictEqual(badBody.status, 400)
    }).pipe(Effect.provide(TestLayer)))

  it.live("listens on 127.0.0.1 only while its scope is open", () =>
    Effect.gen(function*() {
      const url = yield* Effect.scoped(
        Effect.gen(function*() {
          const model = Context.get(yield* Layer.build(scriptedModelLayer()), ScriptedModel)
          assert.match(model.url, /^http:\/\/127\.0\.0\.1:\d+\/v1$/)
          assert.strictEqual(model.url, `http://127.0.0.1:${model.port}/v1`)
          assert.isAbove(model.port, 0)
          assert.deepStrictEqual(yield* fetchRecordedRequests(model.url), [])
          return model.url
        })
      )
      const error = yield* Effect.flip(fetchRecordedRequests(url))
      assert.strictEqual(error._tag, "SandboxError")
      const invalid = yield* Effect.flip(fetchRecordedRequests("not a url"))
      assert.strictEqual(invalid._tag, "SandboxError")
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))
})
