/** occtl's prompting commands over the turn engine (SPEC §5.2): send|prompt, stream, watch. */
import * as Clock from "effect/Clock"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Mailbox from "effect/Mailbox"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import { OpenCodeClient } from "../../services/OpenCodeClient.js"
import { ProcessHost } from "../../services/ProcessHost.js"
import { note, waiting } from "../../services/Progress.js"
import { eventSessionID, type OpenCodeEvent } from "../domain/Domain.js"
import { flagsContradict, InvalidInput } from "../domain/Errors.js"
import { type EventFilter, eventTypeOf, matchesEventFilter } from "../domain/EventTypes.js"
import { type IdentityOptions, type Prompt, type PromptedTurn, promptTurn } from "../engine/PromptTurn.js"
import { resolveSession } from "../engine/SessionResolver.js"
import { replyText } from "../engine/TurnEngine.js"
import { waitFor } from "../engine/WaitEngine.js"

export interface PromptOptions extends IdentityOptions {
  readonly session: Option.Option<string>
  readonly stdin: boolean
  readonly timeout: Duration.Duration
  readonly abortOnTimeout: boolean
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

/** Checks the prompt, resolves the session, and sends the prompt through the one turn wrapper. */
const prompted = (words: ReadonlyArray<string>, options: PromptOptions, extra: Partial<Prompt> = {}) =>
  Effect.gen(function* () {
    const text = yield* promptText(words, options.stdin)
    const host = yield* ProcessHost
    const session = yield* resolveSession(Option.getOrUndefined(options.session), host.cwd)
    return yield* promptTurn(session, { ...options, text, ...extra })
  })

/** `send`: the turn, and the reply to print (with `--wait`, the latest reply once the sub-agent sessions are idle too). */
export interface SentPrompt extends PromptedTurn {
  readonly reply: string
}

/**
 * `send`: a witnessed turn. `--async`: return once the prompt is recorded. `--wait`: after the turn, also wait for
 * the session's sub-agent sessions.
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
    const { session, turn } = yield* prompted(words, options, { detach: options.async, noReply: options.noReply })
    let reply = turn.reply
    if (options.wait && turn.mode === "turn") {
      const { states } = yield* waitFor([session], { mode: "all", requireBusy: false, mainAgent: false, timeout: options.timeout }).pipe(
        waiting(`waiting for the sub-agent sessions of ${session.id}`)
      )
      reply = replyText(states[0]?.latestAssistant) || reply
    }
    return { session, turn, reply } satisfies SentPrompt
  })

// ---------------------------------------------------------------------------------------------------------
// stream: the turn as it happens

/** What `stream` gives: every event of the session while the turn runs, then the turn. */
export type TurnStreamItem =
  | { readonly _tag: "Event"; readonly event: OpenCodeEvent }
  | ({ readonly _tag: "Result" } & PromptedTurn)

/** `stream`: a witnessed turn, as a stream of the session's events while it runs, ending with the turn itself. */
export const stream = (words: ReadonlyArray<string>, options: PromptOptions) =>
  Stream.unwrapScoped(
    Effect.gen(function* () {
      const mailbox = yield* Mailbox.make<TurnStreamItem, Effect.Effect.Error<ReturnType<typeof prompted>>>()
      yield* prompted(words, options, {
        onEvent: (event) => Effect.asVoid(mailbox.offer({ _tag: "Event", event }))
      }).pipe(
        Effect.flatMap((turn) => mailbox.offer({ _tag: "Result", ...turn })),
        Mailbox.into(mailbox),
        Effect.forkScoped
      )
      return Mailbox.toStream(mailbox)
    })
  )

// ---------------------------------------------------------------------------------------------------------
// watch: events as they come, until interrupted

/** What `watch` gives: each event with the time it arrived, or (`--text-only`) each completed assistant text. */
export type WatchItem =
  | { readonly _tag: "Event"; readonly event: OpenCodeEvent; readonly receivedAt: number }
  | { readonly _tag: "Text"; readonly text: string }

/**
 * `watch`: the events of one session (or every session with `all`) until interrupted, once subscribed (a note says
 * so). `events` keeps only those types; `textOnly` gives assistant text as each text part completes.
 */
export const watch = (
  reference: Option.Option<string>,
  options: {
    readonly all: boolean
    readonly events: Option.Option<EventFilter>
    readonly textOnly: boolean
  }
) =>
  Stream.unwrapScoped(
    Effect.gen(function* () {
      if (options.all && Option.isSome(reference)) return yield* new InvalidInput({ message: "give a session or --all, not both" })
      const client = yield* OpenCodeClient
      const host = yield* ProcessHost
      const session = options.all ? undefined : yield* resolveSession(Option.getOrUndefined(reference), host.cwd)
      const subscription = yield* client.subscribe
      yield* note("progress", `ocm: watching ${session === undefined ? "every session" : session.id} (Ctrl-C to stop)`)
      const assistantMessages = new Set<string>()
      const events = subscription.events.pipe(
        Stream.filter((event) => session === undefined || eventSessionID(event.payload) === session.id),
        Stream.filter((event) =>
          Option.match(options.events, { onNone: () => true, onSome: (filter) => matchesEventFilter(filter, eventTypeOf(event)) })
        )
      )
      if (!options.textOnly) {
        return Stream.mapEffect(events, (event) =>
          Effect.map(Clock.currentTimeMillis, (receivedAt): WatchItem => ({ _tag: "Event", event, receivedAt }))
        )
      }
      return Stream.filterMap(events, (event): Option.Option<WatchItem> => {
        const payload = event.payload
        if (payload.type === "message.updated" && payload.properties.info.role === "assistant") assistantMessages.add(payload.properties.info.id)
        const part = payload.type === "message.part.updated" ? payload.properties.part : undefined
        return part !== undefined && part.type === "text" && assistantMessages.has(part.messageID) && part.text !== ""
          ? Option.some({ _tag: "Text", text: part.text })
          : Option.none()
      })
    })
  )

