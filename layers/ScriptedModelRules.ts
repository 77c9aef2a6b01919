/**
 * What the scripted model answers, decided without IO: a request read into the facts rules look at, the rules of a
 * model script, the prompt markers, and the one `Answer` the server then streams (`ScriptedModelLive.respond`).
 */
import * as Arr from "effect/Array"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import type { ModelRule, ModelScript, RecordedMessage, RuleAnswer, TextCondition } from "../services/ScriptedModel.js"

// ---------------------------------------------------------------------------------------------------------------------
// Markers: what the last user message asks for ("[[tool …]]", "Reply with ONLY …")
// ---------------------------------------------------------------------------------------------------------------------

export interface ScriptedToolCall {
  readonly name: string
  /** The arguments as the JSON string sent in `function.arguments`. */
  readonly arguments: string
}

export interface Markers {
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

/** Reads the markers of the text of the last user message. Pure. */
export const parseMarkers = (lastUserText: string): Markers => {
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

/** Whether the text asks anything of the model (otherwise its markers only give the echo). */
export const hasMarkers = (markers: Markers): boolean =>
  markers.replyIsExact || markers.slowSeconds !== undefined || markers.toolCalls.length > 0 ||
  markers.failStatus !== undefined || markers.reasoning !== undefined

// ---------------------------------------------------------------------------------------------------------------------
// Requests: the facts rules look at (schemas built when first used, not at every start of the CLI: README, Benchmarks)
// ---------------------------------------------------------------------------------------------------------------------

const ToolCallOut = Schema.suspend(() => Schema.Struct({
  id: Schema.optional(Schema.NullOr(Schema.String)),
  function: Schema.Struct({ name: Schema.String, arguments: Schema.optional(Schema.NullOr(Schema.String)) })
}))

export const ChatRequest = Schema.suspend(() => Schema.Struct({
  model: Schema.optionalWith(Schema.String, { default: () => "scripted" }),
  messages: Schema.Array(Schema.Struct({
    role: Schema.String,
    content: Schema.optional(Schema.Unknown),
    tool_calls: Schema.optional(Schema.NullOr(Schema.Array(ToolCallOut))),
    tool_call_id: Schema.optional(Schema.NullOr(Schema.String))
  })),
  tools: Schema.optional(Schema.NullOr(Schema.Array(Schema.Struct({ function: Schema.Struct({ name: Schema.String }) })))),
  stream: Schema.optional(Schema.NullOr(Schema.Boolean))
}))
export type ChatRequest = typeof ChatRequest.Type

export const messageText = (content: unknown): string =>
  typeof content === "string"
    ? content
    : Array.isArray(content)
    ? content.flatMap((part) => (part?.type === "text" && typeof part.text === "string" ? [part.text] : [])).join("\n")
    : ""

export interface ToolResult {
  /** The tool whose call it answers, when the request holds that call. */
  readonly name: string | undefined
  readonly text: string
}

export interface RequestFacts {
  readonly kind: "title" | "chat"
  readonly agent: string | undefined
  readonly sessionID: string | undefined
  readonly system: string
  readonly lastUserText: string
  readonly messages: ReadonlyArray<RecordedMessage>
  readonly toolNames: ReadonlyArray<string>
  /** The tool results after the last user message, oldest first. */
  readonly toolResults: ReadonlyArray<ToolResult>
}

/** Set on every request by the sandbox's plugin (`chat.headers` hook); the title request's agent is "title". */
export const AGENT_HEADER = "x-ocm-agent"

/** Headers worth keeping in the record (never `authorization`). */
export const headersOfInterest = (headers: Readonly<Record<string, string | undefined>>): Record<string, string> =>
  Object.fromEntries(
    Object.entries(headers).flatMap(([key, value]) =>
      value !== undefined && /^(x-ocm-.*|x-session-id|x-parent-session-id|user-agent)$/i.test(key) ? [[key.toLowerCase(), value]] : []
    )
  )

/** Reads a chat completion request (and the headers of interest) into the facts rules look at. Pure. */
export const readRequest = (chat: ChatRequest, headers: Readonly<Record<string, string>> = {}): RequestFacts => {
  const messages = chat.messages
  const lastUserIndex = Option.getOrElse(Arr.findLastIndex(messages, (message) => message.role === "user"), () => -1)
  const toolNamesById = new Map(
    messages.flatMap((message) => (message.tool_calls ?? []).flatMap((call) => (call.id ? [[call.id, call.function.name] as const] : [])))
  )
  const recorded = messages.map((message): RecordedMessage => {
    const text = messageText(message.content)
    const calls = (message.tool_calls ?? []).map((call) => ({
      id: call.id ?? "",
      name: call.function.name,
      arguments: call.function.arguments ?? ""
    }))
    const callId = message.tool_call_id ?? undefined
    const toolName = callId === undefined ? undefined : toolNamesById.get(callId)
    return {
      role: message.role,
      text,
      ...(calls.length > 0 ? { toolCalls: calls } : {}),
      ...(callId !== undefined ? { toolCallId: callId } : {}),
      ...(toolName !== undefined ? { toolName } : {})
    }
  })
  const systemMessages = recorded.filter((message) => message.role === "system")
  const instructions = (systemMessages.length > 0 ? systemMessages : recorded.slice(0, 1)).map((message) => message.text).join("\n")
  const toolNames = (chat.tools ?? []).map((tool) => tool.function.name)
  const agent = headers[AGENT_HEADER]
  // without the agent header: OpenCode's title request opens with "You are a title generator" and offers no tools
  // (the proof agent offers none either)
  const kind = agent !== undefined
    ? agent === "title" ? "title" : "chat"
    : /title generator/i.test(instructions) && toolNames.length === 0 ? "title" : "chat"
  return {
    kind,
    agent,
    sessionID: headers["x-session-id"],
    system: systemMessages.map((message) => message.text).join("\n\n"),
    lastUserText: lastUserIndex < 0 ? "" : recorded[lastUserIndex]!.text,
    messages: recorded,
    toolNames,
    toolResults: recorded.slice(lastUserIndex + 1).filter((message) => message.role === "tool").map((message) => ({
      name: message.toolName,
      text: message.text
    }))
  }
}

// ---------------------------------------------------------------------------------------------------------------------
// Answers
// ---------------------------------------------------------------------------------------------------------------------

/** How the reply text is streamed: word pieces, pieces of `size` characters, or spread evenly over `seconds`. */
export type Pacing =
  | { readonly _tag: "Words" }
  | { readonly _tag: "Chunks"; readonly size: number }
  | { readonly _tag: "Spread"; readonly seconds: number }

export interface NumberedToolCall extends ScriptedToolCall {
  /** Goes into the call id (`call_<number>_…`): the calls answered so far in this turn, counting this one's place. */
  readonly number: number
}

export type Answer =
  | {
    readonly _tag: "Completion"
    readonly text: string
    readonly reasoning: string | undefined
    readonly toolCalls: ReadonlyArray<NumberedToolCall>
    readonly delaySeconds: number
    readonly pacing: Pacing
  }
  | { readonly _tag: "Failure"; readonly status: number; readonly body: unknown; readonly delaySeconds: number }

export const openAiError = (status: number, message: string, type: string) => ({ error: { message, type, code: status } })

const words: Pacing = { _tag: "Words" }

export const DEFAULT_TITLE = "Scripted session"

const completion = (text: string, rest: Partial<Omit<Extract<Answer, { _tag: "Completion" }>, "_tag" | "text">> = {}): Answer => ({
  _tag: "Completion",
  text,
  reasoning: undefined,
  toolCalls: [],
  delaySeconds: 0,
  pacing: words,
  ...rest
})

/** What the markers answer: a failure, else the next pending tool call (one per request), else the reply. */
const markerAnswer = (markers: Markers, facts: RequestFacts): Answer => {
  if (markers.failStatus !== undefined) {
    const status = markers.failStatus
    return { _tag: "Failure", status, body: openAiError(status, `scripted failure ${status}`, "scripted_failure"), delaySeconds: 0 }
  }
  const done = facts.toolResults.length
  if (done < markers.toolCalls.length) return completion("", { toolCalls: [{ ...markers.toolCalls[done]!, number: done }] })
  return completion(markers.reply, {
    reasoning: markers.reasoning,
    pacing: markers.slowSeconds === undefined ? words : { _tag: "Spread", seconds: markers.slowSeconds }
  })
}

/** What a rule's `then` answers. */
const ruleAnswer = (then: RuleAnswer, label: string, facts: RequestFacts): Answer => {
  const delaySeconds = then.delay ?? 0
  if (then.error !== undefined) {
    const { status, body } = then.error
    const message = typeof body === "string" ? body : `scripted failure ${status} (rule ${label})`
    return {
      _tag: "Failure",
      status,
      body: body === undefined || typeof body === "string" ? openAiError(status, message, "scripted_failure") : body,
      delaySeconds
    }
  }
  const done = facts.toolResults.length
  return completion(then.reply ?? "", {
    reasoning: then.reasoning,
    toolCalls: (then.tools ?? []).map((tool, i) => ({
      name: tool.name,
      arguments: typeof tool.input === "string" ? tool.input : JSON.stringify(tool.input ?? {}),
      number: done + i
    })),
    delaySeconds,
    pacing: then.chunk === undefined ? words : { _tag: "Chunks", size: then.chunk }
  })
}

// ---------------------------------------------------------------------------------------------------------------------
// Rules
// ---------------------------------------------------------------------------------------------------------------------

export interface LoadedRule {
  readonly rule: ModelRule
  /** How often it answered. */
  readonly used: number
  /** Chat requests received before it was loaded. */
  readonly loadedAfter: number
}

export interface ScriptState {
  /** The rules in force; undefined: no script (markers, then the echo). */
  readonly rules: ReadonlyArray<LoadedRule> | undefined
  /** Chat requests received so far. */
  readonly chatRequests: number
}

export const noScript: ScriptState = { rules: undefined, chatRequests: 0 }

/** Puts a script in force: replacing the rules in force, or after them. */
export const loadScript = (state: ScriptState, script: ModelScript, append: boolean): ScriptState => ({
  ...state,
  rules: [
    ...(append ? state.rules ?? [] : []),
    ...script.rules.map((rule) => ({ rule, used: 0, loadedAfter: state.chatRequests }))
  ]
})

const textHolds = (condition: TextCondition | undefined, text: string) =>
  condition === undefined ||
  ((condition.contains === undefined || text.includes(condition.contains)) &&
    (condition.matches === undefined || new RegExp(condition.matches).test(text)))

/**
 * Whether a rule's `when` holds for a request. `requestNumber`: which chat request since the rule was loaded this is
 * (1-based; `request` never holds for a title request). Pure.
 */
export const ruleHolds = (rule: ModelRule, facts: RequestFacts, requestNumber: number): boolean => {
  const when = rule.when ?? {}
  const results = when.toolResult === undefined
    ? facts.toolResults
    : facts.toolResults.filter((result) => result.name === when.toolResult)
  return (
    (when.title === true) === (facts.kind === "title") &&
    textHolds(when.user, facts.lastUserText) &&
    textHolds(when.system, facts.system) &&
    (when.agent === undefined || when.agent === facts.agent) &&
    (when.request === undefined || (facts.kind === "chat" && when.request === requestNumber)) &&
    (when.toolResult === undefined || results.length > 0) &&
    (when.toolResultContains === undefined || results.some((result) => result.text.includes(when.toolResultContains!)))
  )
}

/** A rule's name in the record and in messages: its `name`, else `#N` (its 1-based place in the script). */
export const ruleLabel = (rule: ModelRule, place: number) => rule.name ?? `#${place + 1}`

export interface Decision {
  /** The rule's label, "marker", "default" or "unmatched". */
  readonly rule: string
  readonly answer: Answer
}

const excerpt = (text: string, length: number) => {
  const flat = text.replace(/\s+/g, " ").trim()
  return flat.length > length ? `${flat.slice(0, length)}…` : flat
}

/** The message of the error that answers a request no rule answered: it names the request. */
export const unmatchedMessage = (facts: RequestFacts, index: number): string => {
  const tools = facts.toolNames.length === 0 ? "none" : facts.toolNames.join(", ")
  const results = facts.toolResults.length === 0
    ? ""
    : `; tool results after it: ${facts.toolResults.map((result) => result.name ?? "?").join(", ")}`
  return `no rule of the model script matched ${facts.kind} request #${index} ` +
    `(agent ${facts.agent ?? "unknown"}; last user text "${excerpt(facts.lastUserText, 80)}"; tools offered: ${tools}${results}); ` +
    `add a rule for it (ocm sandbox requests shows what each request carried)`
}

/**
 * What answers a request, and the script state after it (the rule's use counted, the chat request counted). Title
 * requests: a `title: true` rule, else the default title. Chat requests: the rules in order, then the markers of the
 * last user message, then, with a script in force, the unmatched error (400: OpenCode does not retry it) and
 * without one, the echo. `index`: the request's index in the record. Pure.
 */
export const decide = (state: ScriptState, facts: RequestFacts, index: number): readonly [Decision, ScriptState] => {
  const chatRequests = state.chatRequests + (facts.kind === "chat" ? 1 : 0)
  const counted: ScriptState = { ...state, chatRequests }
  const rules = state.rules ?? []
  const chosen = rules.findIndex((loaded) =>
    (loaded.rule.times === undefined || loaded.used < loaded.rule.times) &&
    ruleHolds(loaded.rule, facts, chatRequests - loaded.loadedAfter)
  )
  if (chosen >= 0) {
    const loaded = rules[chosen]!
    const label = ruleLabel(loaded.rule, chosen)
    const used = rules.map((rule, i) => (i === chosen ? { ...rule, used: rule.used + 1 } : rule))
    return [{ rule: label, answer: ruleAnswer(loaded.rule.then, label, facts) }, { ...counted, rules: used }]
  }
  if (facts.kind === "title") return [{ rule: "default", answer: completion(DEFAULT_TITLE) }, counted]
  const markers = parseMarkers(facts.lastUserText)
  if (hasMarkers(markers)) return [{ rule: "marker", answer: markerAnswer(markers, facts) }, counted]
  if (state.rules !== undefined) {
    const message = unmatchedMessage(facts, index)
    return [{ rule: "unmatched", answer: { _tag: "Failure", status: 400, body: openAiError(400, message, "no_rule_matched"), delaySeconds: 0 } }, counted]
  }
  return [{ rule: "default", answer: markerAnswer(markers, facts) }, counted]
}
