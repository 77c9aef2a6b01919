/** occtl's waits (SPEC §5.2) over the one waiting engine: wait-for-idle, wait-any, wait-all, is-idle, wait-for-text. */
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { OpenCodeClient } from "../../services/OpenCodeClient.js"
import { ProcessHost } from "../../services/ProcessHost.js"
import type { MessageWithParts, Session } from "../domain/Domain.js"
import { InvalidInput, WaitTimeout } from "../domain/Errors.js"
import { resolveSession } from "../engine/SessionResolver.js"
import { replyText } from "../engine/TurnEngine.js"
import { confirmedTreeState, isSettled, type TreeState, untilJudged, waitFor, type WaitOptions, type WaitResult } from "../engine/WaitEngine.js"

export interface WaitFlags {
  readonly requireBusy: boolean
  readonly mainAgent: boolean
  readonly timeout: Duration.Duration
}

const waitOptions = (mode: WaitOptions["mode"], flags: WaitFlags): WaitOptions => ({
  mode,
  requireBusy: flags.requireBusy,
  mainAgent: flags.mainAgent,
  timeout: flags.timeout
})

const resolveAll = (references: ReadonlyArray<string>) =>
  Effect.gen(function* () {
    const host = yield* ProcessHost
    const sessions = yield* Effect.forEach(references, (reference) => resolveSession(reference, host.cwd))
    // the same session named twice would make "all" and "any" lie about how many were waited for
    return [...new Map(sessions.map((session) => [session.id, session])).values()]
  })

export interface IdleWait {
  /** The tree's state at the look that found it settled. */
  readonly state: TreeState
  readonly elapsedMs: number
}

/** Waits until one session's tree is idle with nothing pending. */
export const waitForIdle = (reference: string | undefined, flags: WaitFlags) =>
  Effect.gen(function* () {
    const host = yield* ProcessHost
    const session = yield* resolveSession(reference, host.cwd)
    const result = yield* waitFor([session], waitOptions("all", flags))
    const idle: IdleWait = { state: result.states[0]!, elapsedMs: result.elapsedMs }
    return idle
  })

/** Waits until the first of the sessions is settled; `settled[0]` is it. */
export const waitAny = (references: ReadonlyArray<string>, flags: WaitFlags) =>
  Effect.gen(function* () {
    if (references.length === 0) return yield* new InvalidInput({ message: "wait-any needs at least one session" })
    const sessions = yield* resolveAll(references)
    const result: WaitResult = yield* waitFor(sessions, waitOptions("any", flags))
    return result
  })

/** Waits until every one of the sessions is settled (a barrier). */
export const waitAll = (references: ReadonlyArray<string>, flags: WaitFlags) =>
  Effect.gen(function* () {
    if (references.length === 0) return yield* new InvalidInput({ message: "wait-all needs at least one session" })
    const sessions = yield* resolveAll(references)
    const result: WaitResult = yield* waitFor(sessions, waitOptions("all", flags))
    return result
  })

export interface IdleCheck {
  readonly state: TreeState
  /** Settled: the tree is idle with nothing pending (and, with `requireBusy`, the newest prompt has its reply). */
  readonly idle: boolean
}

/** A predicate: whether the session is settled now (the CLI exits 1 when not). */
export const isIdle = (reference: string | undefined, flags: Omit<WaitFlags, "timeout">) =>
  Effect.gen(function* () {
    const host = yield* ProcessHost
    const session = yield* resolveSession(reference, host.cwd)
    const state = yield* confirmedTreeState(session, flags)
    // a single look cannot see busy come and go: with --require-busy the newest prompt must have its reply
    const check: IdleCheck = { state, idle: isSettled(state, { requireBusy: flags.requireBusy, sawBusy: false }) }
    return check
  })

const assistantTextOf = (message: MessageWithParts) => (message.info.role === "assistant" ? replyText(message) : "")

export interface TextFound {
  readonly session: Session
  /** The assistant message that contains the text. */
  readonly message: MessageWithParts
  /** Its reply text. */
  readonly text: string
}

/**
 * Waits until an assistant message contains TEXT — never the user's own prompt. Existing messages count unless
 * `noCheckExisting`, then only assistant messages created after the wait began.
 */
export const waitForText = (
  text: string,
  reference: string | undefined,
  flags: { readonly noCheckExisting: boolean; readonly timeout: Duration.Duration }
) =>
  Effect.gen(function* () {
    if (text.trim() === "") return yield* new InvalidInput({ message: "wait-for-text needs a TEXT that is neither empty nor blank" })
    const client = yield* OpenCodeClient
    const host = yield* ProcessHost
    const session = yield* resolveSession(reference, host.cwd)
    const scoped = { directory: session.directory }
    const subscription = yield* client.subscribe
    const started = yield* Clock.currentTimeMillis
    const matching = Effect.map(client.messages(session.id, scoped), (messages) =>
      Option.fromNullable(
        messages.find(
          (message) =>
            message.info.role === "assistant" &&
            (!flags.noCheckExisting || message.info.time.created >= started) &&
            assistantTextOf(message).includes(text)
        )
      )
    )
    const waitingFor = `an assistant message in ${session.id} containing "${text}"`
    // a text part is complete in its `message.part.updated`: look again then (and at every tick regardless)
    const found = yield* untilJudged({
      events: subscription.events,
      react: (event) =>
        Effect.succeed(
          (event.payload.type === "message.part.updated" &&
            event.payload.properties.part.sessionID === session.id &&
            event.payload.properties.part.type === "text") ||
            (event.payload.type === "message.updated" && event.payload.properties.info.sessionID === session.id)
            ? Option.some<void>(undefined)
            : Option.none<void>()
        ),
      everything: undefined,
      judge: () => matching,
      waitingFor,
      timeout: flags.timeout,
      onTimeout: Effect.succeed(new WaitTimeout({ waitingFor, seconds: Duration.toSeconds(flags.timeout), hint: "" }))
    })
    const result: TextFound = { session, message: found, text: assistantTextOf(found) }
    return result
  }).pipe(Effect.scoped)
