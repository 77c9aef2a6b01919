/**
 * Transcript rendering (SPEC §5.1): a session's messages grouped into turns (one per user message, with the
 * assistant messages parented to it), as one structured document that both renderers use — Markdown for people,
 * JSON for programs. Pure and deterministic: the same transcript always renders to the same text; the only clock
 * reading, `generatedAt`, is passed in by the caller and only when asked for.
 */
import * as Either from "effect/Either"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import { type AssistantMessage, MessageWithParts, type ModelRef, type Part, Session, type UserMessage } from "./Domain.js"
import { TranscriptDecodeError } from "./Errors.js"

export interface Transcript {
  readonly session: Session
  readonly messages: ReadonlyArray<MessageWithParts>
}

/** What `opencode export <id>` prints: the session (`GET /session/{id}`) and its messages (`GET …/message`). */
export const ExportFile = Schema.Struct({
  info: Session,
  messages: Schema.Array(MessageWithParts)
})

const decodeExportFile = Schema.decodeUnknownEither(ExportFile, { errors: "all" })

/** Where in the document an issue is, as `messages[3].info.role`. */
const pathText = (path: ReadonlyArray<PropertyKey>) =>
  path.reduce<string>(
    (text, key) => (typeof key === "number" ? `${text}[${key}]` : `${text}${text === "" ? "" : "."}${String(key)}`),
    ""
  )

/** The first few issues, one line each: enough to find the problem without a page of union alternatives. */
const describeIssues = (error: ParseResult.ParseError): string => {
  const issues = ParseResult.ArrayFormatter.formatErrorSync(error)
  const shown = issues.slice(0, 3).map((issue) => {
    const where = pathText(issue.path)
    return where === "" ? issue.message : `at ${where}: ${issue.message}`
  })
  const more = issues.length > shown.length ? ` (and ${issues.length - shown.length} more)` : ""
  return `${shown.join("; ")}${more}`
}

/** Decodes an export file's text (`opencode export` output or `{info, messages}`); `source` names it in errors. */
export const decodeExport = (text: string, source: string): Either.Either<Transcript, TranscriptDecodeError> =>
  Either.try({
    try: (): unknown => JSON.parse(text),
    catch: (error) => new TranscriptDecodeError({ source, detail: `not JSON: ${(error as Error).message}` })
  }).pipe(
    Either.flatMap((json) =>
      decodeExportFile(json).pipe(
        Either.map(({ info, messages }): Transcript => ({ session: info, messages })),
        Either.mapLeft((error) => new TranscriptDecodeError({ source, detail: describeIssues(error) }))
      )
    )
  )

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

const isSynthetic = (part: Part) => part.synthetic === true

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
// The document both renderers share

export type PartView =
  | { readonly type: "text"; readonly text: string; readonly synthetic?: true; readonly ignored?: true }
  | { readonly type: "reasoning"; readonly text: string; readonly synthetic?: true }
  | {
      readonly type: "tool"
      readonly tool: string
      readonly callID?: string
      readonly status: string
      readonly title?: string
      readonly input?: unknown
      readonly output?: string
      readonly error?: string
      readonly durationSeconds?: number
      readonly synthetic?: true
    }
  | { readonly type: "patch"; readonly hash?: string; readonly files: ReadonlyArray<string>; readonly synthetic?: true }
  | {
      readonly type: "step-finish"
      readonly reason?: string
      readonly tokens?: TokensView
      readonly cost?: number
      readonly synthetic?: true
    }
  | {
      readonly type: "file"
      readonly filename?: string
      readonly mime?: string
      readonly url?: string
      readonly synthetic?: true
    }
  /** A part type this renderer does not know: its fields are kept as they came. */
  | { readonly type: "other"; readonly partType: string; readonly fields: Readonly<Record<string, unknown>>; readonly synthetic?: true }

/** Token counts in one fixed shape, whatever order the server or an export file wrote them in. */
export interface TokensView {
  readonly total?: number
  readonly input?: number
  readonly output?: number
  readonly reasoning?: number
  readonly cache?: { readonly read?: number; readonly write?: number }
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

type Fields = Readonly<Record<string, unknown>>

const stringOf = (value: unknown): string | undefined => (typeof value === "string" ? value : undefined)
const numberOf = (value: unknown): number | undefined =>
  typeof value === "number" && Number.isFinite(value) ? value : undefined
const recordOf = (value: unknown): Fields | undefined =>
  typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Fields) : undefined

