/** occtl's session commands (SPEC §5.2): create|new with stored defaults, messages|msgs, last. */
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { OpenCodeClient } from "../../services/OpenCodeClient.js"
import { ProcessHost } from "../../services/ProcessHost.js"
import { note } from "../../services/Progress.js"
import type { MessageWithParts, Session } from "../domain/Domain.js"
import { AssistantTurnFailed, InvalidInput } from "../domain/Errors.js"
import { directoryFrom } from "../local/Directories.js"
import type { IdentityFields } from "../domain/Identity.js"
import { writeDefaults } from "../local/SessionDefaults.js"
import { resolveSession } from "../engine/SessionResolver.js"
import { errorDetail } from "../engine/TurnEngine.js"
import { confirmedTreeState } from "../engine/WaitEngine.js"
import { identityFlags, type IdentityOptions } from "./turns.js"

/** A session created, with the defaults stored for it (and their file), if any were given. */
export interface CreatedSession {
  readonly session: Session
  readonly defaults: (IdentityFields & { readonly file: string }) | undefined
}

export const createSession = (
  options: IdentityOptions & {
    readonly title: Option.Option<string>
    readonly parent: Option.Option<string>
    readonly dir: Option.Option<string>
  }
) =>
  Effect.gen(function* () {
    const defaults = identityFlags(options)
    const client = yield* OpenCodeClient
    const host = yield* ProcessHost
    const parent = Option.isSome(options.parent) ? yield* resolveSession(options.parent.value, host.cwd) : undefined
    const session = yield* client.createSession({
      directory: yield* directoryFrom(options.dir, parent?.directory),
      title: Option.getOrUndefined(options.title),
      parentID: parent?.id
    })
    const stored = defaults.agent !== undefined || defaults.model !== undefined || defaults.variant !== undefined
    const created: CreatedSession = {
      session,
      defaults: stored ? { ...defaults, file: yield* writeDefaults(session.id, defaults) } : undefined
    }
    return created
  })

export type Role = "user" | "assistant"

const positiveInteger = (flag: string, value: Option.Option<number>) =>
  Option.match(value, {
    onNone: () => Effect.succeed(undefined),
    onSome: (n) =>
      Number.isInteger(n) && n >= 1
        ? Effect.succeed(n)
        : Effect.fail(new InvalidInput({ message: `${flag} must be a whole number ≥ 1, got ${n}` }))
  })

/** `messages`: a session's messages, of one role or both, the last `limit` of them. */
export const listMessages = (
  reference: Option.Option<string>,
  options: { readonly role: Option.Option<Role>; readonly limit: Option.Option<number> }
) =>
  Effect.gen(function* () {
    const limit = yield* positiveInteger("--limit", options.limit)
    const client = yield* OpenCodeClient
    const host = yield* ProcessHost
    const session = yield* resolveSession(Option.getOrUndefined(reference), host.cwd)
    const all = yield* client.messages(session.id, { directory: session.directory })
    const ofRole = Option.match(options.role, { onNone: () => all, onSome: (role) => all.filter((m) => m.info.role === role) })
    return limit === undefined ? ofRole : ofRole.slice(-limit)
  })

/** `last`: the session's last message of a role; none when it has none yet. */
export interface LastMessage {
  readonly role: Role
  readonly message: MessageWithParts | undefined
}

export const lastMessage = (reference: Option.Option<string>, options: { readonly role: Option.Option<Role> }) =>
  Effect.gen(function* () {
    const client = yield* OpenCodeClient
    const host = yield* ProcessHost
    const session = yield* resolveSession(Option.getOrUndefined(reference), host.cwd)
    const role = Option.getOrElse(options.role, (): Role => "assistant")
    const messages = yield* client.messages(session.id, { directory: session.directory })
    const last = [...messages].reverse().find((message) => message.info.role === role)
    if (last === undefined) yield* note("warning", `ocm: ${session.id} has no ${role} message yet`)
    else if (last.info.role === "assistant") yield* checkReply(session, last)
    const result: LastMessage = { role, message: last }
    return result
  })

/**
 * The last reply is judged as the waits judge it: one that carries an error (aborted, provider failure) or that
 * the server left unfinished in an idle session (abandoned) is AssistantTurnFailed, never an empty success;
 * one still being written is printed as far as it goes, with a note.
 */
const checkReply = (session: Session, reply: MessageWithParts) =>
  Effect.gen(function* () {
    const info = reply.info
    if (info.role !== "assistant") return
    const failed = (errorName: string, detail: string) =>
      new AssistantTurnFailed({ sessionID: session.id, messageID: info.parentID, assistantMessageID: info.id, errorName, detail })
    if (info.error !== undefined) return yield* failed(info.error.name, errorDetail(info))
    if (info.time.completed !== undefined) return
    const state = yield* confirmedTreeState(session, { mainAgent: true })
    if (state.replyAbandoned && state.latestAssistant?.info.id === info.id) {
      return yield* failed("AbandonedByServer", "the server went idle leaving the reply unfinished (the turn failed on its side)")
    }
    yield* note("warning", `ocm: the reply ${info.id} is still being written; \`ocm wait ${session.id}\` prints it whole`)
  })
