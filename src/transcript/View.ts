/**
 * The transcript's view model (SPEC §5.1): a session's messages grouped into turns (one per user message, with the
 * assistant messages parented to it), as one structured document that both renderings use — Markdown for people,
 * JSON for programs. Pure and deterministic: the only clock reading, `generatedAt`, is passed in by the caller and
 * only when asked for.
 */
import {
  type AssistantMessage,
  isSynthetic,
  type MessageWithParts,
  type ModelRef,
  type Part,
  type Session,
  type Tokens,
  type UserMessage,
  writtenTextParts
} from "../domain/Domain.js"
import type { Transcript } from "./Decode.js"

// ---------------------------------------------------------------------------------------------------------
// Turns

export interface UserEntry {
  readonly info: UserMessage
  readonly parts: ReadonlyArray<Part>
}

export interface AssistantEntry {
  readonly info: AssistantMessage
  readonly parts: ReadonlyArray<Part>
}

/**
 * - `prompt`: a user message with something the user sent (text, files, …);
 * - `system-only`: a user message whose only content is its `system` text — an agent-only system prompt, queued
 *   when no turn ran for it (`--system --no-reply`), never a visible prompt line;
 * - `orphan`: assistant messages whose user message is not in the transcript.
 */
export type TurnKind = "prompt" | "system-only" | "orphan"

export interface Turn {
  readonly number: number
  readonly kind: TurnKind
  readonly user: UserEntry | undefined
  readonly assistants: ReadonlyArray<AssistantEntry>
}

const kindOf = (user: UserEntry): TurnKind =>
  (user.info.system ?? "").trim() !== "" && user.parts.every(isSynthetic) ? "system-only" : "prompt"

/** Turns in message order: every assistant message joins the turn of the user message it is parented to. */
export const groupTurns = (messages: ReadonlyArray<MessageWithParts>): ReadonlyArray<Turn> => {
  const turns: Array<{ kind: TurnKind; user: UserEntry | undefined; assistants: Array<AssistantEntry> }> = []
  const turnOfUser = new Map<string, (typeof turns)[number]>()
  for (const message of messages) {
    const info = message.info
    if (info.role === "user") {
      const user: UserEntry = { info, parts: message.parts }
      const turn = { kind: kindOf(user), user, assistants: [] }
      turns.push(turn)
      turnOfUser.set(info.id, turn)
      continue
    }
    const assistant: AssistantEntry = { info, parts: message.parts }
    const owner = turnOfUser.get(info.parentID)
    if (owner !== undefined) {
      owner.assistants.push(assistant)
      continue
    }
    const last = turns[turns.length - 1]
    if (last?.kind === "orphan" && last.assistants[0]?.info.parentID === info.parentID) last.assistants.push(assistant)
    else turns.push({ kind: "orphan", user: undefined, assistants: [assistant] })
  }
  return turns.map((turn, index) => ({ number: index + 1, ...turn }))
}

// ---------------------------------------------------------------------------------------------------------
// The document both renderings share

export type PartView =
  | { readonly type: "text"; readonly text: string; readonly synthetic?: true; readonly ignored?: true }
  | { readonly type: "reasoning"; readonly text: string }
  | {
      readonly type: "tool"
      readonly tool: string
      readonly callID: string
      readonly status: string
      readonly title?: string
      readonly input?: unknown
      readonly output?: string
      readonly error?: string
      readonly durationSeconds?: number
    }
  | { readonly type: "patch"; readonly hash: string; readonly files: ReadonlyArray<string> }
  | { readonly type: "step-finish"; readonly reason: string; readonly tokens: TokensView; readonly cost: number }
  /** `url` is left out when it is an inline `data:` URL: that is the whole file, which the name and type stand for. */
  | { readonly type: "file"; readonly filename?: string; readonly mime: string; readonly url?: string }
  /** A kind of part this view does not render on its own (or the server's newer kind): its fields as they came. */
  | { readonly type: "other"; readonly partType: string; readonly fields: Readonly<Record<string, unknown>> }

