/**
 * Model scripts as data: decoding a script, reading a request into the facts rules look at, and deciding what
 * answers, on requests OpenCode 1.18.33 really sent (fixtures/model-requests, recorded by
 * fixtures/record-requests.ts) and on small hand-made ones.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Either from "effect/Either"
import * as Schema from "effect/Schema"
import { readFileSync } from "node:fs"
import { join } from "node:path"
import {
  type Answer,
  ChatRequest,
  decide,
  loadScript,
  noScript,
  readRequest,
  type RequestFacts,
  ruleHolds,
  type ScriptState
} from "../layers/ScriptedModelRules.js"
import { decodeModelScript, type ModelRule, type ModelScript, scriptProblems } from "../services/ScriptedModel.js"
import { repoRoot } from "./support/cli.js"

const fixture = JSON.parse(readFileSync(join(repoRoot, "fixtures/model-requests/turns.json"), "utf8")) as {
  readonly script: unknown
  readonly requests: ReadonlyArray<{ readonly headers: Record<string, string>; readonly body: unknown; readonly rule: string }>
}
const decodeChat = Schema.decodeUnknownSync(ChatRequest)
const recorded = fixture.requests.map((request) => ({ ...request, facts: readRequest(decodeChat(request.body), request.headers) }))
const [title, look, summarize, proof] = recorded.map((request) => request.facts) as [RequestFacts, RequestFacts, RequestFacts, RequestFacts]

const scriptOf = (input: unknown): ModelScript => Either.getOrThrow(decodeModelScript(input))
const problemsOf = (input: unknown): string =>
  Either.match(decodeModelScript(input), { onLeft: scriptProblems, onRight: () => "decoded" })

/** Runs requests through `decide` in order, as the server does, returning the rule of each and the last state. */
const replay = (state: ScriptState, requests: ReadonlyArray<RequestFacts>) => {
  const rules: Array<string> = []
  const answers: Array<Answer> = []
  for (const [index, facts] of requests.entries()) {
    const [decision, next] = decide(state, facts, index)
    rules.push(decision.rule)
    answers.push(decision.answer)
    state = next
  }
  return { rules, answers, state }
}

const withScript = (script: unknown) => loadScript(noScript, scriptOf(script), false)

const chat = (lastUser: string, extra: { readonly agent?: string; readonly tools?: ReadonlyArray<string> } = {}): RequestFacts =>
  readRequest(
    decodeChat({
      messages: [{ role: "system", content: "You are a helper." }, { role: "user", content: lastUser }],
      tools: (extra.tools ?? ["bash", "read"]).map((name) => ({ type: "function", function: { name } }))
    }),
    extra.agent === undefined ? {} : { "x-ocm-agent": extra.agent }
  )

const replyOf = (answer: Answer) => (answer._tag === "Completion" ? answer.text : `failure ${answer.status}`)

describe("model script decoding", () => {
  it("reads the object form and the bare list of rules alike", () => {
    const rules = [{ when: { user: { contains: "hi" } }, then: { reply: "hello" }, times: 2 }]
    assert.deepStrictEqual(scriptOf(rules), { rules })
    assert.deepStrictEqual(scriptOf({ rules }), { rules })
    assert.deepStrictEqual(scriptOf([]), { rules: [] })
  })

  it("reads every condition and answer of the format", () => {
    const script = scriptOf({
      rules: [
        {
          name: "everything",
          when: {
            user: { contains: "a", matches: "^a+$" },
            system: { contains: "You are" },
            agent: "build",
            request: 2,
            toolResult: "bash",
            toolResultContains: "ok",
            title: false
          },
          then: { reply: "r", reasoning: "why", tools: [{ name: "bash", input: { command: "ls" } }, { name: "mcp_x", input: "{broken" }], delay: 0.5, chunk: 3 }
        },
        { when: { title: true }, then: { reply: "A title" } },
        { then: { error: { status: 429, body: { error: { message: "slow down" } } } } }
      ]
    })
    assert.strictEqual(script.rules.length, 3)
  })

  it("refuses what is wrong, saying where", () => {
    assert.include(problemsOf({ rules: [{ when: { usr: { contains: "x" } }, then: { reply: "x" } }] }), "rules.0.when.usr")
    assert.include(problemsOf([{ when: { user: { matches: "(unclosed" } }, then: { reply: "x" } }]), "not a regular expression")
    assert.include(problemsOf([{ then: {} }]), "needs one of reply, reasoning, tools or error")
    assert.include(problemsOf([{ then: { reply: "x", error: { status: 500 } } }]), "an error answer has no reply")
    assert.include(problemsOf([{ then: { error: { status: 200 } } }]), "0.then.error.status")
    assert.include(problemsOf([{ then: { reply: "x" }, times: 0 }]), "0.times")
    assert.include(problemsOf([{ then: { tools: [{ input: {} }] } }]), "0.then.tools.0.name")
    assert.include(problemsOf([{ when: { user: "x" }, then: { reply: "x" } }]), "0.when.user")
    assert.include(problemsOf("rules"), "script")
  })
})

