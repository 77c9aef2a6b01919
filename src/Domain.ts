/**
 * The shapes ocm reads from the OpenCode server. Only the fields ocm uses are declared; every struct
 * ignores unknown fields, so a newer server that adds fields does not break decoding.
 */
import * as Schema from "effect/Schema"

const Rest = Schema.Record({ key: Schema.String, value: Schema.Unknown })

/** An optional field the server may also send as null (it does, e.g. `hidden: null`). */
const optional = <S extends Schema.Schema.Any>(schema: S) => Schema.optionalWith(schema, { nullable: true })

export const Health = Schema.Struct({
  healthy: Schema.Boolean,
  version: Schema.String
})
export type Health = typeof Health.Type

export const SessionTime = Schema.Struct({
  created: Schema.Number,
  updated: Schema.Number,
  archived: optional(Schema.Number)
})

export const Session = Schema.Struct({
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
})
export type Session = typeof Session.Type

export const ModelRef = Schema.Struct({
  providerID: Schema.String,
  modelID: Schema.String,
  variant: optional(Schema.String)
})
export type ModelRef = typeof ModelRef.Type

export const MessageError = Schema.Struct({
  name: Schema.String,
  data: optional(Schema.Unknown)
})
export type MessageError = typeof MessageError.Type

export const UserMessage = Schema.Struct({
  id: Schema.String,
  sessionID: Schema.String,
  role: Schema.Literal("user"),
  time: Schema.Struct({ created: Schema.Number }),
  agent: optional(Schema.String),
  model: optional(ModelRef),
  system: optional(Schema.String),
  summary: optional(Schema.Unknown)
})
export type UserMessage = typeof UserMessage.Type

export const AssistantMessage = Schema.Struct({
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
  tokens: optional(Schema.Unknown)
})
export type AssistantMessage = typeof AssistantMessage.Type

export const MessageInfo = Schema.Union(UserMessage, AssistantMessage)
export type MessageInfo = typeof MessageInfo.Type

/** A part keeps every field the server sent, so renderers can show what they know and pass the rest through. */
export const Part = Schema.Struct(
  {
    id: Schema.String,
    sessionID: Schema.String,
    messageID: Schema.String,
    type: Schema.String
  },
  Rest
)
export type Part = typeof Part.Type

export const MessageWithParts = Schema.Struct({
  info: MessageInfo,
  parts: Schema.Array(Part)
})
export type MessageWithParts = typeof MessageWithParts.Type

export const SessionStatus = Schema.Union(
  Schema.Struct({ type: Schema.Literal("idle") }),
  Schema.Struct({ type: Schema.Literal("busy") }),
  Schema.Struct({
    type: Schema.Literal("retry"),
    attempt: Schema.Number,
    message: Schema.String,
    next: optional(Schema.Number)
  })
)
export type SessionStatus = typeof SessionStatus.Type

export const SessionStatusMap = Schema.Record({ key: Schema.String, value: SessionStatus })
export type SessionStatusMap = typeof SessionStatusMap.Type

export const Todo = Schema.Struct({
  content: Schema.String,
  status: Schema.String,
  priority: optional(Schema.String),
  id: optional(Schema.String)
})
export type Todo = typeof Todo.Type

export const PermissionRequest = Schema.Struct({
  id: Schema.String,
  sessionID: Schema.String,
  permission: Schema.String,
  patterns: Schema.Array(Schema.String),
  metadata: optional(Schema.Unknown),
  always: optional(Schema.Array(Schema.String)),
  tool: optional(Schema.Struct({ messageID: Schema.String, callID: Schema.String }))
})
export type PermissionRequest = typeof PermissionRequest.Type

export type PermissionReply = "once" | "always" | "reject"

export const FileDiff = Schema.Struct({
  file: optional(Schema.String),
  patch: optional(Schema.String),
  additions: Schema.Number,
  deletions: Schema.Number,
  status: optional(Schema.String)
})
export type FileDiff = typeof FileDiff.Type

export const Worktree = Schema.Struct({
  name: Schema.String,
  branch: optional(Schema.String),
  directory: Schema.String
})
export type Worktree = typeof Worktree.Type

