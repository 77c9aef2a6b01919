/**
 * The shapes ocm reads from the OpenCode server. Only the fields ocm uses are declared; every struct
 * ignores unknown fields, so a newer server that adds fields does not break decoding.
 *
 * Each exported schema is built when it is first used (`Schema.suspend`), not when this module loads: the bins are
 * one bundle whose modules all load at every start, and building these ~50 schemas made every command (`ocm
 * --version` included) about 5 % slower to start. The parser built from a schema is memoised, so decoding pays
 * this once.
 */
import * as Schema from "effect/Schema"

const Rest = Schema.Record({ key: Schema.String, value: Schema.Unknown })

/** An optional field the server may also send as null (it does, e.g. `hidden: null`). */
const optional = <S extends Schema.Schema.Any>(schema: S) => Schema.optionalWith(schema, { nullable: true })

export const Health = Schema.suspend(() => Schema.Struct({
  healthy: Schema.Boolean,
  version: Schema.String
}))
export type Health = typeof Health.Type

export const SessionTime = Schema.suspend(() => Schema.Struct({
  created: Schema.Number,
  updated: Schema.Number,
  archived: optional(Schema.Number)
}))

export const Session = Schema.suspend(() => Schema.Struct({
  id: Schema.String,
  slug: optional(Schema.String),
  projectID: optional(Schema.String),
  directory: Schema.String,
  parentID: optional(Schema.String),
  title: Schema.String,
  version: optional(Schema.String),
  time: SessionTime,
  share: optional(Schema.Struct({ url: Schema.String })),
  summary: optional(
    Schema.Struct({ additions: Schema.Number, deletions: Schema.Number, files: Schema.Number })
  )
}))
export type Session = typeof Session.Type

export const ModelRef = Schema.suspend(() => Schema.Struct({
  providerID: Schema.String,
  modelID: Schema.String,
  variant: optional(Schema.String)
}))
export type ModelRef = typeof ModelRef.Type

export const MessageError = Schema.suspend(() => Schema.Struct({
  name: Schema.String,
  data: optional(Schema.Unknown)
}))
export type MessageError = typeof MessageError.Type

/** Token counts of an assistant message or one of its steps. */
export const Tokens = Schema.suspend(() => Schema.Struct({
  total: optional(Schema.Number),
  input: Schema.Number,
  output: Schema.Number,
  reasoning: Schema.Number,
  cache: Schema.Struct({ read: Schema.Number, write: Schema.Number })
}))
export type Tokens = typeof Tokens.Type

export const UserMessage = Schema.suspend(() => Schema.Struct({
  id: Schema.String,
  sessionID: Schema.String,
  role: Schema.Literal("user"),
  time: Schema.Struct({ created: Schema.Number }),
  agent: optional(Schema.String),
  model: optional(ModelRef),
  system: optional(Schema.String),
  summary: optional(Schema.Unknown)
}))
export type UserMessage = typeof UserMessage.Type

export const AssistantMessage = Schema.suspend(() => Schema.Struct({
  id: Schema.String,
  sessionID: Schema.String,
  role: Schema.Literal("assistant"),
  time: Schema.Struct({ created: Schema.Number, completed: optional(Schema.Number) }),
  parentID: Schema.String,
  providerID: Schema.String,
  modelID: Schema.String,
  agent: optional(Schema.String),
  mode: optional(Schema.String),
  variant: optional(Schema.String),
  error: optional(MessageError),
  finish: optional(Schema.String),
  cost: optional(Schema.Number),
  tokens: optional(Tokens)
}))
export type AssistantMessage = typeof AssistantMessage.Type

export const MessageInfo = Schema.suspend(() => Schema.Union(UserMessage, AssistantMessage))
export type MessageInfo = typeof MessageInfo.Type

// ---------------------------------------------------------------------------------------------------------
// Parts: what a message is made of, one member per kind the server sends (OpenCode 1.18's twelve).
//
// A member declares the fields ocm reads (required where the server always sends them) and carries every other
// field through as it came, so `--json` shows a part whole. A kind this version does not know decodes as
// `UnknownPart` instead of failing: a newer server's new kinds of parts do not break reading a session.

const partIds = { id: Schema.String, sessionID: Schema.String, messageID: Schema.String }

const partOf = <const T extends string, F extends Schema.Struct.Fields>(type: T, fields: F) =>
  Schema.Struct({ ...partIds, type: Schema.Literal(type), ...fields }, Rest)

/** Text the user sent or the model wrote; `synthetic` text was added by OpenCode, not typed. */
export const TextPart = Schema.suspend(() => partOf("text", {
  text: Schema.String,
  synthetic: optional(Schema.Boolean),
  ignored: optional(Schema.Boolean)
}))
export type TextPart = typeof TextPart.Type

