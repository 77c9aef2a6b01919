/** The proof contract (SPEC §5.1): one-shot, begin-session, chat, final, wait, delete — all over the turn engine. */
import * as Console from "effect/Console"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import { OpenCodeClient } from "../../services/OpenCodeClient.js"
import { TranscriptStore } from "../../services/TranscriptStore.js"
import { ProcessHost } from "../../services/ProcessHost.js"
import type { Session } from "../Domain.js"
import { flagsContradict, InvalidInput, ServerRejected } from "../Errors.js"
import { directoryFrom } from "../Directories.js"
import type { IdentityFields, ModelId } from "../Identity.js"
import { emit, note } from "../Output.js"
import { readDefaults, removeDefaults, writeDefaults } from "../SessionDefaults.js"
import { resolveSession } from "../SessionResolver.js"
import { proofJson, replyText, runTurn, type TurnResult } from "../TurnEngine.js"
import { waitFor } from "../WaitEngine.js"

export interface IdentityOptions {
  readonly agent: Option.Option<string>
  readonly model: Option.Option<ModelId>
  readonly variant: Option.Option<string>
}

export interface TurnOptions extends IdentityOptions {
  readonly timeout: Duration.Duration
  readonly abortOnTimeout: boolean
  readonly json: boolean
}

/** The identity flags (already validated where they were parsed) as the turn engine's fields. */
export const identityFlags = (options: IdentityOptions): IdentityFields => ({
  agent: Option.getOrUndefined(options.agent),
  model: Option.getOrUndefined(options.model),
  variant: Option.getOrUndefined(options.variant)
})

const nonEmpty = (text: string, what: string) =>
  text.trim() === "" ? Effect.fail(new InvalidInput({ message: `${what} must not be empty` })) : Effect.void

/** The JSON form of a turn, shared by every prompt-bearing command. */
const turnJson = (session: Session, turn: TurnResult) => ({
  sessionID: session.id,
  directory: session.directory,
  title: session.title,
  mode: turn.mode,
  reply: turn.reply,
  proof: proofJson(turn.proof)
})

const progress = (turn: TurnResult) =>
  note(
    turn.mode === "queue-only"
      ? `ocm: recorded ${turn.proof.userMessageID} (queue-only: no turn ran)`
      : `ocm: turn done (${turn.proof.completedBy}, ${turn.proof.elapsedMs} ms): ${turn.proof.assistantMessageIDs.join(", ")} answered ${turn.proof.userMessageID}`
  )

/** Deletes a session and witnesses it: afterwards it must read 404. */
export const deleteWitnessed = (session: Session, options?: { readonly keepDefaults?: boolean }) =>
  Effect.gen(function* () {
    const client = yield* OpenCodeClient
    yield* client.deleteSession(session.id, { directory: session.directory })
    const after = yield* Effect.either(client.getSession(session.id, { directory: session.directory }))
    if (Either.isRight(after)) {
      return yield* new ServerRejected({
        method: "DELETE",
        path: `/session/${session.id}`,
        status: 200,
        detail: "the server said the session was deleted, but it still reads back"
      })
    }
    if (after.left._tag !== "SessionNotFound") return yield* after.left
    if (options?.keepDefaults !== true) yield* removeDefaults(session.id).pipe(Effect.ignore)
  })

const createSession = (options: { readonly title?: string | undefined; readonly dir: Option.Option<string> }) =>
  Effect.gen(function* () {
    const client = yield* OpenCodeClient
    return yield* client.createSession({
      directory: yield* directoryFrom(options.dir),
      title: options.title
    })
  })

const turnIn = (
  session: Session,
  text: string,
  options: TurnOptions,
  extra: { readonly system?: string | undefined; readonly noReply?: boolean } = {}
) =>
  Effect.gen(function* () {
    const flags = identityFlags(options)
    const timeout = options.timeout
    return yield* runTurn({
      sessionID: session.id,
      directory: session.directory,
      text,
      system: extra.system,
      noReply: extra.noReply ?? false,
      flags,
      storedDefaults: yield* readDefaults(session.id),
      timeout,
      abortOnTimeout: options.abortOnTimeout
    })
  })

/** Every flag and the prompt are checked before the first request; then the session is resolved. */
const checkThenResolve = (reference: string, prompt: string, what: string) =>
  Effect.gen(function* () {
    yield* nonEmpty(prompt, what)
    const host = yield* ProcessHost
    return yield* resolveSession(reference, host.cwd)
  })

/** A failed turn keeps its session: say where it is, then fail with the turn's error. */
const keepOnFailure = (session: Session) =>
  Effect.tapError(() => note(`ocm: session ${session.id} was kept (${session.directory})`))

/** With `--transcript`, one-shot and final print the session's transcript (read before it is deleted). */
const transcriptOf = (session: Session, json: boolean) =>
  Effect.gen(function* () {
    const store = yield* TranscriptStore
    const loaded = yield* store.load({ _tag: "Session", reference: session.id })
    return json ? yield* store.renderJson(loaded) : yield* store.renderMarkdown(loaded)
  })

