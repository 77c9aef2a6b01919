/** occtl's prompting commands over the turn engine (SPEC §5.2): send|prompt, stream, watch. */
import * as Terminal from "@effect/platform/Terminal"
import * as Console from "effect/Console"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import { OpenCodeClient } from "../../services/OpenCodeClient.js"
import { ProcessHost } from "../../services/ProcessHost.js"
import { eventSessionID, type OpenCodeEvent, type Part } from "../Domain.js"
import { flagsContradict, InvalidInput } from "../Errors.js"
import { emit, note } from "../Output.js"
import { type ToolView, toolStepLine, toolView } from "../transcript/View.js"
import { readDefaults } from "../SessionDefaults.js"
import { matchesEventType } from "../EventTypes.js"
import { resolveSession } from "../SessionResolver.js"
import { proofJson, replyText, runTurn, type TurnInput, type TurnResult } from "../TurnEngine.js"
import { waitFor } from "../WaitEngine.js"
import { identityFlags, type IdentityOptions } from "./turns.js"

export interface PromptOptions extends IdentityOptions {
  readonly session: Option.Option<string>
  readonly stdin: boolean
  readonly timeout: Duration.Duration
  readonly abortOnTimeout: boolean
  readonly json: boolean
}

/** The prompt: MESSAGE words, then piped stdin (with `--stdin`), checked before anything is sent. */
const promptText = (words: ReadonlyArray<string>, stdin: boolean) =>
  Effect.gen(function* () {
    const host = yield* ProcessHost
    const piped = stdin
      ? yield* host.readStdin.pipe(Effect.mapError((error) => new InvalidInput({ message: `--stdin: ${error.message}` })))
      : ""
    const text = [words.join(" ").trim(), piped.trim()].filter((part) => part !== "").join("\n\n")
    if (text === "") return yield* new InvalidInput({ message: "nothing to send: give MESSAGE words or pipe text with --stdin" })
    return text
  })

/** Checks, resolves the session, and builds the engine's input. */
const prepare = (words: ReadonlyArray<string>, options: PromptOptions, extra: Partial<TurnInput> = {}) =>
  Effect.gen(function* () {
    const flags = identityFlags(options)
    const timeout = options.timeout
    const text = yield* promptText(words, options.stdin)
    const host = yield* ProcessHost
    const session = yield* resolveSession(Option.getOrUndefined(options.session), host.cwd)
    const input: TurnInput = {
      sessionID: session.id,
      directory: session.directory,
      text,
      noReply: false,
      flags,
      storedDefaults: yield* readDefaults(session.id),
      timeout,
      abortOnTimeout: options.abortOnTimeout,
      ...extra
    }
    return { session, input, timeout }
  })

const resultJson = (turn: TurnResult) => ({
  sessionID: turn.sessionID,
  directory: turn.directory,
  mode: turn.mode,
  reply: turn.reply,
  proof: proofJson(turn.proof)
})

/**
 * `send`: a witnessed turn, printing the reply. `--async`: return once the prompt is recorded (prints the session
 * id). `--wait`: after the turn, also wait for the session's sub-agent sessions, then print the reply.
 */
export const send = (
  words: ReadonlyArray<string>,
  options: PromptOptions & { readonly async: boolean; readonly wait: boolean; readonly noReply: boolean }
) =>
  Effect.gen(function* () {
    if (options.async && options.wait) {
      return yield* flagsContradict("--async", "--wait", "--async returns once the prompt is recorded, --wait waits for the turn and its sub-agents")
    }
    if (options.async && options.noReply) {
      return yield* flagsContradict("--async", "--no-reply", "--no-reply runs no turn for --async to leave running")
    }
    if (options.noReply && options.wait) {
      return yield* flagsContradict("--no-reply", "--wait", "--no-reply runs no turn, so there is nothing to wait for")
    }
    if (options.async && options.abortOnTimeout) {
      return yield* flagsContradict("--async", "--abort-on-timeout", "--async returns once the prompt is recorded and leaves the turn running")
    }
    if (options.noReply && options.abortOnTimeout) {
      return yield* flagsContradict("--no-reply", "--abort-on-timeout", "--no-reply runs no turn to abort")
    }
    const { session, input, timeout } = yield* prepare(words, options, { detach: options.async, noReply: options.noReply })
    const turn = yield* runTurn(input)
    let reply = turn.reply
    if (options.wait && turn.mode === "turn") {
      const { states } = yield* waitFor([session], { mode: "all", requireBusy: false, mainAgent: false, timeout })
      reply = replyText(states[0]?.latestAssistant) || reply
    }
    yield* emit(options.json, { ...resultJson(turn), reply }, () =>
      turn.mode === "turn" ? reply : `${session.id} ${turn.proof.userMessageID} (${turn.mode === "sent" ? "sent, running" : "recorded, no reply requested"})`
    )
  })