describe("reading a request OpenCode sent", () => {
  it("tells the title request, the agent and the session from the headers", () => {
    assert.strictEqual(title.kind, "title")
    assert.strictEqual(title.agent, "title")
    assert.deepStrictEqual([look.kind, look.agent, proof.kind, proof.agent], ["chat", "build", "chat", "proof"])
    assert.match(look.sessionID!, /^ses_/)
    assert.strictEqual(look.sessionID, summarize.sessionID)
    assert.notStrictEqual(look.sessionID, proof.sessionID)
  })

  it("still tells a title request without the agent header by its system prompt", () => {
    const body = fixture.requests[0]!.body
    assert.strictEqual(readRequest(decodeChat(body), {}).kind, "title")
    assert.strictEqual(readRequest(decodeChat(fixture.requests[1]!.body), {}).kind, "chat")
  })

  it("reads the last user text, the system prompt and the tools offered", () => {
    assert.strictEqual(look.lastUserText, "Please list the project files and tell me what you find.")
    assert.strictEqual(title.lastUserText, look.lastUserText)
    assert.include(look.system, "You are opencode")
    assert.include(look.toolNames, "bash")
    assert.include(look.toolNames, "read")
    assert.deepStrictEqual(proof.toolNames, [], "every tool of the proof agent is denied")
    assert.deepStrictEqual(look.toolResults, [])
  })

  it("names each tool result by the call it answers", () => {
    assert.deepStrictEqual(summarize.toolResults.map((result) => result.name), ["bash", "read"])
    assert.include(summarize.toolResults[1]!.text, "sandbox project")
    const assistant = summarize.messages.find((message) => message.role === "assistant")!
    assert.deepStrictEqual(assistant.toolCalls!.map((call) => call.name), ["bash", "read"])
    const results = summarize.messages.filter((message) => message.role === "tool")
    assert.deepStrictEqual(results.map((message) => message.toolCallId), assistant.toolCalls!.map((call) => call.id))
  })
})