/** Token counts in one fixed shape, whatever order the server or an export file wrote them in. */
export interface TokensView {
  readonly total?: number
  readonly input: number
  readonly output: number
  readonly reasoning: number
  readonly cache: { readonly read: number; readonly write: number }
}

export interface UserView {
  readonly id: string
  readonly created: number
  readonly agent?: string
  readonly model?: ModelRef
  /** The system prompt that went with this message (for a turn that ran: queued prompts it carried + its own). */
  readonly system?: string
  /** The text the user typed: the message's non-synthetic text parts. */
  readonly prompt: string
  readonly parts: ReadonlyArray<PartView>
}

export interface AssistantView {
  readonly id: string
  readonly parentID: string
  readonly created: number
  readonly completed?: number
  readonly durationSeconds?: number
  readonly agent?: string
  readonly model: ModelRef
  readonly finish?: string
  readonly error?: { readonly name: string; readonly message?: string; readonly data?: unknown }
  readonly tokens?: TokensView
  readonly cost?: number
  readonly text: string
  readonly parts: ReadonlyArray<PartView>
}

export interface TurnView {
  readonly turn: number
  readonly kind: TurnKind
  readonly user?: UserView
  /** For a system-only message no turn ran for: the later turn whose system prompt carried it, or null. */
  readonly queued?: { readonly carriedIntoTurn: number | null }
  readonly assistants: ReadonlyArray<AssistantView>
  /** The text of the turn's final assistant message. */
  readonly reply?: string
}

export interface TranscriptDocument {
  readonly format: "ocm-transcript/1"
  readonly generatedAt?: string
  readonly session: Session
  readonly counts: {
    readonly turns: number
    readonly messages: number
    readonly userMessages: number
    readonly assistantMessages: number
  }
  readonly turns: ReadonlyArray<TurnView>
}

export interface RenderOptions {
  /** Epoch milliseconds of the rendering, shown only when given (`--stamp`); otherwise output is deterministic. */
  readonly generatedAt?: number | undefined
}

/** `T` with every field that may be undefined made optional instead. */
type Defined<T> = { [K in keyof T as undefined extends T[K] ? never : K]: T[K] } & {
  [K in keyof T as undefined extends T[K] ? K : never]?: Exclude<T[K], undefined>
}

/** Drops undefined values, so optional fields are absent from the JSON rather than present as null. */
const defined = <T extends object>(value: T): Defined<T> =>
  Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Defined<T>

const tokensView = (tokens: Tokens): TokensView =>
  defined({
    total: tokens.total,
    input: tokens.input,
    output: tokens.output,
    reasoning: tokens.reasoning,
    cache: { read: tokens.cache.read, write: tokens.cache.write }
  })

const seconds = (ms: number) => Math.round(ms) / 1000

export type ToolView = Extract<PartView, { readonly type: "tool" }>

/** A tool part as the transcript reads it; also what `messages --verbose`, `stream` and `watch` print from. */
export const toolView = (part: Part): ToolView | undefined => {
  const view = partView(part)
  return view?.type === "tool" ? view : undefined
}

/** The one-line form of a tool step everywhere but the transcript: `[tool NAME STATUS] DETAIL`. */
export const toolStepLine = (view: ToolView, detail: string) => `[tool ${view.tool} ${view.status}]${detail ? ` ${detail}` : ""}`

/** A part's fields but the ones every part has, for a kind shown as it came. */
const otherView = (partType: string, part: Readonly<Record<string, unknown>>): PartView => {
  const { id: _id, sessionID: _sessionID, messageID: _messageID, type: _type, ...fields } = part
  return { type: "other", partType, fields }
}

