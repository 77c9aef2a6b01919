/** How the proof contract's results read (one-shot, begin-session, chat, final, wait, delete), and the one turn JSON. */
import type { PromptedTurn } from "../engine/PromptTurn.js"
import type { DeletedSession, FinishedTurn, IdleSession } from "../programs/turns.js"
import { markdownOf } from "../transcript/Markdown.js"
import { proofJson } from "../engine/TurnEngine.js"
import type { View } from "./Presenter.js"

/**
 * The JSON of a turn, shared by every prompt-bearing command (one-shot, begin-session, chat, final, send, stream,
 * run, wt run); each adds its own fields after it.
 */
export const turnJson = ({ session, turn }: PromptedTurn) => ({
  sessionID: session.id,
  directory: session.directory,
  title: session.title,
  mode: turn.mode,
  reply: turn.reply,
  proof: proofJson(turn.proof)
})

/** `begin-session`: the new session's id. */
export const begunView: View<PromptedTurn> = {
  json: turnJson,
  text: ({ session }) => session.id
}

/** `chat`: the reply, or what was recorded when no turn ran. */
export const chatView: View<PromptedTurn> = {
  json: turnJson,
  text: ({ session, turn }) =>
    turn.mode === "queue-only" ? `recorded ${turn.proof.userMessageID} in ${session.id} (no reply requested)` : turn.reply
}

/** `one-shot` and `final`: the reply, or the transcript read before the session was deleted. */
export const finishedView: View<FinishedTurn> = {
  json: (finished) => ({
    ...turnJson(finished),
    deleted: true,
    ...(finished.transcript === undefined ? {} : { transcript: finished.transcript })
  }),
  text: (finished) => (finished.transcript === undefined ? finished.turn.reply : markdownOf(finished.transcript).replace(/\n$/, ""))
}

/** `wait`: the latest reply. */
export const idleView: View<IdleSession> = {
  json: (idle) => ({
    sessionID: idle.sessionID,
    idle: true,
    lastAssistantID: idle.lastAssistantID,
    error: idle.error,
    abandoned: idle.abandoned,
    reply: idle.reply
  }),
  text: (idle) => idle.reply
}

/** `delete` / `rm`. */
export const deletedView: View<DeletedSession> = {
  json: (deleted) => ({ sessionID: deleted.sessionID, title: deleted.title, deleted: true }),
  text: (deleted) => `deleted ${deleted.sessionID} (${deleted.title})`
}
