/** occtl's waits (SPEC §5.2) over the one waiting engine: wait-for-idle, wait-any, wait-all, is-idle, wait-for-text. */
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { OpenCodeClient } from "../../services/OpenCodeClient.js"
import { ProcessHost } from "../../services/ProcessHost.js"
import type { MessageWithParts } from "../Domain.js"
import { ExitWith, InvalidInput, WaitTimeout } from "../Errors.js"
import { emit } from "../Output.js"
import { resolveSession } from "../SessionResolver.js"
import { replyText } from "../TurnEngine.js"
import { blockedJson, confirmedTreeState, isSettled, type TreeState, untilJudged, waitFor } from "../WaitEngine.js"

export interface WaitFlags {
  readonly requireBusy: boolean
  readonly mainAgent: boolean
  readonly timeout: Duration.Duration
  readonly json: boolean
}

const resolveAll = (references: ReadonlyArray<string>) =>
  Effect.gen(function* () {
    const host = yield* ProcessHost
    const sessions = yield* Effect.forEach(references, (reference) => resolveSession(reference, host.cwd))
    // the same session named twice would make "all" and "any" lie about how many were waited for
    return [...new Map(sessions.map((session) => [session.id, session])).values()]
  })

const stateJson = (state: TreeState) => ({
  sessionID: state.session.id,
  title: state.session.title,
  status: state.status.type,
  busySubAgents: state.busyDescendants.map(({ session }) => session.id),
  blocked: blockedJson(state.blocked),
  latestReply: replyText(state.latestAssistant),
  latestError: state.latestAssistant?.info.role === "assistant" ? (state.latestAssistant.info.error ?? null) : null,
  /** The server went idle leaving the latest reply unfinished (see `confirmedTreeState`). */
  replyAbandoned: state.replyAbandoned
})

/** Waits until one session's tree is idle with nothing pending. */
export const waitForIdle = (reference: string | undefined, flags: WaitFlags) =>
  Effect.gen(function* () {
    const timeout = flags.timeout
    const host = yield* ProcessHost
    const session = yield* resolveSession(reference, host.cwd)
    const result = yield* waitFor([session], { mode: "all", requireBusy: flags.requireBusy, mainAgent: flags.mainAgent, timeout })
    const state = result.states[0]!
    yield* emit(flags.json, { ...stateJson(state), idle: true, elapsedMs: result.elapsedMs }, () => `${session.id} idle`)
    return state
  })

export const waitAny = (references: ReadonlyArray<string>, flags: WaitFlags) =>
  Effect.gen(function* () {
    const timeout = flags.timeout
    if (references.length === 0) return yield* new InvalidInput({ message: "wait-any needs at least one session" })
    const sessions = yield* resolveAll(references)
    const result = yield* waitFor(sessions, { mode: "any", requireBusy: flags.requireBusy, mainAgent: flags.mainAgent, timeout })
    const first = result.settled[0]!
    yield* emit(
      flags.json,
      { first: first.id, settled: result.settled.map((session) => session.id), elapsedMs: result.elapsedMs },
      () => first.id
    )
  })

export const waitAll = (references: ReadonlyArray<string>, flags: WaitFlags) =>
  Effect.gen(function* () {
    const timeout = flags.timeout
    if (references.length === 0) return yield* new InvalidInput({ message: "wait-all needs at least one session" })
    const sessions = yield* resolveAll(references)
    const result = yield* waitFor(sessions, { mode: "all", requireBusy: flags.requireBusy, mainAgent: flags.mainAgent, timeout })
    yield* emit(flags.json, { sessions: result.states.map(stateJson), elapsedMs: result.elapsedMs }, () =>
      sessions.map((session) => session.id).join("\n")
    )
  })

/** A predicate: exit 0 when settled, 1 when not (errors keep their codes, all ≥ 2). */
export const isIdle = (reference: string | undefined, flags: Omit<WaitFlags, "timeout">) =>
  Effect.gen(function* () {
    const host = yield* ProcessHost
    const session = yield* resolveSession(reference, host.cwd)
    const state = yield* confirmedTreeState(session, flags)
    // a single look cannot see busy come and go: with --require-busy the newest prompt must have its reply
    const idle = isSettled(state, { requireBusy: flags.requireBusy, sawBusy: false })
    yield* emit(flags.json, { ...stateJson(state), idle }, () => (idle ? "idle" : "not idle"))
    if (!idle) return yield* new ExitWith({ code: 1 })
  })

const assistantTextOf = (message: MessageWithParts) => (message.info.role === "assistant" ? replyText(message) : "")

/**
 * Waits until an assistant message contains TEXT — never the user's own prompt. Existing messages count unless
 * `noCheckExisting`, then only assistant messages created after the wait began.
 */
export const waitForText = (
  text: string,
  reference: string | undefined,
  flags: { readonly noCheckExisting: boolean; readonly timeout: Duration.Duration; readonly json: boolean }
) =>
  Effect.gen(function* () {
    if (text.trim() === "") return yield* new InvalidInput({ message: "wait-for-text needs a TEXT that is neither empty nor blank" })
    const timeout = flags.timeout
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
      waitingFor: `an assistant message in ${session.id} containing "${text}"`,
      timeout,
      onTimeout: Effect.succeed(
        new WaitTimeout({
          waitingFor: `an assistant message in ${session.id} containing "${text}"`,
          seconds: Duration.toSeconds(flags.timeout),
          hint: ""
        })
      )
    })
    const reply = assistantTextOf(found)
    yield* emit(flags.json, { sessionID: session.id, messageID: found.info.id, text: reply }, () => reply)
  }).pipe(Effect.scoped)

