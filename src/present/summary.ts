/** How a session's summary reads: `summary`. */
import type { SessionSummary } from "../programs/summary.js"
import { blockedJson, isBusy, retryJson, treeStatusLabel, waitingLabel } from "../engine/WaitEngine.js"
import { table, type View } from "./Presenter.js"

const plural = (count: number, word: string) => `${count} ${word}${count === 1 ? "" : "s"}`

export const summaryView: View<SessionSummary> = {
  json: ({ session, state, todo, messages, cost, tokens, changes, lastError, lastReply }) => ({
    id: session.id,
    title: session.title,
    directory: session.directory,
    status: state.status.type,
    idle: !isBusy(state),
    retry: retryJson(state.status),
    blocked: blockedJson(state.blocked),
    subAgents: {
      total: state.descendants.length,
      busy: state.busyDescendants.map(({ session: child, status }) => ({ id: child.id, title: child.title, status: status.type }))
    },
    todo,
    messages,
    cost,
    tokens,
    changes,
    lastError,
    lastReply
  }),
  text: ({ session, state, todo, messages, cost, tokens, changes, lastError, lastReply }) =>
    [
      `${session.id}  ${session.title}`,
      table([
        ["directory", session.directory],
        ["status", [treeStatusLabel(state), waitingLabel(state)].filter((part) => part !== undefined).join("; ")],
        ["todo", todo.total === 0 ? "none" : `${todo.done}/${todo.total} done${todo.inProgress > 0 ? `, ${todo.inProgress} in progress` : ""}`],
        ["messages", `${messages.user} user, ${messages.assistant} assistant`],
        ["cost", `$${cost.toFixed(4)}`],
        [
          "tokens",
          `${tokens.total} (input ${tokens.input}, output ${tokens.output}, reasoning ${tokens.reasoning}, cache read ${tokens.cacheRead}, write ${tokens.cacheWrite})`
        ],
        ["changes", `+${changes.additions} -${changes.deletions} in ${plural(changes.files, "file")}`],
        ["error", lastError ?? undefined],
        ["reply", lastReply ?? undefined]
      ])
    ].join("\n")
}