/** `T` with every field that may be undefined made optional instead. */
type Defined<T> = { [K in keyof T as undefined extends T[K] ? never : K]: T[K] } & {
  [K in keyof T as undefined extends T[K] ? K : never]?: Exclude<T[K], undefined>
}

/** Drops undefined values, so optional fields are absent from the JSON rather than present as null. */
const defined = <T extends object>(value: T): Defined<T> =>
  Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Defined<T>

const tokensView = (value: unknown): TokensView | undefined => {
  const tokens = recordOf(value)
  if (tokens === undefined) return undefined
  const cache = recordOf(tokens.cache)
  return defined({
    total: numberOf(tokens.total),
    input: numberOf(tokens.input),
    output: numberOf(tokens.output),
    reasoning: numberOf(tokens.reasoning),
    cache: cache === undefined ? undefined : defined({ read: numberOf(cache.read), write: numberOf(cache.write) })
  })
}

const seconds = (ms: number) => Math.round(ms) / 1000

const syntheticMark = (part: Part) => (isSynthetic(part) ? { synthetic: true as const } : {})

export type ToolView = Extract<PartView, { readonly type: "tool" }>

/** A tool part as the transcript reads it; also what `messages --verbose`, `stream` and `watch` print from. */
export const toolView = (part: Part): ToolView | undefined => {
  const view = partView(part)
  return view?.type === "tool" ? view : undefined
}

/** The one-line form of a tool step everywhere but the transcript: `[tool NAME STATUS] DETAIL`. */
export const toolStepLine = (view: ToolView, detail: string) => `[tool ${view.tool} ${view.status}]${detail ? ` ${detail}` : ""}`

/** `step-start` carries only a snapshot hash and marks what `step-finish` marks too, so it is left out. */
const partView = (part: Part): PartView | undefined => {
  switch (part.type) {
    case "step-start":
      return undefined
    case "text":
      return defined({
        type: "text" as const,
        text: stringOf(part.text) ?? "",
        ...syntheticMark(part),
        ...(part.ignored === true ? { ignored: true as const } : {})
      })
    case "reasoning":
      return defined({ type: "reasoning" as const, text: stringOf(part.text) ?? "", ...syntheticMark(part) })
    case "tool": {
      const state = recordOf(part.state) ?? {}
      const time = recordOf(state.time)
      const start = numberOf(time?.start)
      const end = numberOf(time?.end)
      return defined({
        type: "tool" as const,
        tool: stringOf(part.tool) ?? "(unnamed tool)",
        callID: stringOf(part.callID),
        status: stringOf(state.status) ?? "unknown",
        title: stringOf(state.title),
        input: state.input,
        output: stringOf(state.output),
        error: stringOf(state.error),
        durationSeconds: start !== undefined && end !== undefined ? seconds(end - start) : undefined,
        ...syntheticMark(part)
      })
    }
    case "patch":
      return defined({
        type: "patch" as const,
        hash: stringOf(part.hash),
        files: Array.isArray(part.files) ? part.files.map(String) : [],
        ...syntheticMark(part)
      })
    case "step-finish":
      return defined({
        type: "step-finish" as const,
        reason: stringOf(part.reason),
        tokens: tokensView(part.tokens),
        cost: numberOf(part.cost),
        ...syntheticMark(part)
      })
    case "file": {
      const url = stringOf(part.url)
      return defined({
        type: "file" as const,
        filename: stringOf(part.filename),
        mime: stringOf(part.mime),
        // an inline data: URL is the whole file; the name and type say what it was
        url: url?.startsWith("data:") ? undefined : url,
        ...syntheticMark(part)
      })
    }
    default: {
      const { id: _id, sessionID: _sessionID, messageID: _messageID, type, ...fields } = part
      return defined({ type: "other" as const, partType: type, fields, ...syntheticMark(part) })
    }
  }
}

const partViews = (parts: ReadonlyArray<Part>): ReadonlyArray<PartView> =>
  parts.flatMap((part) => {
    const view = partView(part)
    return view === undefined ? [] : [view]
  })

const typedText = (parts: ReadonlyArray<Part>) =>
  parts
    .filter((part) => part.type === "text" && !isSynthetic(part) && part.ignored !== true)
    .map((part) => stringOf(part.text) ?? "")
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
  const data = recordOf(error.data)
  const message = stringOf(data?.message)
  return defined({ name: error.name, message, data: message === undefined ? error.data : undefined })
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
    tokens: tokensView(info.tokens),
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

