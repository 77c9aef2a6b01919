/** The read side of the control surface (SPEC §5.2): list|ls, get|show, status, children, todo, abort. */
import * as FileSystem from "@effect/platform/FileSystem"
import * as Path from "@effect/platform/Path"
import * as Arr from "effect/Array"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Schedule from "effect/Schedule"
import { OpenCodeClient } from "../../services/OpenCodeClient.js"
import { ProcessHost } from "../../services/ProcessHost.js"
import { waiting } from "../../services/Progress.js"
import type { Session, SessionStatus, Todo } from "../domain/Domain.js"
import { InvalidInput, WaitTimeout } from "../domain/Errors.js"
import { directoryFrom } from "../local/Directories.js"
import type { IdentityFields } from "../domain/Identity.js"
import { defaultsDirectory, readDefaults } from "../local/SessionDefaults.js"
import { resolveSession } from "../engine/SessionResolver.js"
import { blockedAmong, type PendingPermission, statusesOf, statusIn, treeStatus, type TreeStatus } from "../engine/WaitEngine.js"

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
}

/** Enough to see every session of a busy machine; the server's own default is 100. */
const LIST_LIMIT = 10_000
const ABORT_WITNESS_SECONDS = 10

// ---------------------------------------------------------------------------------------------------------
// Rows: one line per session, shared by list and children

/** A session as list and children show it. */
export interface SessionRow {
  readonly session: Session
  readonly status: SessionStatus
  /** Pending permission requests of the session or of a session below it. */
  readonly blocked: ReadonlyArray<PendingPermission>
}

const rowsOf = (sessions: ReadonlyArray<Session>) =>
  Effect.map(
    Effect.all([statusesOf(sessions), blockedAmong(sessions)], { concurrency: 2 }),
    ([statuses, blocked]): ReadonlyArray<SessionRow> =>
      sessions.map((session) => ({ session, status: statusIn(statuses, session), blocked: blocked.get(session.id) ?? [] }))
  )

const byKey = (key: SortKey) => (a: SessionRow, b: SessionRow): number => {
  switch (key) {
    case "updated":
      return a.session.time.updated - b.session.time.updated
    case "created":
      return a.session.time.created - b.session.time.created
    case "title":
      return a.session.title.localeCompare(b.session.title, undefined, { sensitivity: "base" })
  }
}

const sortRows = (rows: ReadonlyArray<SessionRow>, key: SortKey, ascending: boolean) =>
  [...rows].sort((a, b) => {
    const order = byKey(key)(a, b) || a.session.id.localeCompare(b.session.id)
    return ascending ? order : -order
  })

const isActive = (row: SessionRow) => row.status.type !== "idle"

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

/** A stored defaults file whose session is gone. */
export interface OrphanDefaults {
  readonly sessionID: string
  readonly file: string
  readonly defaults: IdentityFields | undefined
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
    Effect.map(readDefaults(sessionID), (defaults): OrphanDefaults => ({ sessionID, file: path.join(dir, `${sessionID}.json`), defaults }))
  )
})

/** What `rm --orphans` removed. */
export interface RemovedOrphans {
  readonly removed: ReadonlyArray<OrphanDefaults>
}

/**
 * `rm --orphans`: removes the defaults files whose session is gone (see orphanDefaults); every session is checked
 * before the first file is removed.
 */
export const removeOrphanDefaults = Effect.gen(function* () {
  const fs = yield* FileSystem.FileSystem
  const orphans = yield* orphanDefaults
  yield* Effect.forEach(orphans, ({ file }) => fs.remove(file, { force: true }), { discard: true })
  const result: RemovedOrphans = { removed: orphans }
  return result
})

// ---------------------------------------------------------------------------------------------------------
// Commands

/** What `list` found: sessions (of one directory, or of the whole server), or with `--orphans` defaults files. */
export type Listing =
  | {
      readonly _tag: "Sessions"
      readonly rows: ReadonlyArray<SessionRow>
      /** The directory listed; undefined: every directory the server lists (`--all`). */
      readonly directory: string | undefined
      /** Only busy or retrying sessions were asked for. */
      readonly active: boolean
    }
  | { readonly _tag: "Orphans"; readonly orphans: ReadonlyArray<OrphanDefaults> }

