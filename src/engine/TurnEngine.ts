/**
 * The turn engine (SPEC §4): the one program behind every prompt-bearing command.
 *
 * subscribe to events → read the session → derive queued system prompts and identity → send with our own
 * message id → witness *recorded* → witness *queue-only* or *turn done* → read the turn's assistant messages
 * by `parentID`. Completion is the server's own busy→idle for the session, confirmed by a read-back; there are
 * no quiet periods and no counting heuristics on the success path.
 */
import * as Clock from "effect/Clock"
import * as Deferred from "effect/Deferred"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as Ref from "effect/Ref"
import * as Stream from "effect/Stream"
import type { AssistantMessage, MessageWithParts, OpenCodeEvent, PermissionRequest, PromptBody } from "../domain/Domain.js"
import { eventSessionID, writtenText } from "../domain/Domain.js"
import { AssistantTurnFailed, NoAssistantTurn, PromptNotRecorded, WaitTimeout } from "../domain/Errors.js"
import { chooseIdentity, type Identity, type IdentityFields, observedIdentity } from "../domain/Identity.js"
import { nextMessageId } from "../domain/MessageId.js"
import { cleanupAfterTimeout, currentBudget, withinBudget } from "./Timeout.js"
import { ABANDONED_AFTER, abandonment, permissionText } from "./WaitEngine.js"
import { OpenCodeClient } from "../../services/OpenCodeClient.js"
import { note } from "../../services/Progress.js"

export interface TurnInput {
  readonly sessionID: string
  readonly directory: string
  /** The visible prompt text; empty for a pure system prompt. */
  readonly text: string
  /** This prompt's own system text (`--system`). */
  readonly system?: string | undefined
  /** Queue-only: record the prompt, run no turn. */
  readonly noReply: boolean
  readonly flags: IdentityFields
  readonly storedDefaults?: IdentityFields | undefined
  readonly timeout: Duration.DurationInput
  readonly abortOnTimeout: boolean
  /** How long the user message may take to appear before it counts as not recorded. */
  readonly recordWindow?: Duration.DurationInput | undefined
  /** Return once the prompt is recorded and leave the turn running (`send --async`). */
  readonly detach?: boolean | undefined
  /** Sees every event of the session while the engine waits (`stream`); it must not fail. */
  readonly onEvent?: ((event: OpenCodeEvent) => Effect.Effect<void>) | undefined
}

/** Messages read back after a turn: a turn adds a user message and a few assistant steps; more means a full read. */
const READ_BACK_PAGE = 16

export type CompletionSignal = "session.idle event" | "status poll" | "queue-only read-back" | "detached after recording"

export interface TurnProof {
  readonly userMessageID: string
  readonly assistantMessageIDs: ReadonlyArray<string>
  readonly assistantTurnsBefore: number
  readonly assistantTurnsAfter: number
  readonly carriedSystemPrompts: ReadonlyArray<string>
  readonly systemSent: string | undefined
  readonly identity: Identity
  readonly recordedBy: "event" | "read-back"
  readonly completedBy: CompletionSignal
  readonly elapsedMs: number
}

export interface TurnResult {
  readonly sessionID: string
  readonly directory: string
  readonly mode: "turn" | "queue-only" | "sent"
  /** The text of the turn's final assistant message ("" for queue-only). */
  readonly reply: string
  readonly assistant: MessageWithParts | undefined
  /** Every assistant message of the turn, in order (the last is `assistant`); none for queue-only or detached. */
  readonly replies: ReadonlyArray<MessageWithParts>
  readonly proof: TurnProof
}

/** The proof as plain JSON (`--json` of every prompt-bearing command): model as `provider/model`, nulls for absent. */
export const proofJson = (proof: TurnProof) => ({
  ...proof,
  identity: {
    agent: proof.identity.agent ?? null,
    model: proof.identity.model === undefined ? null : `${proof.identity.model.providerID}/${proof.identity.model.modelID}`,
    variant: proof.identity.variant ?? null,
    source: proof.identity.source
  },
  systemSent: proof.systemSent ?? null
})

// ---------------------------------------------------------------------------------------------------------
// Pure derivations from a session's messages

const assistantInfo = (message: MessageWithParts): AssistantMessage | undefined =>
  message.info.role === "assistant" ? message.info : undefined