export const ReasoningPart = Schema.suspend(() => partOf("reasoning", { text: Schema.String }))
export type ReasoningPart = typeof ReasoningPart.Type

/** Where a tool call is: `pending` (the model is still writing its input), `running`, `completed` or `error`. */
export const ToolState = Schema.suspend(() => Schema.Struct(
  {
    status: Schema.String,
    input: optional(Schema.Unknown),
    title: optional(Schema.String),
    output: optional(Schema.String),
    error: optional(Schema.String),
    time: optional(Schema.Struct({ start: Schema.Number, end: optional(Schema.Number) }))
  },
  Rest
))
export type ToolState = typeof ToolState.Type

export const ToolPart = Schema.suspend(() =>
  partOf("tool", { tool: Schema.String, callID: Schema.String, state: ToolState })
)
export type ToolPart = typeof ToolPart.Type

export const StepStartPart = Schema.suspend(() => partOf("step-start", { snapshot: optional(Schema.String) }))
export type StepStartPart = typeof StepStartPart.Type

export const StepFinishPart = Schema.suspend(() =>
  partOf("step-finish", { reason: Schema.String, cost: Schema.Number, tokens: Tokens })
)
export type StepFinishPart = typeof StepFinishPart.Type

export const FilePart = Schema.suspend(() =>
  partOf("file", { mime: Schema.String, url: Schema.String, filename: optional(Schema.String) })
)
export type FilePart = typeof FilePart.Type

export const PatchPart = Schema.suspend(() =>
  partOf("patch", { hash: Schema.String, files: Schema.Array(Schema.String) })
)
export type PatchPart = typeof PatchPart.Type

export const SnapshotPart = Schema.suspend(() => partOf("snapshot", { snapshot: optional(Schema.String) }))
export type SnapshotPart = typeof SnapshotPart.Type

export const AgentPart = Schema.suspend(() => partOf("agent", { name: optional(Schema.String) }))
export type AgentPart = typeof AgentPart.Type

export const SubtaskPart = Schema.suspend(() => partOf("subtask", {
  prompt: optional(Schema.String),
  description: optional(Schema.String),
  agent: optional(Schema.String),
  command: optional(Schema.String)
}))
export type SubtaskPart = typeof SubtaskPart.Type

export const RetryPart = Schema.suspend(() =>
  partOf("retry", { attempt: optional(Schema.Number), error: optional(MessageError) })
)
export type RetryPart = typeof RetryPart.Type

export const CompactionPart = Schema.suspend(() =>
  partOf("compaction", { auto: optional(Schema.Boolean), overflow: optional(Schema.Boolean) })
)
export type CompactionPart = typeof CompactionPart.Type

const knownParts = [
  TextPart,
  ReasoningPart,
  ToolPart,
  StepStartPart,
  StepFinishPart,
  FilePart,
  PatchPart,
  SnapshotPart,
  AgentPart,
  SubtaskPart,
  RetryPart,
  CompactionPart
] as const

/** The kinds of part this version reads: the `type` of each of `knownParts`, in their order. */
export const knownPartTypes: ReadonlyArray<string> = [
  "text",
  "reasoning",
  "tool",
  "step-start",
  "step-finish",
  "file",
  "patch",
  "snapshot",
  "agent",
  "subtask",
  "retry",
  "compaction"
] satisfies ReadonlyArray<(typeof knownParts)[number]["Type"]["type"]>

/**
 * A part of a kind this version does not know, kept whole: its kind moves to `partType` and `type` reads
 * `"unknown"`, so a `type` check never mistakes it for a known kind.
 */
export const UnknownPart = Schema.suspend(() => Schema.transform(
  Schema.Struct(
    { ...partIds, type: Schema.String.pipe(Schema.filter((type) => !knownPartTypes.includes(type))) },
    Rest
  ),
  Schema.Struct({ ...partIds, type: Schema.Literal("unknown"), partType: Schema.String }, Rest),
  {
    strict: true,
    decode: ({ type, ...fields }) => ({ ...fields, type: "unknown" as const, partType: type }),
    encode: ({ type: _, partType, ...fields }) => ({ ...fields, type: partType })
  }
))
export type UnknownPart = typeof UnknownPart.Type

export const Part = Schema.suspend(() => Schema.Union(...knownParts, UnknownPart))
export type Part = typeof Part.Type

/** Whether OpenCode added the part (a file's contents, a note) rather than the user or the model writing it. */
export const isSynthetic = (part: Part): boolean => part.type === "text" && part.synthetic === true

