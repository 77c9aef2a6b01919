/** The read side of the control surface (SPEC §5.2): list|ls, get|show, status, children, todo, abort. */
import * as FileSystem from "@effect/platform/FileSystem"
import * as Path from "@effect/platform/Path"
import * as Arr from "effect/Array"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Schedule from "effect/Schedule"
import { OpenCodeClient } from "../../services/OpenCodeClient.js"
import { ProcessHost } from "../../services/ProcessHost.js"
import type { Session, SessionStatus, Todo } from "../Domain.js"
import { InvalidInput, WaitTimeout } from "../Errors.js"
import { directoryFrom } from "../Directories.js"
import { formatModel, type IdentityFields } from "../Identity.js"
import { emit, note, table } from "../Output.js"
import { defaultsDirectory, readDefaults } from "../SessionDefaults.js"
import { resolveSession } from "../SessionResolver.js"
import {
  blockedAmong,
  blockedJson,
  blockedLabel,
  isBusy,
  type PendingPermission,
  retryJson,
  statusesOf,
  statusIn,
  treeStatus,
  treeStatusLabel,
  waitingLabel
} from "../WaitEngine.js"

export type SortKey = "updated" | "created" | "title"
export const sortKeys: ReadonlyArray<SortKey> = ["updated", "created", "title"]

export interface ListOptions {
  readonly dir: Option.Option<string>
  readonly all: boolean
  readonly children: boolean
  readonly active: boolean
  readonly sort: Option.Option<SortKey>
  readonly asc: boolean
  readonly limit: Option.Option<number>
  readonly orphans: boolean
  readonly json: boolean
}

export interface JsonOption {
  readonly json: boolean
}

/** Enough to see every session of a busy machine; the server's own default is 100. */
const LIST_LIMIT = 10_000
const ABORT_WITNESS_SECONDS = 10

const iso = (epochMs: number) => new Date(epochMs).toISOString()

// ---------------------------------------------------------------------------------------------------------
// Status is per directory instance: `/session/status?directory=D` only knows the sessions of D.


// ---------------------------------------------------------------------------------------------------------
// Rows: one line per session, shared by list and children

interface Row {
  readonly session: Session
  readonly status: SessionStatus
  /** Pending permission requests of the session or of a session below it. */
  readonly blocked: ReadonlyArray<PendingPermission>
}

const rowJson = ({ session, status, blocked }: Row) => ({
  id: session.id,
  title: session.title,
  directory: session.directory,
  parentID: session.parentID ?? null,
  created: iso(session.time.created),
  updated: iso(session.time.updated),
  status: status.type,
  blocked: blockedJson(blocked)
})

const rowLabel = ({ session, status, blocked }: Row) => blockedLabel(session, blocked) ?? status.type