// ---------------------------------------------------------------------------------------------------------
// stream: the turn as it happens

/** What kind each part is, learned from `message.part.updated`, so deltas can be told apart. */
const partKinds = () => {
  const kinds = new Map<string, string>()
  return {
    learn: (part: Part) => kinds.set(part.id, part.type),
    kindOf: (partID: string) => kinds.get(partID)
  }
}

/** What a step is doing, before it has a title: the description the model gave it, or its input, shortened. */
const inputBrief = (input: unknown) => {
  if (input === undefined || input === null) return ""
  const described = (input as { description?: unknown }).description
  const text = typeof described === "string" ? described : JSON.stringify(input)
  return text.length > 80 ? `${text.slice(0, 79)}…` : text
}

const toolLine = (view: ToolView) =>
  toolStepLine(
    view,
    view.error !== undefined ? view.error.split("\n")[0]! : view.title !== undefined && view.title !== "" ? view.title : inputBrief(view.input)
  )

/** NDJSON form of an event: its type, the session, and the event's own properties. */
const eventLine = (event: OpenCodeEvent) =>
  JSON.stringify(
    event.payload.type === "other"
      ? { type: event.payload.name, directory: event.directory, properties: event.payload.properties }
      : { type: event.payload.type, directory: event.directory, ...event.payload.properties }
  )

/**
 * `stream`: a witnessed turn whose text is printed as it is written and whose tool steps are printed when they
 * start and end; `--json`: every event as a line (NDJSON), then a final `{"type":"result",…}` line.
 */
export const stream = (words: ReadonlyArray<string>, options: PromptOptions) =>
  Effect.gen(function* () {
    const terminal = yield* Terminal.Terminal
    const parts = partKinds()
    const toolStates = new Map<string, string>()
    let wroteText = false
    const show = (event: OpenCodeEvent): Effect.Effect<void> => {
      const payload = event.payload
      if (options.json) return Console.log(eventLine(event))
      if (payload.type === "message.part.updated") {
        const part = payload.properties.part
        parts.learn(part)
        const tool = toolView(part)
        // a step is shown when it starts running and when it ends; "pending" (the model still writing the call's
        // input) says nothing yet
        if (tool !== undefined && tool.status !== "pending" && toolStates.get(part.id) !== tool.status) {
          toolStates.set(part.id, tool.status)
          const line = `${wroteText ? "\n" : ""}${toolLine(tool)}\n`
          wroteText = false
          return terminal.display(line).pipe(Effect.ignore)
        }
        return Effect.void
      }
      if (payload.type === "message.part.delta" && payload.properties.field === "text" && parts.kindOf(payload.properties.partID) === "text") {
        wroteText = true
        return terminal.display(payload.properties.delta).pipe(Effect.ignore)
      }
      if (payload.type === "session.status" && payload.properties.status.type === "retry") {
        return note(`ocm: the provider is being retried (attempt ${payload.properties.status.attempt})`)
      }
      return Effect.void
    }
    const { input } = yield* prepare(words, options)
    const turn = yield* runTurn({ ...input, onEvent: show })
    if (options.json) return yield* Console.log(JSON.stringify({ type: "result", ...resultJson(turn) }))
    // the streamed text is the reply; a reply that came without deltas (or not as text) is printed whole
    yield* wroteText ? terminal.display("\n").pipe(Effect.ignore) : Console.log(turn.reply)
  })