/** The text parts the user typed or the model wrote: a message's text parts that OpenCode did not add. */
export const writtenTextParts = (parts: ReadonlyArray<Part>): ReadonlyArray<TextPart> =>
  parts.filter((part): part is TextPart => part.type === "text" && part.synthetic !== true)

/** A message's written text parts, joined: what the user typed, or what the model said. */
export const writtenText = (parts: ReadonlyArray<Part>): string =>
  writtenTextParts(parts)
    .map((part) => part.text)
    .join("")

export const MessageWithParts = Schema.suspend(() => Schema.Struct({
  info: MessageInfo,
  parts: Schema.Array(Part)
}))
export type MessageWithParts = typeof MessageWithParts.Type

export const SessionStatus = Schema.suspend(() => Schema.Union(
  Schema.Struct({ type: Schema.Literal("idle") }),
  Schema.Struct({ type: Schema.Literal("busy") }),
  Schema.Struct({
    type: Schema.Literal("retry"),
    attempt: Schema.Number,
    message: Schema.String,
    next: optional(Schema.Number)
  })
))
export type SessionStatus = typeof SessionStatus.Type

export const SessionStatusMap = Schema.suspend(() => Schema.Record({ key: Schema.String, value: SessionStatus }))
export type SessionStatusMap = typeof SessionStatusMap.Type

export const Todo = Schema.suspend(() => Schema.Struct({
  content: Schema.String,
  status: Schema.String,
  priority: optional(Schema.String),
  id: optional(Schema.String)
}))
export type Todo = typeof Todo.Type

export const PermissionRequest = Schema.suspend(() => Schema.Struct({
  id: Schema.String,
  sessionID: Schema.String,
  permission: Schema.String,
  patterns: Schema.Array(Schema.String),
  metadata: optional(Schema.Unknown),
  always: optional(Schema.Array(Schema.String)),
  tool: optional(Schema.Struct({ messageID: Schema.String, callID: Schema.String }))
}))
export type PermissionRequest = typeof PermissionRequest.Type

export type PermissionReply = "once" | "always" | "reject"

export const FileDiff = Schema.suspend(() => Schema.Struct({
  file: optional(Schema.String),
  patch: optional(Schema.String),
  additions: Schema.Number,
  deletions: Schema.Number,
  status: optional(Schema.String)
}))
export type FileDiff = typeof FileDiff.Type

export const Worktree = Schema.suspend(() => Schema.Struct({
  name: Schema.String,
  branch: optional(Schema.String),
  directory: Schema.String
}))
export type Worktree = typeof Worktree.Type

export const Agent = Schema.suspend(() => Schema.Struct({
  name: Schema.String,
  description: optional(Schema.String),
  mode: Schema.String,
  hidden: optional(Schema.Boolean),
  model: optional(Schema.Struct({ providerID: Schema.String, modelID: Schema.String }))
}))
export type Agent = typeof Agent.Type

export const ProviderModel = Schema.suspend(() => Schema.Struct(
  {
    id: Schema.String,
    name: optional(Schema.String),
    variants: optional(Schema.Record({ key: Schema.String, value: Schema.Unknown }))
  },
  Rest
))

export const Provider = Schema.suspend(() => Schema.Struct({
  id: Schema.String,
  name: optional(Schema.String),
  models: Schema.Record({ key: Schema.String, value: ProviderModel })
}))
export type Provider = typeof Provider.Type

export const ConfigProviders = Schema.suspend(() => Schema.Struct({
  providers: Schema.Array(Provider),
  default: Schema.Record({ key: Schema.String, value: Schema.String })
}))
export type ConfigProviders = typeof ConfigProviders.Type

/** `GET /provider`: every provider OpenCode knows (its models.dev snapshot plus config), and which are connected. */
export const ProviderCatalog = Schema.suspend(() => Schema.Struct({
  all: Schema.Array(
    Schema.Struct({
      id: Schema.String,
      name: optional(Schema.String),
      models: Schema.Record({
        key: Schema.String,
        value: Schema.Struct({
          id: Schema.String,
          name: optional(Schema.String),
          variants: optional(Schema.Record({ key: Schema.String, value: Schema.Unknown }))
        })
      })
    })
  ),
  default: Schema.Record({ key: Schema.String, value: Schema.String }),
  connected: Schema.Array(Schema.String)
}))
export type ProviderCatalog = typeof ProviderCatalog.Type

/** `/config` is large and user-shaped; ocm reads a few fields and keeps the rest opaque. */
export const ServerConfig = Schema.suspend(() => Schema.Struct(
  {
    model: optional(Schema.String),
    small_model: optional(Schema.String)
  },
  Rest
))
export type ServerConfig = typeof ServerConfig.Type

