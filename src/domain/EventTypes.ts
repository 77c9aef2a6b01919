/**
 * The event types an OpenCode 1.18.33 server sends on `GET /global/event` (its OpenAPI document's `Event` union), so
 * that `watch --events` can refuse a name that would never match instead of watching nothing for ever.
 */
import type * as Brand from "effect/Brand"
import * as Either from "effect/Either"
import type { OpenCodeEvent } from "./Domain.js"

export const eventTypes: ReadonlyArray<string> = [
  "catalog.updated", "command.executed", "file.edited", "file.watcher.updated", "global.disposed",
  "installation.update-available", "installation.updated", "integration.connection.updated", "integration.updated",
  "lsp.updated", "mcp.browser.open.failed", "mcp.tools.changed", "message.part.delta", "message.part.removed",
  "message.part.updated", "message.removed", "message.updated", "models-dev.refreshed", "permission.asked",
  "permission.replied", "permission.v2.asked", "permission.v2.replied", "plugin.added",
  "project.directories.updated", "project.updated", "pty.created", "pty.deleted", "pty.exited", "pty.updated",
  "question.asked", "question.rejected", "question.replied", "question.v2.asked", "question.v2.rejected",
  "question.v2.replied", "reference.updated", "server.connected", "server.instance.disposed", "session.compacted",
  "session.created", "session.deleted", "session.diff", "session.error", "session.idle",
  "session.next.agent.switched", "session.next.compaction.delta", "session.next.compaction.ended",
  "session.next.compaction.started", "session.next.context.updated", "session.next.model.switched",
  "session.next.moved", "session.next.prompt.admitted", "session.next.prompted", "session.next.reasoning.delta",
  "session.next.reasoning.ended", "session.next.reasoning.started", "session.next.retried",
  "session.next.revert.cleared", "session.next.revert.committed", "session.next.revert.staged",
  "session.next.shell.ended", "session.next.shell.started", "session.next.step.ended", "session.next.step.failed",
  "session.next.step.started", "session.next.synthetic", "session.next.text.delta", "session.next.text.ended",
  "session.next.text.started", "session.next.tool.called", "session.next.tool.failed",
  "session.next.tool.input.delta", "session.next.tool.input.ended", "session.next.tool.input.started",
  "session.next.tool.progress", "session.next.tool.success", "session.status", "session.updated", "todo.updated",
  "tui.command.execute", "tui.prompt.append", "tui.session.select", "tui.toast.show", "vcs.branch.updated",
  "workspace.failed", "workspace.ready", "workspace.status", "worktree.failed", "worktree.ready"
]

/**
 * Reads `--events`: comma-separated event types, each a name above or a prefix pattern ending in `.*`
 * (`session.*`, `message.part.*`) that matches at least one. Anything else is the message of an InvalidInput.
 */
/** `--events` once read: known event types and `prefix.*` families, each of which matches at least one type. */
export type EventFilter = ReadonlyArray<string> & Brand.Brand<"EventFilter">

export const parseEventFilter = (list: string): Either.Either<EventFilter, string> => {
  const names = list.split(",").map((name) => name.trim()).filter((name) => name !== "")
  if (names.length === 0) return Either.left("--events needs at least one event type, e.g. session.status,message.updated")
  const unknown = names.filter((name) => !eventTypes.some((type) => matchesEventType(name, type)))
  if (unknown.length > 0) {
    const near = [...new Set(unknown.flatMap(nearest))].slice(0, 6)
    return Either.left(
      `--events: unknown event type${unknown.length === 1 ? "" : "s"} ${unknown.map((name) => `"${name}"`).join(", ")}` +
        (near.length === 1
          ? `; did you mean ${near[0]}?`
          : near.length > 1
            ? `; did you mean one of ${near.join(", ")}?`
            : "; e.g. session.status, message.updated, permission.asked, or session.* for a family")
    )
  }
  return Either.right(names as ReadonlyArray<string> as EventFilter)
}

const sharedPrefix = (a: string, b: string) => {
  let i = 0
  while (i < a.length && i < b.length && a[i] === b[i]) i++
  return i
}

/** The known types that share the longest beginning with a mistyped name (at least its first three letters). */
const nearest = (name: string): ReadonlyArray<string> => {
  const bare = name.endsWith(".*") ? name.slice(0, -2) : name
  const best = Math.max(...eventTypes.map((type) => sharedPrefix(bare, type)))
  return best < 3 ? [] : eventTypes.filter((type) => sharedPrefix(bare, type) === best)
}

/** Whether an event type is selected by one `--events` entry: the type itself, or a `prefix.*` pattern. */
export const matchesEventType = (entry: string, type: string): boolean =>
  entry.endsWith(".*") ? type.startsWith(entry.slice(0, -1)) : entry === type

/** Whether an event type is selected by a filter. */
export const matchesEventFilter = (filter: EventFilter, type: string): boolean =>
  filter.some((entry) => matchesEventType(entry, type))

/** An event's type as the server named it (also for a type ocm does not decode). */
export const eventTypeOf = (event: OpenCodeEvent): string => (event.payload.type === "other" ? event.payload.name : event.payload.type)