export const assistantCount = (messages: ReadonlyArray<MessageWithParts>) =>
  messages.filter((message) => message.info.role === "assistant").length

/**
 * The `system` of every user message after the last assistant message that has no assistant reply, in order:
 * what queue-only system prompts left for the next turn that runs. The server applies a message's `system`
 * only to that message's own turn, so the client must carry them.
 */
export const queuedSystemPrompts = (messages: ReadonlyArray<MessageWithParts>): ReadonlyArray<string> => {
  let lastAssistant = -1
  messages.forEach((message, index) => {
    if (message.info.role === "assistant") lastAssistant = index
  })
  const answered = new Set(messages.flatMap((message) => Option.toArray(Option.fromNullable(assistantInfo(message)?.parentID))))
  return messages
    .slice(lastAssistant + 1)
    .flatMap((message) =>
      message.info.role === "user" && !answered.has(message.info.id) && message.info.system !== undefined && message.info.system.trim() !== ""
        ? [message.info.system]
        : []
    )
}

export const repliesTo = (messages: ReadonlyArray<MessageWithParts>, userMessageID: string) =>
  messages.filter((message) => assistantInfo(message)?.parentID === userMessageID)

/** The text parts of an assistant message, joined: what the model said. */
export const replyText = (message: MessageWithParts | undefined): string => writtenText(message?.parts ?? [])

/** The reasoning the model wrote in a turn's assistant messages, one entry per reasoning part, in order. */
export const turnReasoning = (replies: ReadonlyArray<MessageWithParts>): ReadonlyArray<string> =>
  replies.flatMap((message) =>
    message.parts.flatMap((part) => (part.type === "reasoning" && part.text.trim() !== "" ? [part.text.trim()] : []))
  )

/** A reply with the turn's reasoning shown before it, as `opencode run --thinking` shows its thinking blocks. */
export const withThinking = (reasoning: ReadonlyArray<string>, reply: string) =>
  [...reasoning.map((text) => `<thinking>\n${text}\n</thinking>\n\n`), reply].join("")

const isFinished = (message: MessageWithParts) => {
  const info = assistantInfo(message)
  return info !== undefined && (info.time.completed !== undefined || info.error !== undefined)
}

/** What a failed assistant message says about its failure: the error's message, else its name. */
export const errorDetail = (info: AssistantMessage): string => {
  const data = info.error?.data as { message?: unknown } | undefined
  return typeof data?.message === "string" ? data.message : (info.error?.name ?? "unknown error")
}

// ---------------------------------------------------------------------------------------------------------
// Watching the session's events

interface Watch {
  /** Our user message appeared in an event. */
  readonly recorded: Deferred.Deferred<void>
  /** The session reported idle (status idle or session.idle) since we started watching. */
  readonly idleCount: Ref.Ref<number>
  readonly idleSignal: Ref.Ref<Deferred.Deferred<void>>
  /** session.error events for this session since we started watching. */
  readonly errors: Ref.Ref<ReadonlyArray<string>>
  /** The event stream ended or broke: fall back to polling. */
  readonly streamDown: Deferred.Deferred<void>
  /** Permission requests of the session asked and not yet answered, by id: what the turn is blocked on. */
  readonly asked: Ref.Ref<ReadonlyMap<string, PermissionRequest>>
}

