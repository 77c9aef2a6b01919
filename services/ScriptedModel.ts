import * as Context from "effect/Context"
import type * as Effect from "effect/Effect"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import type { SandboxError } from "../src/domain/Errors.js"

// ---------------------------------------------------------------------------------------------------------------------
// The model script: what the scripted model answers, as data (README, "The scripted model"). Each schema is built
// when first used (`Schema.suspend`), not when the module loads, which every start of the CLI does (README,
// Benchmarks).
// ---------------------------------------------------------------------------------------------------------------------

/** A JavaScript regular expression's source, checked when the script is read. */
const RegexSource = Schema.suspend(() => Schema.String.pipe(
  Schema.filter((source) => {
    try {
      new RegExp(source)
      return true
    } catch (error) {
      return `not a regular expression: ${error instanceof Error ? error.message : String(error)}`
    }
  })
))

/** A text condition: it holds when the text contains `contains` and matches `matches` (each when given). */
export const TextCondition = Schema.suspend(() => Schema.Struct({
  contains: Schema.optional(Schema.String),
  matches: Schema.optional(RegexSource)
}))
export type TextCondition = typeof TextCondition.Type

const PositiveInt = Schema.suspend(() => Schema.Int.pipe(Schema.positive()))

/** When a rule holds: every condition given must hold (none given: always). */
export const RuleCondition = Schema.suspend(() => Schema.Struct({
  /** The text of the last user message. */
  user: Schema.optional(TextCondition),
  /** Every system message of the request, joined by a blank line. */
  system: Schema.optional(TextCondition),
  /** The OpenCode agent that sent the request (told by the sandbox's agent-header plugin). */
  agent: Schema.optional(Schema.String),
  /** The nth chat request (1-based) since this rule was loaded. */
  request: Schema.optional(PositiveInt),
  /** A result of this tool is present after the last user message. */
  toolResult: Schema.optional(Schema.String),
  /** A tool result after the last user message (of `toolResult`'s tool, when given) contains this text. */
  toolResultContains: Schema.optional(Schema.String),
  /** true: only title requests; absent or false: only chat requests. */
  title: Schema.optional(Schema.Boolean)
}))
export type RuleCondition = typeof RuleCondition.Type

/** A tool call: any tool name; `input` is the arguments object, or a string sent as the arguments verbatim. */
export const ScriptedTool = Schema.suspend(() => Schema.Struct({
  name: Schema.NonEmptyString,
  input: Schema.optional(Schema.Union(Schema.Record({ key: Schema.String, value: Schema.Unknown }), Schema.String))
}))
export type ScriptedTool = typeof ScriptedTool.Type

/** An HTTP error answer: a string body is the OpenAI-style error message, any other JSON value is the body itself. */
export const ScriptedError = Schema.suspend(() => Schema.Struct({
  status: Schema.Int.pipe(Schema.between(400, 599)),
  body: Schema.optional(Schema.Unknown)
}))

/** What a rule answers. `delay` (seconds) passes before the response starts; `chunk` is characters per stream delta. */
export const RuleAnswer = Schema.suspend(() => Schema.Struct({
  reply: Schema.optional(Schema.String),
  reasoning: Schema.optional(Schema.String),
  tools: Schema.optional(Schema.Array(ScriptedTool)),
  error: Schema.optional(ScriptedError),
  delay: Schema.optional(Schema.Number.pipe(Schema.nonNegative(), Schema.lessThanOrEqualTo(3600))),
  chunk: Schema.optional(PositiveInt)
}).pipe(
  Schema.filter((then) => {
    const says = then.reply !== undefined || then.reasoning !== undefined || then.tools !== undefined
    if (then.error !== undefined) return says ? "an error answer has no reply, reasoning or tools" : true
    return says || "needs one of reply, reasoning, tools or error"
  })
))
export type RuleAnswer = typeof RuleAnswer.Type

export const ModelRule = Schema.suspend(() => Schema.Struct({
  name: Schema.optional(Schema.NonEmptyString),
  when: Schema.optional(RuleCondition),
  then: RuleAnswer,
  /** How often the rule may answer; absent: without limit. */
  times: Schema.optional(PositiveInt)
}))
export type ModelRule = typeof ModelRule.Type

const ScriptObject = Schema.suspend(() => Schema.Struct({ rules: Schema.Array(ModelRule) }))

/**
 * A model script: rules tried in order; the first whose `when` holds and whose `times` is not used up answers.
 * Written as `{rules: [...]}` or as the bare list of rules.
 */
export const ModelScript = Schema.suspend(() => Schema.transform(
  Schema.Union(ScriptObject, Schema.Array(ModelRule)),
  Schema.typeSchema(ScriptObject),
  {
    strict: true,
    decode: (script) => ("rules" in script ? script : { rules: script }),
    encode: (script) => script
  }
))
export type ModelScript = typeof ModelScript.Type