describe("deciding what answers", () => {
  it("answers the recorded requests by the rules that answered them live", () => {
    const { rules, answers } = replay(withScript(fixture.script), recorded.map((request) => request.facts))
    assert.deepStrictEqual(rules, recorded.map((request) => request.rule))
    assert.deepStrictEqual(rules, ["title", "look", "summarize", "proof"])
    const calls = answers[1]!
    assert.strictEqual(calls._tag, "Completion")
    if (calls._tag === "Completion") {
      assert.deepStrictEqual(calls.toolCalls.map((call) => [call.name, JSON.parse(call.arguments), call.number]), [
        ["bash", { command: "ls", description: "list the files" }, 0],
        ["read", { filePath: "/sandbox/project/README.md" }, 1]
      ])
      assert.strictEqual(calls.reasoning, "I will look at the files.")
    }
    assert.deepStrictEqual(answers.map(replyOf), ["Looking at the project", "", "It holds a README.", "PROOF"])
  })

  it("uses a rule no more than `times`, then tries the next, then fails naming the request", () => {
    const script = withScript([
      { name: "once", when: { user: { contains: "hello" } }, then: { reply: "first" }, times: 1 },
      { name: "twice", when: { user: { matches: "^hel+o" } }, then: { reply: "again" }, times: 2 }
    ])
    const { rules, answers, state } = replay(script, [chat("hello"), chat("hello"), chat("hello"), chat("hello there", { agent: "build" })])
    assert.deepStrictEqual(rules, ["once", "twice", "twice", "unmatched"])
    const unmatched = answers[3]!
    assert.strictEqual(unmatched._tag, "Failure")
    if (unmatched._tag === "Failure") {
      assert.strictEqual(unmatched.status, 400, "OpenCode 1.18.33 retries 408, 409, 429 and 5xx, not 400")
      const message = (unmatched.body as { error: { message: string } }).error.message
      assert.include(message, "no rule of the model script matched chat request #3")
      assert.include(message, "agent build")
      assert.include(message, "\"hello there\"")
      assert.include(message, "tools offered: bash, read")
    }
    assert.deepStrictEqual(state.rules!.map((rule) => rule.used), [1, 2])
    assert.strictEqual(state.chatRequests, 4)
  })

  it("puts rules first, then markers, then the unmatched error; without a script, markers then the echo", () => {
    const script = withScript([{ name: "deploy", when: { user: { contains: "deploy" } }, then: { reply: "deployed" } }])
    const inForce = replay(script, [chat("deploy Reply with ONLY no"), chat("Reply with ONLY marked."), chat("plain")])
    assert.deepStrictEqual(inForce.rules, ["deploy", "marker", "unmatched"])
    assert.deepStrictEqual(inForce.answers.map(replyOf), ["deployed", "marked", "failure 400"])
    const none = replay(noScript, [chat("Reply with ONLY marked."), chat("plain")])
    assert.deepStrictEqual(none.rules, ["marker", "default"])
    assert.deepStrictEqual(none.answers.map(replyOf), ["marked", "echo: plain"])
    const empty = replay(withScript([]), [chat("plain")])
    assert.deepStrictEqual(empty.rules, ["unmatched"], "an empty script is in force too")
  })

  it("answers title requests only by `title: true` rules, else with the default title", () => {
    const catchAll = withScript([{ name: "any", then: { reply: "chat only" } }])
    assert.deepStrictEqual(replay(catchAll, [title]).rules, ["default"])
    assert.deepStrictEqual(replay(catchAll, [title]).answers.map(replyOf), ["Scripted session"])
    assert.strictEqual(replay(catchAll, [title]).state.chatRequests, 0, "a title request is no chat request")
    const titled = withScript([{ name: "t", when: { title: true, user: { contains: "project files" } }, then: { reply: "Files" } }])
    assert.deepStrictEqual(replay(titled, [title, look]).rules, ["t", "unmatched"])
  })

  it("counts `request` over chat requests since the rule was loaded", () => {
    const script = withScript([{ name: "second", when: { request: 2 }, then: { reply: "two" } }, { name: "rest", then: { reply: "other" } }])
    const first = replay(script, [chat("a"), title, chat("b"), chat("c")])
    assert.deepStrictEqual(first.rules, ["rest", "default", "second", "rest"])
    const appended = loadScript(first.state, scriptOf([{ name: "next", when: { request: 1 }, then: { reply: "next" } }]), true)
    assert.deepStrictEqual(replay({ ...appended, rules: appended.rules!.slice(2) }, [chat("d")]).rules, ["next"])
    assert.deepStrictEqual(replay(appended, [chat("d"), chat("e")]).rules, ["rest", "rest"], "earlier rules answer first")
    const replaced = loadScript(first.state, scriptOf([{ name: "fresh", when: { request: 1 }, then: { reply: "x" } }]), false)
    assert.deepStrictEqual(replay(replaced, [chat("d"), chat("e")]).rules, ["fresh", "unmatched"])
  })

  it("matches agents, system prompts and tool results as recorded", () => {
    const holds = (when: ModelRule["when"], facts: RequestFacts) => ruleHolds({ when, then: { reply: "x" } }, facts, 1)
    assert.isTrue(holds({ agent: "proof" }, proof))
    assert.isFalse(holds({ agent: "proof" }, look))
    assert.isFalse(holds({ agent: "build" }, chat("no header")), "without the header no agent condition holds")
    assert.isTrue(holds({ system: { contains: "You are opencode" } }, look))
    assert.isTrue(holds({ system: { matches: "Working directory: /sandbox/project" } }, look))
    assert.isFalse(holds({ system: { contains: "title generator" } }, look))
    assert.isTrue(holds({ toolResult: "bash" }, summarize))
    assert.isFalse(holds({ toolResult: "glob" }, summarize))
    assert.isFalse(holds({ toolResult: "bash" }, look))
    assert.isTrue(holds({ toolResult: "bash", toolResultContains: "README.md" }, summarize))
    assert.isFalse(holds({ toolResult: "bash", toolResultContains: "sandbox project" }, summarize), "that text is in read's result")
    assert.isTrue(holds({ toolResultContains: "sandbox project" }, summarize))
    assert.isTrue(holds({ user: { contains: "list the project", matches: "tell me" } }, look))
    assert.isFalse(holds({ user: { contains: "list the project", matches: "^tell" } }, look))
    assert.isTrue(holds({}, look))
    assert.isFalse(holds({}, title))
  })

  it("answers an error rule with its status and body, a string body as the error message", () => {
    const script = withScript([
      { name: "json", when: { user: { contains: "json" } }, then: { error: { status: 503, body: { error: { message: "down" } } }, delay: 1 } },
      { name: "text", when: { user: { contains: "text" } }, then: { error: { status: 400, body: "context too long" } } },
      { name: "bare", then: { error: { status: 500 } } }
    ])
    const { answers } = replay(script, [chat("json"), chat("text"), chat("bare")])
    assert.deepStrictEqual(answers[0], { _tag: "Failure", status: 503, body: { error: { message: "down" } }, delaySeconds: 1 })
    assert.deepStrictEqual(answers[1], {
      _tag: "Failure",
      status: 400,
      body: { error: { message: "context too long", type: "scripted_failure", code: 400 } },
      delaySeconds: 0
    })
    assert.include(JSON.stringify(answers[2]), "scripted failure 500 (rule bare)")
  })

  it("passes the pacing and the delay of a rule to the answer", () => {
    const { answers } = replay(withScript([{ then: { reply: "abcdef", chunk: 2, delay: 0.25 } }]), [chat("x")])
    assert.deepStrictEqual(answers[0], {
      _tag: "Completion",
      text: "abcdef",
      reasoning: undefined,
      toolCalls: [],
      delaySeconds: 0.25,
      pacing: { _tag: "Chunks", size: 2 }
    })
  })
})
