/** How the read side of the control surface reads: list|ls, get|show, status, children, todo, abort, rm --orphans. */
import type { Todo } from "../domain/Domain.js"
import { formatModel, type IdentityFields } from "../domain/Identity.js"
import type {
  Aborted,
  Children,
  Listing,
  OrphanDefaults,
  RemovedOrphans,
  SessionDetails,
  SessionRow,
  TodoList
} from "../programs/inspect.js"
import { blockedJson, blockedLabel, isBusy, retryJson, type TreeStatus, treeStatusLabel, waitingLabel } from "../engine/WaitEngine.js"
import { table, type View } from "./Presenter.js"

const iso = (epochMs: number) => new Date(epochMs).toISOString()

// ---------------------------------------------------------------------------------------------------------
// Rows: one line per session, shared by list and children

const rowJson = ({ session, status, blocked }: SessionRow) => ({
  id: session.id,
  title: session.title,
  directory: session.directory,
  parentID: session.parentID ?? null,
  created: iso(session.time.created),
  updated: iso(session.time.updated),
  status: status.type,
  blocked: blockedJson(blocked)
})

const rowLabel = ({ session, status, blocked }: SessionRow) => blockedLabel(session, blocked) ?? status.type

const renderRows = (rows: ReadonlyArray<SessionRow>, withDirectory: boolean) => {
  const titleWidth = withDirectory ? Math.max(0, ...rows.map(({ session }) => session.title.length)) : 0
  const statusWidth = Math.max(5, ...rows.map((row) => rowLabel(row).length))
  return rows
    .map((row) => {
      const { session } = row
      const columns = [session.id, rowLabel(row).padEnd(statusWidth), iso(session.time.updated), session.title.padEnd(titleWidth)]
      return (withDirectory ? [...columns, session.directory] : columns).join("  ").trimEnd()
    })
    .join("\n")
}

/** Nothing on stdout for an empty list (its JSON is `[]`): the view's note says it is empty. */
const unlessEmpty = <A>(items: ReadonlyArray<A>, text: () => string) => (items.length === 0 ? undefined : text())

// ---------------------------------------------------------------------------------------------------------
// Stored defaults

const defaultsJson = (defaults: IdentityFields | undefined) =>
  defaults === undefined
    ? null
    : {
        agent: defaults.agent ?? null,
        model: defaults.model === undefined ? null : formatModel(defaults.model),
        variant: defaults.variant ?? null
      }

const defaultsLabel = (defaults: IdentityFields | undefined) => {
  const json = defaultsJson(defaults)
  if (json === null) return "(none)"
  const fields = [
    json.agent === null ? undefined : `agent ${json.agent}`,
    json.model === null ? undefined : `model ${json.model}`,
    json.variant === null ? undefined : `variant ${json.variant}`
  ].filter((field) => field !== undefined)
  return fields.length === 0 ? "(empty)" : fields.join(", ")
}

const orphanJson = ({ sessionID, file, defaults }: OrphanDefaults) => ({ sessionID, file, defaults: defaultsJson(defaults) })

// ---------------------------------------------------------------------------------------------------------
// Views

/** `list`: rows of sessions (`--all`: with their directory), or the orphaned defaults files. */
export const listingView: View<Listing> = {
  json: (listing) => (listing._tag === "Orphans" ? listing.orphans.map(orphanJson) : listing.rows.map(rowJson)),
  text: (listing) =>
    listing._tag === "Orphans"
      ? unlessEmpty(listing.orphans, () => listing.orphans.map(({ sessionID, file }) => `${sessionID}  ${file}`).join("\n"))
      : unlessEmpty(listing.rows, () => renderRows(listing.rows, listing.directory === undefined)),
  note: (listing) => {
    if (listing._tag === "Orphans") {
      return listing.orphans.length === 0 ? "ocm: no stored defaults without a live session" : undefined
    }
    if (listing.rows.length > 0) return undefined
    const what = listing.active ? "no busy or retrying sessions" : "no sessions"
    return `ocm: ${what} ${listing.directory === undefined ? "on the server" : `in ${listing.directory}`}`
  }
}