/** `step-start` carries only a snapshot hash and marks what `step-finish` marks too, so it is left out. */
const partView = (part: Part): PartView | undefined => {
  switch (part.type) {
    case "step-start":
      return undefined
    case "text":
      return defined({
        type: "text" as const,
        text: part.text,
        synthetic: part.synthetic === true ? (true as const) : undefined,
        ignored: part.ignored === true ? (true as const) : undefined
      })
    case "reasoning":
      return { type: "reasoning", text: part.text }
    case "tool": {
      const { state } = part
      const time = state.time
      return defined({
        type: "tool" as const,
        tool: part.tool,
        callID: part.callID,
        status: state.status,
        title: state.title,
        input: state.input,
        output: state.output,
        error: state.error,
        durationSeconds: time?.end === undefined ? undefined : seconds(time.end - time.start)
      })
    }
    case "patch":
      return { type: "patch", hash: part.hash, files: part.files }
    case "step-finish":
      return { type: "step-finish", reason: part.reason, tokens: tokensView(part.tokens), cost: part.cost }
    case "file":
      return defined({
        type: "file" as const,
        filename: part.filename,
        mime: part.mime,
        url: part.url.startsWith("data:") ? undefined : part.url
      })
    case "unknown": {
      const { partType, ...fields } = part
      return otherView(partType, fields)
    }
    default:
      return otherView(part.type, part)
  }
}

const partViews = (parts: ReadonlyArray<Part>): ReadonlyArray<PartView> =>
  parts.flatMap((part) => {
    const view = partView(part)
    return view === undefined ? [] : [view]
  })

/** What was typed: the written text parts that were not ignored, one paragraph each. */
const typedText = (parts: ReadonlyArray<Part>) =>
  writtenTextParts(parts)
    .filter((part) => part.ignored !== true)
    .map((part) => part.text)
    .join("\n\n")

const userView = ({ info, parts }: UserEntry): UserView =>
  defined({
    id: info.id,
    created: info.time.created,
    agent: info.agent,
    model: info.model,
    system: info.system,
    prompt: typedText(parts),
    parts: partViews(parts)
  })

const errorView = (error: NonNullable<AssistantMessage["error"]>) => {
  const data = error.data
  const message =
    typeof data === "object" && data !== null && "message" in data && typeof data.message === "string" ? data.message : undefined
  return defined({ name: error.name, message, data: message === undefined ? data : undefined })
}

const assistantView = ({ info, parts }: AssistantEntry): AssistantView => {
  const completed = info.time.completed
  return defined({
    id: info.id,
    parentID: info.parentID,
    created: info.time.created,
    completed,
    durationSeconds: completed === undefined ? undefined : seconds(completed - info.time.created),
    agent: info.agent,
    model: defined({ providerID: info.providerID, modelID: info.modelID, variant: info.variant }),
    finish: info.finish,
    error: info.error === undefined ? undefined : errorView(info.error),
    tokens: info.tokens === undefined ? undefined : tokensView(info.tokens),
    cost: info.cost,
    text: typedText(parts),
    parts: partViews(parts)
  })
}

/** The later turn whose system prompt carries a queued one, as the client must send it (SPEC §4). */
const carrierOf = (turns: ReadonlyArray<Turn>, queued: Turn): number | null => {
  const text = (queued.user?.info.system ?? "").trim()
  const carrier = turns.find(
    (turn) => turn.number > queued.number && turn.user !== undefined && (turn.user.info.system ?? "").includes(text)
  )
  return carrier?.number ?? null
}

export const toDocument = (transcript: Transcript, options: RenderOptions = {}): TranscriptDocument => {
  const turns = groupTurns(transcript.messages)
  const users = transcript.messages.filter((message) => message.info.role === "user").length
  return defined({
    format: "ocm-transcript/1" as const,
    generatedAt: options.generatedAt === undefined ? undefined : new Date(options.generatedAt).toISOString(),
    session: transcript.session,
    counts: {
      turns: turns.length,
      messages: transcript.messages.length,
      userMessages: users,
      assistantMessages: transcript.messages.length - users
    },
    turns: turns.map((turn): TurnView => {
      const assistants = turn.assistants.map(assistantView)
      const last = assistants[assistants.length - 1]
      return defined({
        turn: turn.number,
        kind: turn.kind,
        user: turn.user === undefined ? undefined : userView(turn.user),
        queued:
          turn.kind === "system-only" && assistants.length === 0 ? { carriedIntoTurn: carrierOf(turns, turn) } : undefined,
        assistants,
        reply: last?.text
      })
    })
  })
}

/** The document as JSON: what `--json` prints. */
export const renderJson = (transcript: Transcript, options: RenderOptions = {}): string =>
  JSON.stringify(toDocument(transcript, options), null, 2)