// ---------------------------------------------------------------------------------------------------------
// Renderers

export const renderJson = (transcript: Transcript, options: RenderOptions = {}): string =>
  JSON.stringify(toDocument(transcript, options), null, 2)

const iso = (ms: number) => new Date(ms).toISOString()

/** A fence longer than any backtick run inside, so text that contains fences cannot break out of its block. */
const fenced = (content: string, language = "text") => {
  const longestRun = Math.max(0, ...(content.match(/`+/g) ?? []).map((run) => run.length))
  const fence = "`".repeat(Math.max(3, longestRun + 1))
  return `${fence}${language}\n${content.replace(/\n$/, "")}\n${fence}`
}

const quoted = (text: string) =>
  text
    .split("\n")
    .map((line) => (line === "" ? ">" : `> ${line}`))
    .join("\n")

const modelText = (model: ModelRef | undefined) =>
  model === undefined ? undefined : `${model.providerID}/${model.modelID}${model.variant ? ` (${model.variant})` : ""}`

const numberText = (value: number) => String(Number(value.toFixed(6)))

const tokensText = (tokens: TokensView | undefined): string | undefined => {
  if (tokens === undefined || (tokens.input === undefined && tokens.output === undefined)) return undefined
  return [
    `${tokens.input ?? 0} in`,
    `${tokens.output ?? 0} out`,
    tokens.reasoning ? `${tokens.reasoning} reasoning` : undefined,
    tokens.cache?.read ? `${tokens.cache.read} cache read` : undefined,
    tokens.cache?.write ? `${tokens.cache.write} cache write` : undefined
  ]
    .filter((piece) => piece !== undefined)
    .join(", ")
}

/** `key: value` pairs joined on one line, absent values left out. */
const facts = (pairs: ReadonlyArray<readonly [string, string | undefined]>) =>
  pairs
    .filter(([, value]) => value !== undefined && value !== "")
    .map(([key, value]) => `${key}: ${value}`)
    .join(" · ")

const SYNTHETIC = "*(synthetic: added by OpenCode, not typed by the user)*"

const partMarkdown = (part: PartView): string => {
  const synthetic = part.synthetic ? `${SYNTHETIC}\n\n` : ""
  switch (part.type) {
    case "text":
      return `${synthetic}${part.ignored ? "*(ignored)*\n\n" : ""}${part.text}`
    case "reasoning":
      return `${synthetic}**Reasoning**\n\n${quoted(part.text)}`
    case "tool": {
      const status = part.status === "error" ? "**error**" : part.status
      const head = [
        `**Tool \`${part.tool}\`**`,
        status,
        part.title,
        part.durationSeconds === undefined ? undefined : `${part.durationSeconds} s`
      ]
        .filter((piece) => piece !== undefined && piece !== "")
        .join(" · ")
      const blocks = [`${synthetic}${head}`]
      if (part.input !== undefined) blocks.push(`Input:\n\n${fenced(JSON.stringify(part.input, null, 2), "json")}`)
      if (part.output !== undefined) blocks.push(`Output:\n\n${fenced(part.output === "" ? "(empty)" : part.output)}`)
      if (part.error !== undefined) blocks.push(`Error:\n\n${fenced(part.error)}`)
      return blocks.join("\n\n")
    }
    case "patch": {
      const files = part.files.length === 0 ? "(no files)" : part.files.map((file) => `- \`${file}\``).join("\n")
      return `${synthetic}**Patch**${part.hash ? ` \`${part.hash}\`` : ""}\n\n${files}`
    }
    case "step-finish":
      return `${synthetic}*step finished${part.reason ? `: ${part.reason}` : ""}*`
    case "file":
      return `${synthetic}**File** ${[
        part.filename ? `\`${part.filename}\`` : undefined,
        part.mime ? `(${part.mime})` : undefined,
        part.url && part.url !== part.filename ? `<${part.url}>` : undefined
      ]
        .filter((piece) => piece !== undefined)
        .join(" ")}`.trimEnd()
    case "other":
      return `${synthetic}**Part \`${part.partType}\`**\n\n${fenced(JSON.stringify(part.fields, null, 2), "json")}`
  }
}

const userMarkdown = (turn: TurnView, user: UserView): Array<string> => {
  const blocks: Array<string> = [
    `- ${facts([
      ["user message", `\`${user.id}\``],
      ["agent", user.agent],
      ["model", modelText(user.model)],
      ["created", iso(user.created)]
    ])}`
  ]
  if (turn.kind === "system-only") {
    const carried =
      turn.queued === undefined
        ? "A turn ran for it."
        : turn.queued.carriedIntoTurn === null
          ? "Queued: not carried into any later turn yet."
          : `Queued: carried into turn ${turn.queued.carriedIntoTurn}.`
    blocks.push(
      `### System prompt (agent-only)\n\n*Recorded in the session for the agent; not a visible prompt line. ${carried}*`,
      fenced(user.system ?? "")
    )
    // anything OpenCode added to such a message is still shown, marked
    blocks.push(...user.parts.map(partMarkdown))
    return blocks
  }
  if (user.system !== undefined && user.system !== "") blocks.push("### System prompt", fenced(user.system))
  blocks.push("### Prompt")
  // what the user sent is quoted; what OpenCode added to it is marked as such
  blocks.push(
    ...user.parts.map((part) =>
      part.type !== "text"
        ? partMarkdown(part)
        : [part.synthetic ? SYNTHETIC : undefined, part.ignored ? "*(ignored)*" : undefined, quoted(part.text)]
            .filter((block) => block !== undefined)
            .join("\n\n")
    )
  )
  if (user.parts.length === 0) blocks.push("*(no parts)*")
  return blocks
}