/** `rm --orphans`. */
export const removedOrphansView: View<RemovedOrphans> = {
  json: ({ removed }) => ({ removed: removed.map(orphanJson) }),
  text: ({ removed }) => unlessEmpty(removed, () => removed.map(({ sessionID, file }) => `removed ${sessionID}  ${file}`).join("\n")),
  note: ({ removed }) => (removed.length === 0 ? "ocm: no stored defaults without a live session; nothing removed" : undefined)
}

/** `get`/`show`. */
export const sessionDetailsView: View<SessionDetails> = {
  json: ({ session, state, defaults, messages, children }) => {
    const summary = session.summary
    return {
      ...rowJson({ session, status: state.status, blocked: state.blocked }),
      idle: !isBusy(state),
      share: session.share?.url ?? null,
      summary: summary === undefined ? null : { additions: summary.additions, deletions: summary.deletions, files: summary.files },
      retry: retryJson(state.status),
      defaults: defaultsJson(defaults),
      messages,
      children
    }
  },
  text: ({ session, state, defaults, messages, children }) => {
    const summary = session.summary
    return [
      `${session.id}  ${session.title}`,
      table([
        ["directory", session.directory],
        ["parent", session.parentID],
        ["created", iso(session.time.created)],
        ["updated", iso(session.time.updated)],
        ["status", [treeStatusLabel(state), waitingLabel(state)].filter((part) => part !== undefined).join("; ")],
        ["share", session.share?.url],
        [
          "changes",
          summary === undefined
            ? undefined
            : `+${summary.additions} -${summary.deletions} in ${summary.files} file${summary.files === 1 ? "" : "s"}`
        ],
        ["messages", `${messages.user} user, ${messages.assistant} assistant`],
        ["children", children],
        ["defaults", defaultsLabel(defaults)]
      ])
    ].join("\n")
  }
}

/** `status`: the tree's status; the text is its label, and which sub-agent sessions it waits on. */
export const treeStatusView: View<TreeStatus> = {
  json: (state) => ({
    sessionID: state.session.id,
    title: state.session.title,
    directory: state.session.directory,
    status: state.status.type,
    retry: retryJson(state.status),
    idle: !isBusy(state),
    blocked: blockedJson(state.blocked),
    subAgents: {
      total: state.descendants.length,
      busy: state.busyDescendants.map(({ session: child, status: childStatus }) => ({
        id: child.id,
        title: child.title,
        parentID: child.parentID ?? null,
        status: childStatus.type
      }))
    }
  }),
  text: (state) => [treeStatusLabel(state), waitingLabel(state)].filter((line) => line !== undefined).join("\n")
}

/** `children`: rows as `list` shows them, with the directory when some child lives elsewhere. */
export const childrenView: View<Children> = {
  json: ({ rows }) => rows.map(rowJson),
  text: ({ session, rows }) =>
    unlessEmpty(rows, () => renderRows(rows, rows.some((row) => row.session.directory !== session.directory))),
  note: ({ session, rows }) => (rows.length === 0 ? `ocm: ${session.id} has no child sessions` : undefined)
}

const checkbox: Record<string, string> = { completed: "[x]", in_progress: "[~]", cancelled: "[-]" }

const todoLine = (todo: Todo) =>
  `${checkbox[todo.status] ?? "[ ]"} ${todo.content}${todo.priority === undefined ? "" : `  (${todo.priority})`}`

/** `todo`: a checklist. */
export const todoView: View<TodoList> = {
  json: ({ todos }) => todos.map((todo) => ({ content: todo.content, status: todo.status, priority: todo.priority ?? null })),
  text: ({ todos }) => unlessEmpty(todos, () => todos.map(todoLine).join("\n")),
  note: ({ session, todos }) => (todos.length === 0 ? `ocm: ${session.id} has no todo list` : undefined)
}

/** `abort`. */
export const abortedView: View<Aborted> = {
  json: ({ session, before }) => ({ sessionID: session.id, title: session.title, aborted: true, wasBusy: before.type !== "idle", status: "idle" }),
  text: ({ session, before }) =>
    before.type !== "idle" ? `aborted ${session.id}: it was ${before.type}, now idle` : `${session.id} was not busy; it is idle`
}