/**
 * Sessions of the current directory (or DIR; `--all`: every directory the server lists), root sessions only
 * unless `--children`, newest updated first unless `--sort`/`--asc`; `--limit` applies after sorting.
 */
export const listSessions = (options: ListOptions) =>
  Effect.gen(function* () {
    const limit = yield* checkLimit(options.limit)
    yield* checkListFlags(options)
    if (options.orphans) {
      const orphans: Listing = { _tag: "Orphans", orphans: (yield* orphanDefaults).slice(0, limit) }
      return orphans
    }
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
    const listing: Listing = { _tag: "Sessions", rows: shown, directory, active: options.active }
    return listing
  })

/** A session's details: its tree's status, stored defaults, message counts and direct children. */
export interface SessionDetails {
  readonly session: Session
  readonly state: TreeStatus
  readonly defaults: IdentityFields | undefined
  readonly messages: { readonly user: number; readonly assistant: number }
  readonly children: number
}

/** Session details, its status, stored defaults, message counts and number of children. */
export const showSession = (reference: string | undefined) =>
  Effect.gen(function* () {
    const client = yield* OpenCodeClient
    const host = yield* ProcessHost
    const session = yield* resolveSession(reference, host.cwd)
    const scoped = { directory: session.directory }
    const [state, messages, defaults] = yield* Effect.all(
      [treeStatus(session, { mainAgent: false }), client.messages(session.id, scoped), readDefaults(session.id)],
      { concurrency: "unbounded" }
    )
    const details: SessionDetails = {
      session,
      state,
      defaults,
      messages: {
        user: messages.filter((message) => message.info.role === "user").length,
        assistant: messages.filter((message) => message.info.role === "assistant").length
      },
      children: state.descendants.filter((child) => child.parentID === session.id).length
    }
    return details
  })

/** idle | busy | retry, and — tree-aware — the sub-agent sessions below it that are still busy. */
export const showStatus = (reference: string | undefined, options: { readonly mainAgent?: boolean } = {}) =>
  Effect.gen(function* () {
    const host = yield* ProcessHost
    const session = yield* resolveSession(reference, host.cwd)
    return yield* treeStatus(session, { mainAgent: options.mainAgent ?? false })
  })

/** A session's direct children, newest updated first. */
export interface Children {
  readonly session: Session
  readonly rows: ReadonlyArray<SessionRow>
}

/** The direct child sessions (sub-agent sessions) with their status. */
export const listChildren = (reference: string | undefined) =>
  Effect.gen(function* () {
    const client = yield* OpenCodeClient
    const host = yield* ProcessHost
    const session = yield* resolveSession(reference, host.cwd)
    const children = yield* client.children(session.id, { directory: session.directory })
    const rows = sortRows(yield* rowsOf(children), "updated", false)
    const result: Children = { session, rows }
    return result
  })

export interface TodoList {
  readonly session: Session
  readonly todos: ReadonlyArray<Todo>
}

/** The session's todo list. */
export const showTodo = (reference: string | undefined) =>
  Effect.gen(function* () {
    const client = yield* OpenCodeClient
    const host = yield* ProcessHost
    const session = yield* resolveSession(reference, host.cwd)
    const todos = yield* client.todo(session.id, { directory: session.directory })
    const result: TodoList = { session, todos }
    return result
  })

/** A witnessed abort: the session, and its status before the abort (after it, the server reported it idle). */
export interface Aborted {
  readonly session: Session
  readonly before: SessionStatus
}

/**
 * Aborts the session and witnesses it: afterwards the server must report it idle. The server answers 200 for an
 * unknown id, so the session is resolved first; that is the proof it exists.
 */
export const abortSession = (reference: string | undefined) =>
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
      }),
      waiting(`waiting for session ${session.id} to stop after the abort`)
    )
    const result: Aborted = { session, before }
    return result
  })