const assistantMarkdown = (assistant: AssistantView, index: number, of: number): Array<string> => {
  const blocks = [
    `### Assistant${of > 1 ? ` ${index + 1}/${of}` : ""}`,
    [
      `- ${facts([
        ["assistant message", `\`${assistant.id}\``],
        ["agent", assistant.agent],
        ["model", modelText(assistant.model)]
      ])}`,
      `- ${facts([
        ["duration", assistant.durationSeconds === undefined ? "not completed" : `${assistant.durationSeconds} s`],
        ["finish", assistant.finish],
        ["tokens", tokensText(assistant.tokens)],
        ["cost", assistant.cost === undefined ? undefined : numberText(assistant.cost)]
      ])}`,
      ...(assistant.error === undefined
        ? []
        : [
            `- **error: ${assistant.error.name}${assistant.error.message === undefined ? "" : `: ${assistant.error.message}`}**`
          ])
    ].join("\n")
  ]
  if (assistant.error?.data !== undefined) blocks.push(fenced(JSON.stringify(assistant.error.data, null, 2), "json"))
  // a step that finished the way the message did says nothing the header has not said
  const shown = assistant.parts.filter((part) => !(part.type === "step-finish" && part.reason === assistant.finish))
  blocks.push(...shown.map(partMarkdown))
  if (assistant.parts.length === 0) blocks.push("*(no parts)*")
  return blocks
}

const turnHeading = (turn: TurnView) => {
  switch (turn.kind) {
    case "prompt":
      return `## Turn ${turn.turn}`
    case "system-only":
      return `## Turn ${turn.turn}: ${turn.queued === undefined ? "system prompt only" : "queued system prompt"}`
    case "orphan":
      return `## Turn ${turn.turn}: assistant messages without their user message`
  }
}

const turnMarkdown = (turn: TurnView): string => {
  const blocks = [turnHeading(turn)]
  if (turn.user !== undefined) blocks.push(...userMarkdown(turn, turn.user))
  else blocks.push(`*Parented to \`${turn.assistants[0]?.parentID ?? "?"}\`, which is not in the transcript.*`)
  turn.assistants.forEach((assistant, index) => blocks.push(...assistantMarkdown(assistant, index, turn.assistants.length)))
  if (turn.assistants.length === 0 && turn.kind === "prompt") blocks.push("*No assistant reply.*")
  return blocks.join("\n\n")
}

export const renderMarkdown = (transcript: Transcript, options: RenderOptions = {}): string => {
  const document = toDocument(transcript, options)
  const { session, counts } = document
  const header = [
    `# Transcript: ${session.title}`,
    [
      `- session: \`${session.id}\``,
      `- directory: \`${session.directory}\``,
      ...(session.parentID ? [`- parent session: \`${session.parentID}\``] : []),
      `- ${facts([
        ["created", iso(session.time.created)],
        ["updated", iso(session.time.updated)]
      ])}`,
      `- ${counts.turns} turns, ${counts.messages} messages (${counts.userMessages} user, ${counts.assistantMessages} assistant)`,
      ...(document.generatedAt === undefined ? [] : [`- generated: ${document.generatedAt}`])
    ].join("\n")
  ]
  return [...header, ...document.turns.map(turnMarkdown)].join("\n\n")
}
