/** How worktree|wt create/list/remove/run read. */
import type { CreatedWorktree, RemovedWorktree, WorktreeEntry, WorktreeListing, WorktreeTurn } from "../programs/worktree.js"
import { table, type View } from "./Presenter.js"
import { turnJson } from "./turns.js"

export const createdWorktreeView: View<CreatedWorktree> = {
  json: (created) => created,
  text: (created) => table([["name", created.name], ["branch", created.branch ?? "(unknown)"], ["directory", created.directory]], "")
}

const branchOf = (entry: WorktreeEntry) => (entry.exists ? (entry.branch ?? "(unknown)") : "(missing on disk)")

/** A table of name, branch and directory; nothing when there are none (a note says so). */
export const worktreeListView: View<WorktreeListing> = {
  json: (listing) => listing,
  note: ({ project, worktrees }) =>
    worktrees.length === 0 ? `ocm: the server lists no worktrees for the project of ${project}` : undefined,
  text: ({ worktrees }) => {
    if (worktrees.length === 0) return undefined
    const nameWidth = Math.max(4, ...worktrees.map((entry) => entry.name.length))
    const branchWidth = Math.max(6, ...worktrees.map((entry) => branchOf(entry).length))
    return [
      `${"NAME".padEnd(nameWidth)}  ${"BRANCH".padEnd(branchWidth)}  DIRECTORY`,
      ...worktrees.map((entry) => `${entry.name.padEnd(nameWidth)}  ${branchOf(entry).padEnd(branchWidth)}  ${entry.directory}`)
    ].join("\n")
  }
}

export const removedWorktreeView: View<RemovedWorktree> = {
  json: (removed) => removed,
  text: (removed) => `removed ${removed.name}${removed.branch ? ` (branch ${removed.branch} deleted)` : ""}: ${removed.directory}`
}

/** `wt run`: the reply; without --wait, the session id (the turn runs on). */
export const worktreeTurnView: View<WorktreeTurn> = {
  json: (run) => ({
    ...turnJson(run),
    worktree: run.worktree.name,
    branch: run.worktree.branch,
    worktreeCreated: run.worktree.created
  }),
  text: ({ session, turn }) => (turn.mode === "sent" ? session.id : turn.reply)
}
