/** The proof contract (SPEC §5.1): one-shot, begin-session, chat, final, wait, delete — all over the turn engine. */
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import { OpenCodeClient } from "../../services/OpenCodeClient.js"
import { ProcessHost } from "../../services/ProcessHost.js"
import { note, waiting } from "../../services/Progress.js"
import { TranscriptStore } from "../../services/TranscriptStore.js"
import type { AssistantMessage, Session } from "../domain/Domain.js"
import { flagsContradict, InvalidInput, ServerRejected } from "../domain/Errors.js"
import { directoryFrom } from "../local/Directories.js"
import { type IdentityOptions, noteTurn, type PromptedTurn, type PromptPolicy, promptTurn } from "../engine/PromptTurn.js"
import { removeDefaults } from "../local/SessionDefaults.js"
import { resolveSession } from "../engine/SessionResolver.js"
import type { TranscriptDocument } from "../transcript/View.js"
import { replyText } from "../engine/TurnEngine.js"
import { waitFor } from "../engine/WaitEngine.js"

export { identityFlags, type IdentityOptions } from "../engine/PromptTurn.js"

export interface TurnOptions extends IdentityOptions {
  readonly timeout: Duration.Duration
  readonly abortOnTimeout: boolean
}

/** A witnessed last turn, after which the session was deleted (and witnessed gone). */
export interface FinishedTurn extends PromptedTurn {
  /** The session's transcript, read before it was deleted, when asked for. */
  readonly transcript: TranscriptDocument | undefined
}

/** `wait`: the session went idle with nothing pending; its latest reply. */
export interface IdleSession {
  readonly sessionID: string
  readonly lastAssistantID: string | null
  readonly error: AssistantMessage["error"] | null
  /** The server went idle leaving the latest reply unfinished. */
  readonly abandoned: boolean
  readonly reply: string
}

export interface DeletedSession {
  readonly sessionID: string
  readonly title: string
}

const nonEmpty = (text: string, what: string) =>
  text.trim() === "" ? Effect.fail(new InvalidInput({ message: `${what} must not be empty` })) : Effect.void

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

/** A witnessed turn with its progress note. */
const noted = (session: Session, prompt: string, options: TurnOptions, policy: PromptPolicy = {}) =>
  promptTurn(session, { ...options, text: prompt }, policy).pipe(Effect.tap(noteTurn))

/** Every flag and the prompt are checked before the first request; then the session is resolved. */
const checkThenResolve = (reference: string, prompt: string, what: string) =>
  Effect.gen(function* () {
    yield* nonEmpty(prompt, what)
    const host = yield* ProcessHost
    return yield* resolveSession(reference, host.cwd)
  })

/** The end of one-shot and final: a witnessed turn, the transcript if asked (read first), then the witnessed deletion. */
const lastTurn = (session: Session, prompt: string, options: TurnOptions & { readonly transcript: boolean }) =>
  Effect.gen(function* () {
    const prompted = yield* noted(session, prompt, options, { sayKept: true })
    let transcript: TranscriptDocument | undefined
    if (options.transcript) {
      const store = yield* TranscriptStore
      transcript = yield* store.document(yield* store.load({ _tag: "Session", reference: session.id }))
    }
    yield* deleteWitnessed(session)
    return { ...prompted, transcript } satisfies FinishedTurn
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
    const session = yield* createSession({ title: Option.getOrUndefined(options.title), dir: options.dir })
    return yield* noted(session, prompt, options, { storeIdentity: true, sayKept: true })
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
    return yield* promptTurn(session, {
      ...options,
      text: options.system ? "" : prompt,
      system: options.system ? prompt : undefined
    }).pipe(Effect.tap(noteTurn))
  })

export const final = (reference: string, prompt: string, options: TurnOptions & { readonly transcript: boolean }) =>
  Effect.gen(function* () {
    const session = yield* checkThenResolve(reference, prompt, "the prompt")
    return yield* lastTurn(session, prompt, options)
  })

/** Waits until the session (and its sub-agent sessions) is idle with nothing pending; its latest reply. */
export const waitIdle = (reference: string | undefined, options: { readonly timeout: Duration.Duration }) =>
  Effect.gen(function* () {
    const host = yield* ProcessHost
    const session = yield* resolveSession(reference, host.cwd)
    const { states } = yield* waitFor([session], { mode: "all", requireBusy: false, mainAgent: false, timeout: options.timeout }).pipe(
      waiting(`waiting for ${session.id} to be idle`)
    )
    const latest = states[0]?.latestAssistant
    const info = latest?.info.role === "assistant" ? latest.info : undefined
    const abandoned = states[0]?.replyAbandoned === true
    if (info?.error !== undefined) yield* note("warning", `ocm: the latest turn of ${session.id} ended with ${info.error.name}`)
    if (abandoned) {
      yield* note("warning", `ocm: the server went idle leaving the latest reply of ${session.id} unfinished (the turn failed on its side)`)
    }
    return {
      sessionID: session.id,
      lastAssistantID: info?.id ?? null,
      error: info?.error ?? null,
      abandoned,
      reply: replyText(latest)
    } satisfies IdleSession
  })

export const deleteSession = (reference: string, options: { readonly keepDefaults?: boolean } = {}) =>
  Effect.gen(function* () {
    const host = yield* ProcessHost
    const session = yield* resolveSession(reference, host.cwd)
    yield* deleteWitnessed(session, options)
    return { sessionID: session.id, title: session.title } satisfies DeletedSession
  })
