/** How a session's changes read: `diff`. */
import type { SessionDiff } from "../programs/diff.js"
import type { View } from "./Presenter.js"

/** The patches, which `git apply` takes as they are; no changes is an empty output and a note. */
export const diffView: View<SessionDiff> = {
  json: ({ changes }) => changes,
  text: ({ changes }) => (changes.length === 0 ? undefined : changes.map((change) => change.patch).join("").replace(/\n$/, "")),
  note: ({ session, changes }) => (changes.length === 0 ? `ocm: ${session.id} changed no files` : undefined)
}