/** Reads a script strictly: an unknown key (a misspelt `when`) is an error, not silently ignored. */
export const decodeModelScript = (input: unknown) =>
  Schema.decodeUnknownEither(ModelScript)(input, { onExcessProperty: "error", errors: "all" })

/** A decode failure as lines a person can act on (`rules.0.when.usr: is unexpected`). */
export const scriptProblems = (error: ParseResult.ParseError): string =>
  ParseResult.ArrayFormatter.formatErrorSync(error)
    .map((issue) => `${issue.path.length === 0 ? "script" : issue.path.join(".")}: ${issue.message}`)
    .join("; ")

/** The script in force and how far its rules are used (`GET /_ocm/script`). */
export const ScriptStatus = Schema.suspend(() => Schema.Struct({
  /** Whether a script is in force (then a request no rule or marker answers is an error, not an echo). */
  active: Schema.Boolean,
  rules: Schema.Array(Schema.Struct({
    rule: ModelRule,
    /** How often it answered. */
    used: Schema.Number,
    /** Chat requests received before it was loaded (its `request` conditions count from there). */
    loadedAfter: Schema.Number
  })),
  /** Chat requests received so far. */
  chatRequests: Schema.Number
}))
export type ScriptStatus = typeof ScriptStatus.Type

// ---------------------------------------------------------------------------------------------------------------------
// The record
// ---------------------------------------------------------------------------------------------------------------------

/** One message of a request, summarized: its text, and the tool calls or the tool result it carries. */
export const RecordedMessage = Schema.suspend(() => Schema.Struct({
  role: Schema.String,
  text: Schema.String,
  toolCalls: Schema.optional(Schema.Array(Schema.Struct({ id: Schema.String, name: Schema.String, arguments: Schema.String }))),
  /** For a tool result: the call it answers, and that call's tool when the request says. */
  toolCallId: Schema.optional(Schema.String),
  toolName: Schema.optional(Schema.String)
}))
export type RecordedMessage = typeof RecordedMessage.Type

/**
 * One request the scripted model received, as recorded for tests and proofs.
 * `system` is every system message of the request joined by a blank line; `lastUserText` is the text of the
 * last user message.
 */
export const ModelRequest = Schema.suspend(() => Schema.Struct({
  index: Schema.Number,
  receivedAt: Schema.Number,
  path: Schema.String,
  model: Schema.String,
  stream: Schema.Boolean,
  kind: Schema.Literal("title", "chat"),
  /** What the model did: "reply", "tool", "fail", "title". */
  action: Schema.String,
  /** The HTTP status it answered with. */
  status: Schema.Number,
  /**
   * What decided the answer: the rule's name (`#N`, 1-based, for a rule without one), "marker", "default" (the echo
   * or the default title) or "unmatched" (a script is in force and nothing answered: an error).
   */
  rule: Schema.String,
  /** The OpenCode agent that sent it, when the request says (the sandbox's agent-header plugin). */
  agent: Schema.optional(Schema.String),
  sessionID: Schema.optional(Schema.String),
  /** Headers of interest: `x-ocm-*`, `x-session-id`, `x-parent-session-id`, `user-agent`. */
  headers: Schema.Record({ key: Schema.String, value: Schema.String }),
  system: Schema.String,
  lastUserText: Schema.String,
  messageCount: Schema.Number,
  messages: Schema.Array(RecordedMessage),
  toolNames: Schema.Array(Schema.String),
  body: Schema.Unknown
}))
export type ModelRequest = typeof ModelRequest.Type

export interface ScriptedModelShape {
  /** Base URL of the OpenAI-compatible API, ending in `/v1`. */
  readonly url: string
  readonly port: number
  /** Every request received so far, oldest first. */
  readonly requests: Effect.Effect<ReadonlyArray<ModelRequest>>
  readonly clear: Effect.Effect<void>
  /** Puts a script in force (replacing the one in force, or appended to it); its rules count requests from now. */
  readonly setScript: (script: ModelScript, options?: { readonly append?: boolean }) => Effect.Effect<ScriptStatus>
  /** Back to no script: markers, then the echo. */
  readonly clearScript: Effect.Effect<void>
  readonly script: Effect.Effect<ScriptStatus>
}

export class ScriptedModel extends Context.Tag("opencode-manager/ScriptedModel")<ScriptedModel, ScriptedModelShape>() {}

/** A scripted model running elsewhere (a background sandbox's), reached over HTTP by its URL. */
export interface ScriptedModelRemoteShape {
  readonly requests: (modelUrl: string) => Effect.Effect<ReadonlyArray<ModelRequest>, SandboxError>
  readonly setScript: (
    modelUrl: string,
    script: ModelScript,
    options?: { readonly append?: boolean }
  ) => Effect.Effect<ScriptStatus, SandboxError>
  readonly script: (modelUrl: string) => Effect.Effect<ScriptStatus, SandboxError>
}

export class ScriptedModelRemote extends Context.Tag("opencode-manager/ScriptedModelRemote")<
  ScriptedModelRemote,
  ScriptedModelRemoteShape
>() {}