const emitFinished = (
  session: Session,
  turn: TurnResult,
  options: { readonly json: boolean },
  transcript: string | undefined
) =>
  transcript === undefined
    ? emit(options.json, { ...turnJson(session, turn), deleted: true }, () => turn.reply)
    : options.json
      ? emit(true, { ...turnJson(session, turn), deleted: true, transcript: JSON.parse(transcript) as unknown }, () => "")
      : Console.log(transcript.replace(/\n$/, ""))

/** The end of one-shot and final: a witnessed turn, the transcript if asked, then the witnessed deletion. */
const lastTurn = (session: Session, prompt: string, options: TurnOptions & { readonly transcript: boolean }) =>
  Effect.gen(function* () {
    const turn = yield* turnIn(session, prompt, options).pipe(keepOnFailure(session))
    yield* progress(turn)
    const transcript = options.transcript ? yield* transcriptOf(session, options.json) : undefined
    yield* deleteWitnessed(session)
    yield* emitFinished(session, turn, options, transcript)
    return { session, turn }
  })

export const oneShot = (
  prompt: string,
  options: TurnOptions & {
    readonly dir: Option.Option<string>
    readonly title: Option.Option<string>
    readonly transcript: boolean
  }
) =>
  Effect.gen(function* () {
    yield* nonEmpty(prompt, "the prompt")
    const session = yield* createSession({ title: Option.getOrElse(options.title, () => "ocm one-shot"), dir: options.dir })
    return yield* lastTurn(session, prompt, options)
  })

export const beginSession = (
  prompt: string,
  options: TurnOptions & { readonly dir: Option.Option<string>; readonly title: Option.Option<string> }
) =>
  Effect.gen(function* () {
    yield* nonEmpty(prompt, "the prompt")
    const flags = identityFlags(options)
    const session = yield* createSession({ title: Option.getOrUndefined(options.title), dir: options.dir })
    // explicit identity becomes the session's stored default, so later prompts keep it
    if (flags.agent !== undefined || flags.model !== undefined || flags.variant !== undefined) {
      yield* writeDefaults(session.id, flags)
    }
    const turn = yield* turnIn(session, prompt, options).pipe(keepOnFailure(session))
    yield* progress(turn)
    yield* emit(options.json, turnJson(session, turn), () => session.id)
    return { session, turn }
  })

export const chat = (
  reference: string,
  prompt: string,
  options: TurnOptions & { readonly noReply: boolean; readonly system: boolean }
) =>
  Effect.gen(function* () {
    if (options.noReply && options.abortOnTimeout) {
      return yield* flagsContradict("--no-reply", "--abort-on-timeout", "--no-reply runs no turn to abort")
    }
    const session = yield* checkThenResolve(reference, prompt, options.system ? "the system prompt" : "the prompt")
    const turn = yield* turnIn(session, options.system ? "" : prompt, options, {
      system: options.system ? prompt : undefined,
      noReply: options.noReply
    })
    yield* progress(turn)
    yield* emit(options.json, turnJson(session, turn), () =>
      turn.mode === "queue-only" ? `recorded ${turn.proof.userMessageID} in ${session.id} (no reply requested)` : turn.reply
    )
    return { session, turn }
  })

export const final = (
  reference: string,
  prompt: string,
  options: TurnOptions & { readonly transcript: boolean }
) =>
  Effect.gen(function* () {
    const session = yield* checkThenResolve(reference, prompt, "the prompt")
    return yield* lastTurn(session, prompt, options)
  })

/** Waits until the session (and its sub-agent sessions) is idle with nothing pending; prints the latest reply. */
export const waitIdle = (reference: string | undefined, options: { readonly timeout: Duration.Duration; readonly json: boolean }) =>
  Effect.gen(function* () {
    const timeout = options.timeout
    const host = yield* ProcessHost
    const session = yield* resolveSession(reference, host.cwd)
    const { states } = yield* waitFor([session], { mode: "all", requireBusy: false, mainAgent: false, timeout })
    const latest = states[0]?.latestAssistant
    const info = latest?.info.role === "assistant" ? latest.info : undefined
    const reply = replyText(latest)
    const abandoned = states[0]?.replyAbandoned === true
    if (info?.error !== undefined) yield* note(`ocm: the latest turn of ${session.id} ended with ${info.error.name}`)
    if (abandoned) yield* note(`ocm: the server went idle leaving the latest reply of ${session.id} unfinished (the turn failed on its side)`)
    yield* emit(
      options.json,
      { sessionID: session.id, idle: true, lastAssistantID: info?.id ?? null, error: info?.error ?? null, abandoned, reply },
      () => reply
    )
  })

export const deleteSession = (reference: string, options: { readonly json: boolean; readonly keepDefaults?: boolean }) =>
  Effect.gen(function* () {
    const host = yield* ProcessHost
    const session = yield* resolveSession(reference, host.cwd)
    yield* deleteWitnessed(session, options)
    yield* emit(options.json, { sessionID: session.id, title: session.title, deleted: true }, () => `deleted ${session.id} (${session.title})`)
  })
