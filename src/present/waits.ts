/** How the waits read: wait-for-idle, wait-any, wait-all, is-idle, wait-for-text. */
import type { IdleCheck, IdleWait, TextFound } from "../programs/waits.js"
import { replyText } from "../engine/TurnEngine.js"
import { blockedJson, type TreeState, type WaitResult } from "../engine/WaitEngine.js"
import type { View } from "./Presenter.js"

/** One session's tree as the waits report it in `--json`. */
export const stateJson = (state: TreeState) => ({
  sessionID: state.session.id,
  title: state.session.title,
  status: state.status.type,
  busySubAgents: state.busyDescendants.map(({ session }) => session.id),
  blocked: blockedJson(state.blocked),
  latestReply: replyText(state.latestAssistant),
  latestError: state.latestAssistant?.info.role === "assistant" ? (state.latestAssistant.info.error ?? null) : null,
  /** The server went idle leaving the latest reply unfinished (the wait engine's one rule, `ABANDONED_AFTER`). */
  replyAbandoned: state.replyAbandoned
})

/** `wait-for-idle`: "ses_… idle". */
export const idleWaitView: View<IdleWait> = {
  json: ({ state, elapsedMs }) => ({ ...stateJson(state), idle: true, elapsedMs }),
  text: ({ state }) => `${state.session.id} idle`
}

/** `wait-any`: the id of the first settled session. */
export const anyWaitView: View<WaitResult> = {
  json: ({ settled, elapsedMs }) => ({ first: settled[0]?.id, settled: settled.map((session) => session.id), elapsedMs }),
  text: ({ settled }) => settled[0]?.id
}

/** `wait-all`: every session's id, one a line. */
export const allWaitView: View<WaitResult> = {
  json: ({ states, elapsedMs }) => ({ sessions: states.map(stateJson), elapsedMs }),
  text: ({ settled }) => settled.map((session) => session.id).join("\n")
}

/** `is-idle`: "idle" or "not idle" (the exit code says the same). */
export const idleCheckView: View<IdleCheck> = {
  json: ({ state, idle }) => ({ ...stateJson(state), idle }),
  text: ({ idle }) => (idle ? "idle" : "not idle")
}

/** `wait-for-text`: the whole text of the message that contains it. */
export const textFoundView: View<TextFound> = {
  json: ({ session, message, text }) => ({ sessionID: session.id, messageID: message.info.id, text }),
  text: ({ text }) => text
}
