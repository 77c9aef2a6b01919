/** worktree|wt create/list/remove/run: git worktrees made by the server, with sessions in them. */
import * as Args from "@effect/cli/Args"
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as Effect from "effect/Effect"
import { worktreeCreate, worktreeList, worktreeRemove, worktreeRun } from "../programs/worktree.js"
import { present } from "../present/Presenter.js"
import { createdWorktreeView, removedWorktreeView, worktreeListView, worktreeTurnView } from "../present/worktree.js"
import { abortOnTimeout, changesState, clientLayer, connection, identity, json, referenceArg, timeoutSeconds } from "./common.js"

const name = referenceArg("name").pipe(
  Args.withDescription("worktree name (a plain name; the server slugs it into the directory and the branch opencode/NAME)")
)

const createCommand = Command.make("create", { ...connection, json, name }, (options) =>
  worktreeCreate(options.name).pipe(Effect.flatMap(present(createdWorktreeView, options)), Effect.provide(clientLayer(options)))
).pipe(
  Command.withDescription(
    "create a worktree of the current project on branch opencode/NAME (under the server's data dir); witnessed ready and listed"
  )
)

const listCommand = Command.make("list", { ...connection, json }, (options) =>
  worktreeList.pipe(Effect.flatMap(present(worktreeListView, options)), Effect.provide(clientLayer(options)))
).pipe(Command.withDescription("the server's worktrees of the current project: name, branch, directory"))

const removeCommand = Command.make(
  "remove",
  {
    ...connection,
    json,
    force: Options.boolean("force").pipe(
      Options.withDescription("remove it even when uncommitted files or commits found on no other branch would be lost")
    ),
    target: referenceArg("name|dir").pipe(
      Args.withDescription("a worktree NAME or DIR; only directories the server's worktree listing returned are ever removed")
    )
  },
  (options) =>
    worktreeRemove(options.target, options).pipe(Effect.flatMap(present(removedWorktreeView, options)), Effect.provide(clientLayer(options)))
).pipe(
  Command.withDescription(
    "remove a worktree the server listed, and its branch; refused (exit 2) when uncommitted files or unmerged commits would be lost (unless --force), or when the server did not list it"
  )
)

const runCommand = Command.make(
  "run",
  {
    ...connection,
    ...identity,
    json,
    wait: Options.boolean("wait").pipe(Options.withDescription("run a witnessed turn and print the reply (default: print the session id once the prompt is recorded)")),
    timeout: timeoutSeconds(600),
    abortOnTimeout,
    name,
    message: Args.text({ name: "message" }).pipe(Args.withDescription("the prompt (several words are joined by spaces)"), Args.repeated)
  },
  (options) =>
    worktreeRun(options.name, options.message, options).pipe(
      Effect.flatMap(present(worktreeTurnView, options)),
      Effect.provide(clientLayer(options))
    )
).pipe(
  Command.withDescription(
    "ensure the worktree NAME exists (created when missing), start a session in it and send MESSAGE; --wait: witnessed turn, print the reply"
  )
)

const subcommands = [changesState(createCommand), listCommand, changesState(removeCommand), changesState(runCommand)] as const

export const worktreeCommand = Command.make("worktree").pipe(
  Command.withDescription("git worktrees made by the OpenCode server, for parallel sessions on their own branches"),
  Command.withSubcommands(subcommands)
)

export const wtCommand = Command.make("wt").pipe(
  Command.withDescription("alias of worktree"),
  Command.withSubcommands(subcommands)
)