const renderRows = (rows: ReadonlyArray<Row>, withDirectory: boolean) => {
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

const rowsOf = (sessions: ReadonlyArray<Session>) =>
  Effect.map(
    Effect.all([statusesOf(sessions), blockedAmong(sessions)], { concurrency: 2 }),
    ([statuses, blocked]): ReadonlyArray<Row> =>
      sessions.map((session) => ({ session, status: statusIn(statuses, session), blocked: blocked.get(session.id) ?? [] }))
  )

const byKey = (key: SortKey) => (a: Row, b: Row): number => {
  switch (key) {
    case "updated":
      return a.session.time.updated - b.session.time.updated
    case "created":
      return a.session.time.created - b.session.time.created
    case "title":
      return a.session.title.localeCompare(b.session.title, undefined, { sensitivity: "base" })
  }
}

const sortRows = (rows: ReadonlyArray<Row>, key: SortKey, ascending: boolean) =>
  [...rows].sort((a, b) => {
    const order = byKey(key)(a, b) || a.session.id.localeCompare(b.session.id)
    return ascending ? order : -order
  })

const isActive = (row: Row) => row.status.type !== "idle"

// ---------------------------------------------------------------------------------------------------------
// Input checks: every one runs before the first request

const checkLimit = (limit: Option.Option<number>) =>
  Option.match(limit, {
    onNone: () => Effect.succeed(Number.POSITIVE_INFINITY),
    onSome: (value) =>
      Number.isInteger(value) && value >= 1
        ? Effect.succeed(value)
        : Effect.fail(new InvalidInput({ message: `--limit must be a whole number of at least 1, got ${value}` }))
  })

const checkListFlags = (options: ListOptions) => {
  if (options.all && Option.isSome(options.dir)) {
    return Effect.fail(new InvalidInput({ message: "give either DIR or --all, not both" }))
  }
  const listingFlags = [
    ["DIR", Option.isSome(options.dir)],
    ["--all", options.all],
    ["--children", options.children],
    ["--active", options.active],
    ["--sort", Option.isSome(options.sort)],
    ["--asc", options.asc]
  ] as const
  const clashing = listingFlags.filter(([, given]) => given).map(([flag]) => flag)
  if (options.orphans && clashing.length > 0) {
    return Effect.fail(
      new InvalidInput({ message: `--orphans lists stored defaults files and takes no ${clashing.join(", ")}` })
    )
  }
  return Effect.void
}

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

/**
 * Defaults files whose session is gone: absent from every project's listing and reading 404 by id. Only that 404
 * counts; any other failure (the server unreachable, 401, 5xx) fails the whole look, so nothing is ever taken for
 * an orphan because the server could not be asked.
 */
const orphanDefaults = Effect.gen(function* () {
  const fs = yield* FileSystem.FileSystem
  const path = yield* Path.Path
  const client = yield* OpenCodeClient
  const dir = yield* defaultsDirectory
  if (!(yield* fs.exists(dir))) return []
  const sessionIDs = (yield* fs.readDirectory(dir))
    .filter((name) => name.startsWith("ses") && name.endsWith(".json"))
    .map((name) => name.slice(0, -".json".length))
    .sort()
  if (sessionIDs.length === 0) return []
  const listed = new Set((yield* client.listAllSessions({ limit: LIST_LIMIT })).map((session) => session.id))
  const orphans = yield* Effect.forEach(
    sessionIDs.filter((sessionID) => !listed.has(sessionID)),
    (sessionID) =>
      client.getSession(sessionID).pipe(
        Effect.as(Option.none<string>()),
        Effect.catchTag("SessionNotFound", () => Effect.succeed(Option.some(sessionID)))
      ),
    { concurrency: 8 }
  )
  return yield* Effect.forEach(Arr.getSomes(orphans), (sessionID) =>
    Effect.map(readDefaults(sessionID), (defaults) => ({
      sessionID,
      file: path.join(dir, `${sessionID}.json`),
      defaults
    }))
  )
})

const listOrphans = (limit: number, json: boolean) =>
  Effect.gen(function* () {
    const orphans = (yield* orphanDefaults).slice(0, limit)
    if (orphans.length === 0 && !json) return yield* note("ocm: no stored defaults without a live session")
    yield* emit(
      json,
      orphans.map(({ sessionID, file, defaults }) => ({ sessionID, file, defaults: defaultsJson(defaults) })),
      () => orphans.map(({ sessionID, file }) => `${sessionID}  ${file}`).join("\n")
    )
  })

/**
 * `rm --orphans`: removes the defaults files whose session is gone (see orphanDefaults); every session is checked
 * before the first file is removed.
 */
export const removeOrphanDefaults = (options: JsonOption) =>
  Effect.gen(function* () {
    const fs = yield* FileSystem.FileSystem
    const orphans = yield* orphanDefaults
    yield* Effect.forEach(orphans, ({ file }) => fs.remove(file, { force: true }), { discard: true })
    if (orphans.length === 0 && !options.json) return yield* note("ocm: no stored defaults without a live session; nothing removed")
    yield* emit(
      options.json,
      { removed: orphans.map(({ sessionID, file, defaults }) => ({ sessionID, file, defaults: defaultsJson(defaults) })) },
      () => orphans.map(({ sessionID, file }) => `removed ${sessionID}  ${file}`).join("\n")
    )
  })

// ---------------------------------------------------------------------------------------------------------
// Commands

/**
 * Sessions of the current directory (or DIR; `--all`: every directory the server lists), root sessions only
 * unless `--children`, newest updated first unless `--sort`/`--asc`; `--limit` applies after sorting.
 */
export const listSessions = (options: ListOptions) =>
  Effect.gen(function* () {
    const limit = yield* checkLimit(options.limit)
    yield* checkListFlags(options)
    if (options.orphans) return yield* listOrphans(limit, options.json)
    const client = yield* OpenCodeClient
    const directory = options.all ? undefined : yield* directoryFrom(options.dir)
    const roots = options.children ? undefined : true
    // --all means every project the server knows, not only the project it was started in
    const sessions = yield* directory === undefined
      ? client.listAllSessions({ roots, limit: LIST_LIMIT })
      : client.listSessions({ directory, roots, limit: LIST_LIMIT })
    const rows = yield* rowsOf(sessions)
    const shown = sortRows(
      options.active ? rows.filter(isActive) : rows,
      Option.getOrElse(options.sort, (): SortKey => "updated"),
      options.asc
    ).slice(0, limit)
    if (shown.length === 0 && !options.json) {
      const what = options.active ? "no busy or retrying sessions" : "no sessions"
      return yield* note(`ocm: ${what} ${directory === undefined ? "on the server" : `in ${directory}`}`)
    }
    yield* emit(options.json, shown.map(rowJson), () => renderRows(shown, options.all))
  })

/** Session details, its status, stored defaults, message counts and number of children. */
export const showSession = (reference: string | undefined, options: JsonOption) =>
  Effect.gen(function* () {
    const client = yield* OpenCodeClient
    const host = yield* ProcessHost
    const session = yield* resolveSession(reference, host.cwd)
    const scoped = { directory: session.directory }
    const [state, messages, defaults] = yield* Effect.all(
      [treeStatus(session, { mainAgent: false }), client.messages(session.id, scoped), readDefaults(session.id)],
      { concurrency: "unbounded" }
    )
    const { status } = state
    const children = state.descendants.filter((child) => child.parentID === session.id)
    const counts = {
      user: messages.filter((message) => message.info.role === "user").length,
      assistant: messages.filter((message) => message.info.role === "assistant").length
    }
    const summary = session.summary
    yield* emit(
      options.json,
      {
        ...rowJson({ session, status, blocked: state.blocked }),
        idle: !isBusy(state),
        share: session.share?.url ?? null,
        summary: summary === undefined ? null : { additions: summary.additions, deletions: summary.deletions, files: summary.files },
        retry: retryJson(status),
        defaults: defaultsJson(defaults),
        messages: counts,
        children: children.length
      },
      () =>
        [
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
              summary === undefined ? undefined : `+${summary.additions} -${summary.deletions} in ${summary.files} file${summary.files === 1 ? "" : "s"}`
            ],
            ["messages", `${counts.user} user, ${counts.assistant} assistant`],
            ["children", children.length],
            ["defaults", defaultsLabel(defaults)]
          ])
        ].join("\n")
    )
  })