// ---------------------------------------------------------------------------------------------------------
// watch: events as they come, until interrupted

const clock = (event: OpenCodeEvent) => new Date().toISOString().slice(11, 19) + "  " + (eventSessionID(event.payload) ?? "-")

const describeEvent = (event: OpenCodeEvent): string | undefined => {
  const payload = event.payload
  switch (payload.type) {
    case "session.status": {
      const status = payload.properties.status
      return `status ${status.type}${status.type === "retry" ? ` (attempt ${status.attempt}: ${status.message})` : ""}`
    }
    case "session.idle":
      return "idle"
    case "session.error":
      return `error ${payload.properties.error?.name ?? ""}`
    case "message.updated": {
      const info = payload.properties.info
      return `message ${info.role} ${info.id}${info.role === "assistant" && info.time.completed ? " completed" : ""}`
    }
    case "message.part.updated": {
      const part = payload.properties.part
      const tool = toolView(part)
      if (tool !== undefined) return toolLine(tool)
      if (part.type === "text" && part.text !== "") return `text ${part.text.slice(0, 200)}`
      return undefined
    }
    case "permission.asked":
      return `permission asked ${payload.properties.permission} (${payload.properties.id})`
    case "permission.replied":
      return `permission replied ${payload.properties.reply ?? ""}`
    case "message.part.delta":
      return undefined
    default:
      return payload.type === "other" ? payload.name : payload.type
  }
}

/**
 * `watch`: the events of one session (or every session with `--all`) until interrupted. `--events` keeps only the
 * named types; `--text-only` prints assistant text as each text part completes; `--json` prints NDJSON.
 */
export const watch = (
  reference: Option.Option<string>,
  options: {
    readonly all: boolean
    /** Event types or `prefix.*` patterns, as `parseEventFilter` reads them from `--events`. */
    readonly events: Option.Option<ReadonlyArray<string>>
    readonly textOnly: boolean
    readonly json: boolean
  }
) =>
  Effect.gen(function* () {
    if (options.all && Option.isSome(reference)) return yield* new InvalidInput({ message: "give a session or --all, not both" })
    if (options.json && options.textOnly) {
      return yield* flagsContradict("--json", "--text-only", "--json prints every event as NDJSON, --text-only only the assistant's text")
    }
    const wanted = options.events
    const client = yield* OpenCodeClient
    const host = yield* ProcessHost
    const session = options.all ? undefined : yield* resolveSession(Option.getOrUndefined(reference), host.cwd)
    const subscription = yield* client.subscribe
    const assistantMessages = new Set<string>()
    yield* note(`ocm: watching ${session === undefined ? "every session" : session.id} (Ctrl-C to stop)`)
    yield* subscription.events.pipe(
      Stream.filter((event) => session === undefined || eventSessionID(event.payload) === session.id),
      Stream.filter((event) => {
        const type = event.payload.type === "other" ? event.payload.name : event.payload.type
        return Option.match(wanted, { onNone: () => true, onSome: (entries) => entries.some((entry) => matchesEventType(entry, type)) })
      }),
      Stream.runForEach((event) => {
        const payload = event.payload
        if (payload.type === "message.updated" && payload.properties.info.role === "assistant") assistantMessages.add(payload.properties.info.id)
        if (options.json) return Console.log(eventLine(event))
        if (options.textOnly) {
          const part = payload.type === "message.part.updated" ? payload.properties.part : undefined
          return part !== undefined && part.type === "text" && assistantMessages.has(part.messageID) && part.text !== ""
            ? Console.log(part.text)
            : Effect.void
        }
        const line = describeEvent(event)
        return line === undefined ? Effect.void : Console.log(`${clock(event)}  ${line}`)
      })
    )
  }).pipe(Effect.scoped)