export const Agent = Schema.Struct({
  name: Schema.String,
  description: optional(Schema.String),
  mode: Schema.String,
  hidden: optional(Schema.Boolean),
  model: optional(Schema.Struct({ providerID: Schema.String, modelID: Schema.String }))
})
export type Agent = typeof Agent.Type

export const ProviderModel = Schema.Struct(
  {
    id: Schema.String,
    name: optional(Schema.String),
    variants: optional(Schema.Record({ key: Schema.String, value: Schema.Unknown }))
  },
  Rest
)

export const Provider = Schema.Struct({
  id: Schema.String,
  name: optional(Schema.String),
  models: Schema.Record({ key: Schema.String, value: ProviderModel })
})
export type Provider = typeof Provider.Type

export const ConfigProviders = Schema.Struct({
  providers: Schema.Array(Provider),
  default: Schema.Record({ key: Schema.String, value: Schema.String })
})
export type ConfigProviders = typeof ConfigProviders.Type

/** `GET /provider`: every provider OpenCode knows (its models.dev snapshot plus config), and which are connected. */
export const ProviderCatalog = Schema.Struct({
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
})
export type ProviderCatalog = typeof ProviderCatalog.Type

/** `/config` is large and user-shaped; ocm reads a few fields and keeps the rest opaque. */
export const ServerConfig = Schema.Struct(
  {
    model: optional(Schema.String),
    small_model: optional(Schema.String)
  },
  Rest
)
export type ServerConfig = typeof ServerConfig.Type

export const OpenApiDocument = Schema.Struct({
  openapi: optional(Schema.String),
  info: optional(Schema.Struct({ version: optional(Schema.String) })),
  paths: Schema.Record({ key: Schema.String, value: Schema.Record({ key: Schema.String, value: Schema.Unknown }) })
})
export type OpenApiDocument = typeof OpenApiDocument.Type

// ---------------------------------------------------------------------------------------------------------
// Events from GET /global/event, unwrapped from their `{directory, payload}` envelope.

const eventOf = <T extends string, P extends Schema.Struct.Fields>(type: T, properties: P) =>
  Schema.Struct({ type: Schema.Literal(type), properties: Schema.Struct(properties) })

export const SessionStatusEvent = eventOf("session.status", { sessionID: Schema.String, status: SessionStatus })
export const SessionIdleEvent = eventOf("session.idle", { sessionID: Schema.String })
export const SessionErrorEvent = eventOf("session.error", {
  sessionID: optional(Schema.String),
  error: optional(MessageError)
})
export const MessageUpdatedEvent = eventOf("message.updated", { info: MessageInfo })
export const MessagePartUpdatedEvent = eventOf("message.part.updated", { part: Part })
export const MessagePartDeltaEvent = eventOf("message.part.delta", {
  sessionID: Schema.String,
  messageID: Schema.String,
  partID: Schema.String,
  field: Schema.String,
  delta: Schema.String
})
export const SessionUpdatedEvent = eventOf("session.updated", { info: Session })
export const SessionDeletedEvent = eventOf("session.deleted", { info: Session })
export const PermissionAskedEvent = eventOf("permission.asked", {
  id: Schema.String,
  sessionID: Schema.String,
  permission: Schema.String,
  patterns: optional(Schema.Array(Schema.String))
})
export const PermissionRepliedEvent = eventOf("permission.replied", {
  sessionID: Schema.String,
  requestID: optional(Schema.String),
  reply: optional(Schema.String)
})
export const ServerConnectedEvent = eventOf("server.connected", {})

/** Any event ocm does not model (or whose payload does not match): kept, never a failure. */
export const OtherEvent = Schema.transform(
  Schema.Struct({ type: Schema.String, properties: optional(Schema.Unknown) }),
  Schema.Struct({ type: Schema.Literal("other"), name: Schema.String, properties: Schema.Unknown }),
  {
    strict: true,
    decode: (raw) => ({ type: "other" as const, name: raw.type, properties: raw.properties }),
    encode: (other) => ({ type: other.name, properties: other.properties })
  }
)

export const EventPayload = Schema.Union(
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
)
export type EventPayload = typeof EventPayload.Type

export const GlobalEventEnvelope = Schema.Struct({
  directory: optional(Schema.String),
  payload: EventPayload
})

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