/** Every session below `parents`, breadth first; a child deleted meanwhile simply has no children. */
/** idle | busy | retry, and — tree-aware — the sub-agent sessions below it that are still busy. */
export const showStatus = (reference: string | undefined, options: JsonOption & { readonly mainAgent?: boolean }) =>
  Effect.gen(function* () {
    const host = yield* ProcessHost
    const session = yield* resolveSession(reference, host.cwd)
    const state = yield* treeStatus(session, { mainAgent: options.mainAgent ?? false })
    yield* emit(
      options.json,
      {
        sessionID: session.id,
        title: session.title,
        directory: session.directory,
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
      },
      () => [treeStatusLabel(state), waitingLabel(state)].filter((line) => line !== undefined).join("\n")
    )
  })

/** The direct child sessions (sub-agent sessions) with their status. */
export const listChildren = (reference: string | undefined, options: JsonOption) =>
  Effect.gen(function* () {
    const client = yield* OpenCodeClient
    const host = yield* ProcessHost
    const session = yield* resolveSession(reference, host.cwd)
    const children = yield* client.children(session.id, { directory: session.directory })
    const rows = sortRows(yield* rowsOf(children), "updated", false)
    if (rows.length === 0 && !options.json) return yield* note(`ocm: ${session.id} has no child sessions`)
    yield* emit(options.json, rows.map(rowJson), () =>
      renderRows(rows, rows.some((row) => row.session.directory !== session.directory))
    )
  })

const checkbox: Record<string, string> = { completed: "[x]", in_progress: "[~]", cancelled: "[-]" }

const todoLine = (todo: Todo) =>
  `${checkbox[todo.status] ?? "[ ]"} ${todo.content}${todo.priority === undefined ? "" : `  (${todo.priority})`}`

/** The session's todo list, as a checklist. */
export const showTodo = (reference: string | undefined, options: JsonOption) =>
  Effect.gen(function* () {
    const client = yield* OpenCodeClient
    const host = yield* ProcessHost
    const session = yield* resolveSession(reference, host.cwd)
    const todos = yield* client.todo(session.id, { directory: session.directory })
    if (todos.length === 0 && !options.json) return yield* note(`ocm: ${session.id} has no todo list`)
    yield* emit(
      options.json,
      todos.map((todo) => ({ content: todo.content, status: todo.status, priority: todo.priority ?? null })),
      () => todos.map(todoLine).join("\n")
    )
  })

/**
 * Aborts the session and witnesses it: afterwards the server must report it idle. The server answers 200 for an
 * unknown id, so the session is resolved first; that is the proof it exists.
 */
export const abortSession = (reference: string | undefined, options: JsonOption) =>
  Effect.gen(function* () {
    const client = yield* OpenCodeClient
    const host = yield* ProcessHost
    const session = yield* resolveSession(reference, host.cwd)
    const scoped = { directory: session.directory }
    const statusNow = Effect.map(client.sessionStatus(scoped), (statuses): SessionStatus => statuses[session.id] ?? { type: "idle" })
    const before = yield* statusNow
    yield* client.abort(session.id, scoped)
    yield* statusNow.pipe(
      Effect.repeat({ until: (status) => status.type === "idle", schedule: Schedule.spaced("200 millis") }),
      Effect.timeoutFail({
        duration: `${ABORT_WITNESS_SECONDS} seconds`,
        onTimeout: () =>
          new WaitTimeout({
            waitingFor: `session ${session.id} to stop after the abort`,
            seconds: ABORT_WITNESS_SECONDS,
            hint: `it is still busy; see \`ocm status ${session.id}\``
          })
      })
    )
    const wasBusy = before.type !== "idle"
    yield* emit(
      options.json,
      { sessionID: session.id, title: session.title, aborted: true, wasBusy, status: "idle" },
      () => (wasBusy ? `aborted ${session.id}: it was ${before.type}, now idle` : `${session.id} was not busy; it is idle`)
    )
  })
