/** Commands of the control surface that act on a session: respond, permissions, diff, summary, share, unshare. */
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import type { PermissionReply } from "../domain/Domain.js"
import { showDiff } from "../programs/diff.js"
import { listPermissions, respond } from "../programs/respond.js"
import { shareSession, unshareSession } from "../programs/share.js"
import { showSummary } from "../programs/summary.js"
import { diffView } from "../present/diff.js"
import { present } from "../present/Presenter.js"
import { answeredAsWitnessed, permissionListView, respondView } from "../present/respond.js"
import { sharedView, unsharedView } from "../present/share.js"
import { summaryView } from "../present/summary.js"
import { clientLayer, connection, json, requiredSessionArg, sessionCommand, sessionConfig, timeoutSeconds } from "./common.js"

const responses: ReadonlyArray<PermissionReply> = ["once", "always", "reject"]

const respondConfig = {
  ...sessionConfig,
  response: Options.choice("response", responses).pipe(
    Options.withDescription(
      "once (default): allow this call; always: allow matching calls from now on; reject: refuse (the turn stops unless --message)"
    ),
    Options.optional
  ),
  permissionId: Options.text("permission-id").pipe(
    Options.withDescription("answer only this pending request (per_…); it must belong to the session or a sub-agent session below it"),
    Options.optional
  ),
  wait: Options.boolean("wait").pipe(
    Options.withDescription("if nothing is pending, wait for the first request (with --auto-approve: wait for the turn to start)")
  ),
  autoApprove: Options.boolean("auto-approve").pipe(
    Options.withDescription("keep approving every request of the session and its sub-agents until the session is idle")
  ),
  message: Options.text("message").pipe(
    Options.withDescription("feedback for the model with --response reject: the turn continues with it"),
    Options.optional
  ),
  timeout: timeoutSeconds(600)
}

export const respondCommand = Command.make("respond", respondConfig, (options) =>
  respond(Option.getOrUndefined(options.session), { ...options, onAnswered: answeredAsWitnessed(options) }).pipe(
    Effect.flatMap(present(respondView, options)),
    Effect.provide(clientLayer(options))
  )
).pipe(
  Command.withDescription(
    "answer pending permission requests of the session and of its sub-agent sessions: one line per answer (id, response, permission, patterns); witnessed: the request is then no longer pending"
  )
)

export const permissionsCommand = sessionCommand(
  "permissions",
  "list pending permission requests of the session and its sub-agent sessions without answering them: id, permission, patterns, whose (--json: id, sessionID, directory, permission, patterns, always, tool)",
  listPermissions,
  permissionListView,
  {
    all: Options.boolean("all").pipe(
      Options.withDescription("every pending request the server holds, in every directory it has sessions in (takes no SESSION)")
    )
  }
)

export const diffCommand = sessionCommand(
  "diff",
  "the session's file changes as a git-style unified diff, turn by turn, grouped per file (--json: file, status, additions, deletions, patch, messageID)",
  showDiff,
  diffView
)

export const summaryCommand = sessionCommand(
  "summary",
  "compact status: title, status (tree-aware, with retries), todo progress, cost and tokens, files changed, the latest reply",
  showSummary,
  summaryView
)

/** Publishing is never done to a session nobody named: SESSION is required. */
export const shareCommand = Command.make("share", { ...connection, json, session: requiredSessionArg }, (options) =>
  shareSession(options.session).pipe(Effect.flatMap(present(sharedView, options)), Effect.provide(clientLayer(options)))
).pipe(Command.withDescription("share the named session and print its public URL"))

export const unshareCommand = sessionCommand(
  "unshare",
  "remove the session's public share; witnessed: it then reads back unshared",
  unshareSession,
  unsharedView
)
