/** Commands of the control surface that read or stop a session: list|ls, get|show, status, children, todo, abort. */
import * as Args from "@effect/cli/Args"
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as Effect from "effect/Effect"
import {
  abortSession,
  listChildren,
  listSessions,
  removeOrphanDefaults,
  type ListOptions,
  showSession,
  showStatus,
  showTodo,
  sortKeys
} from "../programs/inspect.js"
import {
  abortedView,
  childrenView,
  listingView,
  removedOrphansView,
  sessionDetailsView,
  todoView,
  treeStatusView
} from "../present/inspect.js"
import { present } from "../present/Presenter.js"
import { clientLayer, type Connection, connection, json, referenceArg, sessionCommand } from "./common.js"

const listConfig = {
  ...connection,
  json,
  dir: referenceArg("dir").pipe(
    Args.withDescription("list the sessions of this directory (default: the current one)"),
    Args.optional
  ),
  all: Options.boolean("all").pipe(
    Options.withDescription("sessions of every directory the server lists (its whole project), each with its directory")
  ),
  children: Options.boolean("children").pipe(
    Options.withDescription("include child (sub-agent) sessions, not only root sessions")
  ),
  active: Options.boolean("active").pipe(Options.withDescription("only busy or retrying sessions")),
  sort: Options.choice("sort", sortKeys).pipe(
    Options.withDescription("order by updated (default), created or title"),
    Options.optional
  ),
  asc: Options.boolean("asc").pipe(Options.withDescription("ascending order (default: descending, newest first)")),
  limit: Options.integer("limit").pipe(
    Options.withDescription("show at most N sessions, after sorting (N ≥ 1)"),
    Options.optional
  ),
  orphans: Options.boolean("orphans").pipe(
    Options.withDescription("instead: stored defaults files whose session no longer exists")
  )
}

const listHandler = (options: ListOptions & Connection & { readonly json: boolean }) =>
  listSessions(options).pipe(Effect.flatMap(present(listingView, options)), Effect.provide(clientLayer(options)))
const listDescription =
  "list sessions: id, status, last update, title (--json: id, title, directory, parentID, created, updated, status)"

export const listCommand = Command.make("list", listConfig, listHandler).pipe(Command.withDescription(listDescription))
export const lsCommand = Command.make("ls", listConfig, listHandler).pipe(Command.withDescription("alias of list"))

export const getCommand = sessionCommand(
  "get",
  "session details: directory, parent, times, share URL, changes, status, stored defaults, message and child counts",
  showSession,
  sessionDetailsView
)
export const showCommand = sessionCommand("show", "alias of get", showSession, sessionDetailsView)

export const statusCommand = sessionCommand(
  "status",
  "idle, busy or retry (with attempt and message), and which sub-agent sessions below it are still busy; exits 0",
  showStatus,
  treeStatusView,
  {
    mainAgent: Options.boolean("main-agent").pipe(
      Options.withDescription("only the session itself: ignore its sub-agent sessions")
    )
  }
)

export const childrenCommand = sessionCommand(
  "children",
  "the session's child (sub-agent) sessions with their status",
  listChildren,
  childrenView
)

export const todoCommand = sessionCommand(
  "todo",
  "the session's todo list as a checklist (--json: content, status, priority)",
  showTodo,
  todoView
)

export const abortCommand = sessionCommand(
  "abort",
  "stop the session's running turn; witnessed: the server then reports it idle (else exit 124)",
  abortSession,
  abortedView
)

/** `rm --orphans` (the delete command's other form). */
export const removeOrphans = (options: Connection & { readonly json: boolean }) =>
  removeOrphanDefaults.pipe(Effect.flatMap(present(removedOrphansView, options)), Effect.provide(clientLayer(options)))