const watchSession = (
  events: Stream.Stream<OpenCodeEvent, unknown>,
  sessionID: string,
  messageID: string,
  onEvent: (event: OpenCodeEvent) => Effect.Effect<void>
) =>
  Effect.gen(function* () {
    const watch: Watch = {
      recorded: yield* Deferred.make<void>(),
      idleCount: yield* Ref.make(0),
      idleSignal: yield* Ref.make(yield* Deferred.make<void>()),
      errors: yield* Ref.make<ReadonlyArray<string>>([]),
      streamDown: yield* Deferred.make<void>(),
      asked: yield* Ref.make<ReadonlyMap<string, PermissionRequest>>(new Map())
    }
    const signalIdle = Effect.gen(function* () {
      yield* Ref.update(watch.idleCount, (n) => n + 1)
      const current = yield* Ref.get(watch.idleSignal)
      yield* Ref.set(watch.idleSignal, yield* Deferred.make<void>())
      yield* Deferred.succeed(current, undefined)
    })
    const track = (event: OpenCodeEvent) => {
      const payload = event.payload
      switch (payload.type) {
        case "message.updated":
          return payload.properties.info.id === messageID ? Deferred.succeed(watch.recorded, undefined) : Effect.void
        case "session.status": {
          const status = payload.properties.status
          if (status.type === "retry") return note("retry", `ocm: the provider is being retried (attempt ${status.attempt}): ${status.message}`)
          return status.type === "idle" ? signalIdle : Effect.void
        }
        case "session.idle":
          return signalIdle
        case "permission.asked": {
          const { id, permission, patterns } = payload.properties
          return Ref.update(watch.asked, (asked) => new Map(asked).set(id, { id, sessionID, permission, patterns: patterns ?? [] }))
        }
        case "permission.replied": {
          const requestID = payload.properties.requestID
          return requestID === undefined
            ? Effect.void
            : Ref.update(watch.asked, (asked) => {
                const next = new Map(asked)
                next.delete(requestID)
                return next
              })
        }
        case "session.error": {
          const error = payload.properties.error
          const data = error?.data as { message?: unknown } | undefined
          const text = typeof data?.message === "string" ? data.message : (error?.name ?? "session error")
          return Ref.update(watch.errors, (errors) => [...errors, text.split("\n")[0]!])
        }
        default:
          return Effect.void
      }
    }
    yield* events.pipe(
      Stream.filter((event) => eventSessionID(event.payload) === sessionID),
      Stream.runForEach((event) => Effect.zipRight(onEvent(event), track(event))),
      Effect.ignore,
      Effect.zipRight(Deferred.succeed(watch.streamDown, undefined)),
      Effect.forkScoped
    )
    return watch
  })

// ---------------------------------------------------------------------------------------------------------
// The engine