export const OpenApiDocument = Schema.suspend(() => Schema.Struct({
  openapi: optional(Schema.String),
  info: optional(Schema.Struct({ version: optional(Schema.String) })),
  paths: Schema.Record({ key: Schema.String, value: Schema.Record({ key: Schema.String, value: Schema.Unknown }) })
}))
export type OpenApiDocument = typeof OpenApiDocument.Type

// ---------------------------------------------------------------------------------------------------------
// Events from GET /global/event, unwrapped from their `{directory, payload}` envelope.

const eventOf = <T extends string, P extends Schema.Struct.Fields>(type: T, properties: P) =>
  Schema.Struct({ type: Schema.Literal(type), properties: Schema.Struct(properties) })

export const SessionStatusEvent = Schema.suspend(() =>
  eventOf("session.status", { sessionID: Schema.String, status: SessionStatus })
)
export const SessionIdleEvent = Schema.suspend(() => eventOf("session.idle", { sessionID: Schema.String }))
export const SessionErrorEvent = Schema.suspend(() => eventOf("session.error", {
  sessionID: optional(Schema.String),
  error: optional(MessageError)
}))
export const MessageUpdatedEvent = Schema.suspend(() => eventOf("message.updated", { info: MessageInfo }))
export const MessagePartUpdatedEvent = Schema.suspend(() => eventOf("message.part.updated", { part: Part }))
export const MessagePartDeltaEvent = Schema.suspend(() => eventOf("message.part.delta", {
  sessionID: Schema.String,
  messageID: Schema.String,
  partID: Schema.String,
  field: Schema.String,
  delta: Schema.String
}))
export const SessionUpdatedEvent = Schema.suspend(() => eventOf("session.updated", { info: Session }))
export const SessionDeletedEvent = Schema.suspend(() => eventOf("session.deleted", { info: Session }))
export const PermissionAskedEvent = Schema.suspend(() => eventOf("permission.asked", {
  id: Schema.String,
  sessionID: Schema.String,
  permission: Schema.String,
  patterns: optional(Schema.Array(Schema.String))
}))
export const PermissionRepliedEvent = Schema.suspend(() => eventOf("permission.replied", {
  sessionID: Schema.String,
  requestID: optional(Schema.String),
  reply: optional(Schema.String)
}))
export const ServerConnectedEvent = Schema.suspend(() => eventOf("server.connected", {}))

/** Any event ocm does not model (or whose payload does not match): kept, never a failure. */
export const OtherEvent = Schema.suspend(() => Schema.transform(
  Schema.Struct({ type: Schema.String, properties: optional(Schema.Unknown) }),
  Schema.Struct({ type: Schema.Literal("other"), name: Schema.String, properties: Schema.Unknown }),
  {
    strict: true,
    decode: (raw) => ({ type: "other" as const, name: raw.type, properties: raw.properties }),
    encode: (other) => ({ type: other.name, properties: other.properties })
  }
))

export const EventPayload = Schema.suspend(() => Schema.Union(
  SessionStatusEvent,
  SessionIdleEvent,
  SessionErrorEvent,
  MessageUpdatedEvent,
  MessagePartUpdatedEvent,
  MessagePartDeltaEvent,
  SessionUpdatedEvent,
  SessionDeletedEvent,
  PermissionAskedEvent,
  PermissionRepliedEvent,
  ServerConnectedEvent,
  OtherEvent
))
export type EventPayload = typeof EventPayload.Type

export const GlobalEventEnvelope = Schema.suspend(() => Schema.Struct({
  directory: optional(Schema.String),
  payload: EventPayload
}))

export interface OpenCodeEvent {
  /** The directory instance that emitted the event ("global" for server-wide events). */
  readonly directory: string
  readonly payload: EventPayload
}

/** The session an event is about, when it is about one. */
export const eventSessionID = (payload: EventPayload): string | undefined => {
  switch (payload.type) {
    case "session.status":
    case "session.idle":
    case "message.part.delta":
    case "permission.asked":
    case "permission.replied":
      return payload.properties.sessionID
    case "session.error":
      return payload.properties.sessionID
    case "message.updated":
      return payload.properties.info.sessionID
    case "message.part.updated":
      return payload.properties.part.sessionID
    case "session.updated":
    case "session.deleted":
      return payload.properties.info.id
    default:
      return undefined
  }
}

// ---------------------------------------------------------------------------------------------------------
// Request bodies

export interface TextPartInput {
  readonly type: "text"
  readonly text: string
  readonly synthetic?: boolean
}

export interface PromptBody {
  readonly messageID?: string
  readonly parts: ReadonlyArray<TextPartInput>
  readonly agent?: string
  readonly model?: { readonly providerID: string; readonly modelID: string }
  readonly variant?: string
  readonly noReply?: boolean
  readonly system?: string
}
