/** How permission requests read: `respond` (each answer as it is witnessed) and `permissions`. */
import * as Effect from "effect/Effect"
import type { PermissionReply, Session } from "../domain/Domain.js"
import type { Answered, PermissionList, RespondResult } from "../programs/respond.js"
import type { PendingPermission } from "../engine/WaitEngine.js"
import { type Presentation, type View, writeLine } from "./Presenter.js"

interface RequestFields {
  readonly id: string
  readonly sessionID: string
  readonly permission: string
  readonly patterns: ReadonlyArray<string>
}

/**
 * One request on one line: id, (the answer,) permission, patterns, and whose it is — a sub-agent session below `root`,
 * or with no root (`permissions --all`) the session and its directory.
 */
const requestLine = (
  root: Session | undefined,
  request: RequestFields,
  extra: { readonly response?: PermissionReply; readonly directory?: string } = {}
) =>
  [
    request.id,
    ...(extra.response === undefined ? [] : [extra.response.padEnd(6)]),
    request.permission,
    request.patterns.join(", "),
    root === undefined
      ? `(session ${request.sessionID}${extra.directory === undefined ? "" : `, ${extra.directory}`})`
      : request.sessionID === root.id
        ? ""
        : `(sub-agent session ${request.sessionID})`
  ]
    .join("  ")
    .trimEnd()

/** `per_…  once    bash  echo hi  (sub-agent session ses_…)` */
export const answeredLine = (root: Session, answered: Answered) => requestLine(root, answered, { response: answered.response })

/**
 * respond's text: each answer on its own line as soon as it is witnessed (`--auto-approve` may answer for minutes);
 * with `--json` nothing until the whole list (`respondView`).
 */
export const answeredAsWitnessed =
  (options: Presentation) =>
  (answered: Answered, root: Session): Effect.Effect<void> =>
    options.json ? Effect.void : writeLine(answeredLine(root, answered))

/** respond: `{answered: […]}`; its text was written answer by answer (`answeredAsWitnessed`). */
export const respondView: View<RespondResult> = {
  json: ({ answered }) => ({ answered }),
  text: () => undefined
}

const permissionJson = ({ request, directory }: PendingPermission) => ({
  id: request.id,
  sessionID: request.sessionID,
  directory,
  permission: request.permission,
  patterns: request.patterns,
  always: request.always ?? [],
  tool: request.tool ?? null
})

/** permissions: one line per pending request; none pending is an empty output and a note. */
export const permissionListView: View<PermissionList> = {
  json: ({ pending }) => pending.map(permissionJson),
  text: ({ root, pending }) =>
    pending.length === 0 ? undefined : pending.map(({ request, directory }) => requestLine(root, request, { directory })).join("\n"),
  note: ({ pending, where }) => (pending.length === 0 ? `ocm: no pending permission requests for ${where}` : undefined)
}