export const runTurn = Effect.fn("TurnEngine.runTurn")((input: TurnInput) =>
  Effect.gen(function* () {
    const client = yield* OpenCodeClient
    const started = yield* Clock.currentTimeMillis
    const scoped = { directory: input.directory }

    // subscribed before anything is sent; reading the session meanwhile costs nothing extra
    const [subscription, before] = yield* Effect.all([client.subscribe, client.messages(input.sessionID, scoped)], {
      concurrency: 2
    })
    const carried = input.noReply ? [] : queuedSystemPrompts(before)
    const identity = chooseIdentity(input.flags, input.storedDefaults, observedIdentity(before))
    const messageID = nextMessageId(started, before.map((message) => message.info.id))
    yield* Effect.annotateCurrentSpan("opencode.message.id", messageID)
    const ownSystem = input.system !== undefined && input.system.trim() !== "" ? input.system : undefined
    const systemParts = [...carried, ...(ownSystem === undefined ? [] : [ownSystem])]
    const systemSent = systemParts.length > 0 ? systemParts.join("\n\n") : undefined
    const body: PromptBody = {
      messageID,
      parts: input.text === "" ? [] : [{ type: "text", text: input.text }],
      ...(identity.agent === undefined ? {} : { agent: identity.agent }),
      ...(identity.model === undefined ? {} : { model: identity.model }),
      ...(identity.variant === undefined ? {} : { variant: identity.variant }),
      ...(input.noReply ? { noReply: true } : {}),
      ...(systemSent === undefined ? {} : { system: systemSent })
    }

    const watch = yield* watchSession(subscription.events, input.sessionID, messageID, input.onEvent ?? (() => Effect.void))
    /** What held the turn: its session's permission requests asked during it (events) or before it (one short look). */
    const blockedOn = Effect.gen(function* () {
      const listed = yield* client.permissions(scoped).pipe(
        Effect.timeout("500 millis"),
        Effect.locally(currentBudget, Option.none()),
        Effect.orElseSucceed((): ReadonlyArray<PermissionRequest> => [])
      )
      const asked = [
        ...new Map([
          ...listed.filter((request) => request.sessionID === input.sessionID).map((request) => [request.id, request] as const),
          ...(yield* Ref.get(watch.asked))
        ]).values()
      ]
      return asked.length === 0 ? undefined : `it was blocked on permission (${asked.map(permissionText).join("; ")})`
    })
    const timedOut = (during: string) =>
      Effect.gen(function* () {
        const seconds = Duration.toSeconds(input.timeout)
        const blocked = yield* blockedOn
        if (input.abortOnTimeout) {
          const aborted = yield* cleanupAfterTimeout(client.abort(input.sessionID, scoped))
          const hint = aborted
            ? "the turn was aborted (--abort-on-timeout)"
            : `aborting the turn failed (--abort-on-timeout); stop it with: ocm abort ${input.sessionID}`
          return new WaitTimeout({ waitingFor: during, seconds, hint: blocked === undefined ? hint : `${blocked}; ${hint}` })
        }
        return new WaitTimeout({
          waitingFor: during,
          seconds,
          hint: `${blocked === undefined ? "" : `${blocked}: answer it with ocm respond ${input.sessionID}; `}the prompt was sent and the session may still be running; read the result later with: ocm wait ${input.sessionID}`
        })
      })
    // the budget can run out while the prompt is being sent: it may still arrive, so it is aborted if asked
    yield* client.promptAsync(input.sessionID, body, scoped).pipe(
      Effect.catchTag("WaitTimeout", () => Effect.flatMap(timedOut(`prompt ${messageID} to be accepted by ${input.sessionID}`), Effect.fail))
    )

    // The read-back only needs what came after `before`: the newest page, when it reaches back into the known
    // history (or is all there is); otherwise the whole list. A long session stays cheap to prove.
    const known = new Set(before.map((message) => message.info.id))
    const readBack = Effect.gen(function* () {
      const page = yield* client.messages(input.sessionID, { ...scoped, limit: READ_BACK_PAGE })
      const reachesKnown = page.length < READ_BACK_PAGE || known.size === 0 || known.has(page[0]!.info.id)
      return reachesKnown ? page : yield* client.messages(input.sessionID, scoped)
    })
    const assistantsAfter = (after: ReadonlyArray<MessageWithParts>) =>
      assistantCount(before) + after.filter((message) => message.info.role === "assistant" && !known.has(message.info.id)).length
    const isRecorded = (messages: ReadonlyArray<MessageWithParts>) => messages.some((m) => m.info.id === messageID)

    // --- recorded: our user message exists (event, or read-back when events are slow or gone). Not recorded
    // (exit 10) only when the record window itself ran out; the timeout running out first is a timeout (124).
    const recordWindow = Duration.decode(input.recordWindow ?? "30 seconds")
    const timeLeft = Effect.gen(function* () {
      const elapsed = (yield* Clock.currentTimeMillis) - started
      const own = Duration.subtract(Duration.decode(input.timeout), Duration.millis(elapsed))
      return (yield* withinBudget(Duration.greaterThan(own, Duration.zero) ? own : Duration.millis(1))).duration
    })
    const recordLimit = yield* timeLeft
    const recordedByReadBack = Effect.gen(function* () {
      while (true) {
        // an error for this session (unknown agent, …) can mean the prompt was dropped: look now
        const errors = yield* Ref.get(watch.errors)
        if (isRecorded(yield* readBack)) return "read-back" as const
        if (errors.length > 0) {
          return yield* new PromptNotRecorded({ sessionID: input.sessionID, messageID, detail: `the server reported: ${errors.join("; ")}` })
        }
        yield* Effect.sleep("200 millis")
      }
    })
    const recordedBy = yield* Effect.raceFirst(
      Deferred.await(watch.recorded).pipe(Effect.as("event" as const)),
      Effect.zipRight(Effect.sleep("150 millis"), recordedByReadBack)
    ).pipe(
      Effect.tap((by) => Effect.annotateCurrentSpan("ocm.turn.recorded_by", by)),
      Effect.withSpan("TurnEngine.recorded"),
      Effect.timeout(Duration.min(recordWindow, recordLimit)),
      Effect.catchTag("TimeoutException", (): Effect.Effect<never, WaitTimeout | PromptNotRecorded> =>
        Duration.lessThan(recordLimit, recordWindow)
          ? Effect.flatMap(timedOut(`prompt ${messageID} to be recorded in ${input.sessionID}`), Effect.fail)
          : Effect.fail(
              new PromptNotRecorded({
                sessionID: input.sessionID,
                messageID,
                detail: `no user message with that id within ${Duration.format(recordWindow)}`
              })
            )
      )
    )

    const proofOf = (
      after: ReadonlyArray<MessageWithParts>,
      replies: ReadonlyArray<MessageWithParts>,
      completedBy: CompletionSignal,
      now: number
    ): TurnProof => ({
      userMessageID: messageID,
      assistantMessageIDs: replies.map((message) => message.info.id),
      assistantTurnsBefore: assistantCount(before),
      assistantTurnsAfter: assistantsAfter(after),
      carriedSystemPrompts: carried,
      systemSent,
      identity,
      recordedBy,
      completedBy,
      elapsedMs: now - started
    })

    const resultOf = (mode: TurnResult["mode"], replies: ReadonlyArray<MessageWithParts>, proof: TurnProof): TurnResult => ({
      sessionID: input.sessionID,
      directory: input.directory,
      mode,
      reply: replyText(replies.at(-1)),
      assistant: replies.at(-1),
      replies,
      proof
    })

    // --- detached: recorded is all this caller asked for; the turn runs on without us
    if (input.detach && !input.noReply) {
      return resultOf("sent", [], proofOf(before, [], "detached after recording", yield* Clock.currentTimeMillis))
    }

    // --- queue-only: recorded, nothing parented to it, assistant count unchanged
    if (input.noReply) {
      const after = yield* readBack
      const replies = repliesTo(after, messageID)
      if (replies.length > 0 || assistantsAfter(after) !== assistantCount(before)) {
        return yield* new AssistantTurnFailed({
          sessionID: input.sessionID,
          messageID,
          assistantMessageID: replies[0]?.info.id ?? "(unknown)",
          errorName: "UnexpectedReply",
          detail: "a queue-only prompt was answered; the server did not honour noReply"
        })
      }
      return resultOf("queue-only", [], proofOf(after, [], "queue-only read-back", yield* Clock.currentTimeMillis))
    }

    // --- turn done: an idle after we sent, confirmed by the read-back
    type Verdict =
      | { readonly _tag: "Done"; readonly after: ReadonlyArray<MessageWithParts>; readonly replies: ReadonlyArray<MessageWithParts> }
      | { readonly _tag: "NoReply"; readonly after: ReadonlyArray<MessageWithParts>; readonly detail: string }
      | { readonly _tag: "Abandoned"; readonly reply: MessageWithParts; readonly detail: string }
      | { readonly _tag: "Suspect" }
      | { readonly _tag: "Pending" }
    /** Suspect and Pending both mean: look again. */
    const isFinal = (verdict: Verdict) => verdict._tag !== "Pending" && verdict._tag !== "Suspect"
    const abandoned = abandonment()
    const judge = (settled: boolean): Effect.Effect<Verdict, Effect.Effect.Error<typeof readBack>> =>
      Effect.withSpan("TurnEngine.judge")(Effect.gen(function* () {
        const after = yield* readBack
        const replies = repliesTo(after, messageID)
        const errors = yield* Ref.get(watch.errors)
        if (replies.length > 0) {
          const unfinished = replies.find((reply) => !isFinished(reply))
          if (unfinished === undefined) return { _tag: "Done", after, replies }
          // the wait engine's one rule: idle, and the reply unchanged for ABANDONED_AFTER (a second look)
          const status = yield* client.sessionStatus(scoped)
          const idle = status[input.sessionID] === undefined
          if (!abandoned(input.sessionID, idle ? unfinished : undefined, yield* Clock.currentTimeMillis)) {
            return idle ? { _tag: "Suspect" } : { _tag: "Pending" }
          }
          const why = errors.length > 0 ? `the server reported: ${errors.join("; ")}` : "the server reported no error"
          return { _tag: "Abandoned", reply: unfinished, detail: why }
        }
        if (errors.length > 0) return { _tag: "NoReply", after, detail: `the server reported: ${errors.join("; ")}` }
        const status = yield* client.sessionStatus(scoped)
        if (status[input.sessionID] !== undefined) return { _tag: "Pending" }
        // idle and nothing answered: final only once confirmed on a second look (absent ≠ done: the prompt may
        // not have started yet when a previous turn's idle arrived)
        return settled ? { _tag: "NoReply", after, detail: "the session went idle without answering" } : { _tag: "Pending" }
      }))

    const byEvents = Effect.gen(function* () {
      let idleSeen = 0
      while (true) {
        const signal = yield* Ref.get(watch.idleSignal)
        const count = yield* Ref.get(watch.idleCount)
        if (count > idleSeen) {
          idleSeen = count
          const verdict = yield* judge(false)
          if (isFinal(verdict)) return [verdict, "session.idle event"] as const
          // an idle but no verdict yet: look again once an abandoned reply would show, unless an event comes first
          const next = yield* Effect.raceFirst(
            Deferred.await(signal).pipe(Effect.as(Option.none<Verdict>())),
            Effect.zipRight(Effect.sleep(ABANDONED_AFTER), judge(true)).pipe(Effect.map(Option.some))
          )
          if (Option.isSome(next) && isFinal(next.value)) return [next.value, "session.idle event"] as const
          continue
        }
        yield* Deferred.await(signal)
      }
    })
    // The events decide; a slow read-back (every 2 s) covers an idle event that never arrives, and becomes a fast
    // one (every 250 ms) when the event stream has ended. Without an error it can only ever conclude "done".
    const byPolling = Effect.gen(function* () {
      let previous: Verdict["_tag"] | undefined
      let announced = false
      while (true) {
        const down = yield* Deferred.isDone(watch.streamDown)
        if (down && !announced) {
          announced = true
          yield* note("warning", "ocm: the event stream ended; polling the session instead")
        }
        yield* down ? Effect.sleep("250 millis") : Effect.raceFirst(Effect.sleep("2 seconds"), Deferred.await(watch.streamDown))
        const verdict = yield* judge(previous === "NoReply" || previous === "Suspect")
        if (verdict._tag === "Done" || verdict._tag === "Abandoned") return [verdict, "status poll"] as const
        if (verdict._tag === "NoReply" && previous === "NoReply") return [verdict, "status poll"] as const
        previous = verdict._tag
      }
    })

    const outcome = yield* Effect.raceFirst(byEvents, byPolling).pipe(
      Effect.timeout(yield* timeLeft),
      Effect.tap(([, by]) => Effect.annotateCurrentSpan("ocm.turn.completed_by", by)),
      Effect.withSpan("TurnEngine.completed"),
      Effect.either
    )
    if (Either.isLeft(outcome) && outcome.left._tag === "TimeoutException") {
      return yield* Effect.flatMap(timedOut(`the turn of ${messageID} in ${input.sessionID}`), Effect.fail)
    }
    const [verdict, completedBy] = yield* Either.match(outcome, {
      onLeft: (error) => Effect.fail(error as Exclude<typeof error, { _tag: "TimeoutException" }>),
      onRight: Effect.succeed
    })
    const now = yield* Clock.currentTimeMillis
    if (verdict._tag === "NoReply") {
      return yield* new NoAssistantTurn({ sessionID: input.sessionID, messageID, detail: verdict.detail })
    }
    if (verdict._tag === "Abandoned") {
      return yield* new AssistantTurnFailed({
        sessionID: input.sessionID,
        messageID,
        assistantMessageID: verdict.reply.info.id,
        errorName: "AbandonedByServer",
        detail: `the reply was left unfinished while the session went idle; ${verdict.detail}`
      })
    }
    const final = verdict.replies[verdict.replies.length - 1]!
    const finalInfo = assistantInfo(final)!
    if (finalInfo.error !== undefined) {
      return yield* new AssistantTurnFailed({
        sessionID: input.sessionID,
        messageID,
        assistantMessageID: finalInfo.id,
        errorName: finalInfo.error.name,
        detail: errorDetail(finalInfo)
      })
    }
    return resultOf("turn", verdict.replies, proofOf(verdict.after, verdict.replies, completedBy, now))
  }).pipe(Effect.scoped),
  (turn, input) =>
    Effect.zipRight(
      Effect.annotateCurrentSpan({ "opencode.session.id": input.sessionID, "opencode.directory": input.directory }),
      Effect.tap(turn, (result) => Effect.annotateCurrentSpan("ocm.turn.mode", result.mode))
    )
)
