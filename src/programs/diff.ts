/** The session's file changes (SPEC §5.2 `diff`): each turn's diff from the server, in git's form. */
import * as Effect from "effect/Effect"
import { OpenCodeClient } from "../../services/OpenCodeClient.js"
import { ProcessHost } from "../../services/ProcessHost.js"
import type { FileDiff, MessageWithParts, Session } from "../domain/Domain.js"
import { resolveSession } from "../engine/SessionResolver.js"

export interface FileChange {
  readonly file: string
  readonly status: string
  readonly additions: number
  readonly deletions: number
  /** A git-style unified diff of this file for one turn (`git apply` accepts the concatenation). */
  readonly patch: string
  /** The user message whose turn made the change. */
  readonly messageID: string
}

/**
 * The server's patches (`Index:` / `===` / `--- f` / `+++ f`) in git's form: a `diff --git a/f b/f` header,
 * new/deleted file modes, `a/` and `b/` prefixes and /dev/null, then the hunks unchanged. A patch that already
 * has a git header is kept as it is.
 */
export const gitPatch = (diff: { readonly file: string; readonly status?: string | undefined; readonly patch?: string | undefined }) => {
  const patch = diff.patch ?? ""
  if (patch.startsWith("diff --git ")) return patch.endsWith("\n") ? patch : `${patch}\n`
  const lines = patch.split("\n")
  const firstHunk = lines.findIndex((line) => line.startsWith("@@"))
  const hunks = firstHunk === -1 ? "" : lines.slice(firstHunk).join("\n")
  const file = diff.file
  const header = [`diff --git a/${file} b/${file}`]
  if (diff.status === "added") header.push("new file mode 100644")
  if (diff.status === "deleted") header.push("deleted file mode 100644")
  if (hunks !== "") {
    header.push(diff.status === "added" ? "--- /dev/null" : `--- a/${file}`)
    header.push(diff.status === "deleted" ? "+++ /dev/null" : `+++ b/${file}`)
  }
  const text = [...header, ...(hunks === "" ? [] : [hunks])].join("\n")
  return text.endsWith("\n") ? text : `${text}\n`
}

const statusOfDiff = (diff: FileDiff) => diff.status ?? "modified"

/**
 * The session's file changes, turn by turn: each user message's diff (`GET /session/{id}/diff?messageID=`;
 * without a message id the server answers []), grouped per file in order of first change, each file's turns in
 * order.
 */
export const sessionChanges = (session: Session, messages?: ReadonlyArray<MessageWithParts>) =>
  Effect.gen(function* () {
    const client = yield* OpenCodeClient
    const scoped = { directory: session.directory }
    const all = messages ?? (yield* client.messages(session.id, scoped))
    const userIDs = all.filter((message) => message.info.role === "user").map((message) => message.info.id)
    const perTurn = yield* Effect.forEach(
      userIDs,
      (messageID) =>
        Effect.map(client.diff(session.id, { ...scoped, messageID }), (diffs) =>
          diffs.flatMap((diff): ReadonlyArray<FileChange> =>
            diff.file === undefined || diff.file === ""
              ? []
              : [
                  {
                    file: diff.file,
                    status: statusOfDiff(diff),
                    additions: diff.additions,
                    deletions: diff.deletions,
                    patch: gitPatch({ file: diff.file, status: diff.status, patch: diff.patch }),
                    messageID
                  }
                ]
          )
        ),
      { concurrency: 8 }
    )
    const byFile = new Map<string, Array<FileChange>>()
    for (const change of perTurn.flat()) {
      const list = byFile.get(change.file) ?? []
      list.push(change)
      byFile.set(change.file, list)
    }
    return [...byFile.values()].flat()
  })

export interface SessionDiff {
  readonly session: Session
  readonly changes: ReadonlyArray<FileChange>
}

/** The session's file changes, turn by turn, grouped per file. */
export const showDiff = (reference: string | undefined) =>
  Effect.gen(function* () {
    const host = yield* ProcessHost
    const session = yield* resolveSession(reference, host.cwd)
    const result: SessionDiff = { session, changes: yield* sessionChanges(session) }
    return result
  })
