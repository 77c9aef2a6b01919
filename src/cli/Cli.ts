import * as Args from "@effect/cli/Args"
import * as Command from "@effect/cli/Command"
import type * as CommandExecutor from "@effect/platform/CommandExecutor"
import type * as FileSystem from "@effect/platform/FileSystem"
import type * as HttpClient from "@effect/platform/HttpClient"
import type * as Path from "@effect/platform/Path"
import type * as Terminal from "@effect/platform/Terminal"
import * as Options from "@effect/cli/Options"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as SandboxLive from "../../layers/SandboxLive.js"
import * as ScriptedModelLive from "../../layers/ScriptedModelLive.js"
import * as TranscriptStoreLive from "../../layers/TranscriptStoreLive.js"
import type { ProcessHost } from "../../services/ProcessHost.js"
import { changesState, clientLayer, connection, json, portOption } from "./common.js"
import { permissionsCommand, respondCommand, diffCommand, shareCommand, summaryCommand, unshareCommand } from "./control.js"
import { doctorCommand } from "./doctor.js"
import {
  abortCommand,
  childrenCommand,
  getCommand,
  listCommand,
  lsCommand,
  showCommand,
  statusCommand,
  todoCommand
} from "./inspect.js"
import { modelsCommand } from "./models.js"
import { proveCommand, type StepCommands } from "./prove.js"
import { installSkillCommand, viewSkillCommand } from "./skill.js"
import { worktreeCommand, wtCommand } from "./worktree.js"
import { runCommand } from "./run.js"
import { promptCommand, sendCommand, streamCommand, watchCommand } from "./send.js"
import { isIdleCommand, waitAllCommand, waitAnyCommand, waitForIdleCommand, waitForTextCommand } from "./waits.js"
import { createCommand, lastCommand, messagesCommand, msgsCommand, newCommand } from "./session.js"
import { transcriptCommand } from "./transcript.js"
import {
  beginSessionCommand,
  chatCommand,
  deleteCommand,
  finalCommand,
  oneShotCommand,
  rmCommand,
  waitCommand
} from "./turns.js"
import { demo, type DemoOptions } from "../programs/demo.js"
import { presentSteps } from "../present/Presenter.js"
import { demoView } from "../present/demo.js"
import { ping } from "../programs/ping.js"
import { pingView } from "../present/ping.js"
import { present } from "../present/Presenter.js"
import {
  sandboxDownView,
  sandboxEnvironmentView,
  sandboxRequestsView,
  sandboxRunningView,
  sandboxScriptView,
  sandboxStatusView
} from "../present/sandbox.js"
import {
  checkWorldOptions,
  sandboxDown,
  sandboxEnv,
  sandboxForeground,
  sandboxRequests,
  sandboxRun,
  sandboxScript,
  sandboxStatus,
  sandboxUp
} from "../programs/sandbox.js"

const pingCommand = Command.make("ping", { ...connection, json }, (options) =>
  ping.pipe(Effect.flatMap(present(pingView, options)), Effect.provide(clientLayer(options)))
).pipe(Command.withDescription("check that the OpenCode server answers; print its version and how ocm found it"))

/** The user's world a sandbox takes (up, run, demo). */
const worldOptions = {
  project: Options.text("project").pipe(
    Options.withDescription("work on a copy of this directory (a fresh git repository with its files); the directory never changes"),
    Options.optional
  ),
  inPlace: Options.boolean("in-place").pipe(
    Options.withDescription("with --project: work in the directory itself instead of a copy (the sandbox never removes it)")
  ),
  config: Options.text("config").pipe(
    Options.withDescription(
      "an OpenCode config (JSON or JSONC) merged over the sandbox's: agents, permissions, instructions, plugins, MCP servers, tools; the sandbox keeps its provider and model"
    ),
    Options.optional
  ),
  plugins: Options.text("plugin").pipe(
    Options.withDescription("a local OpenCode plugin (a file, or a directory with package.json or index.ts/js) the server loads; repeatable"),
    Options.repeated
  )
}

const sandboxOptions = {
  port: portOption("port", "port for the server (default: a free one)"),
  keep: Options.boolean("keep").pipe(Options.withDescription("keep the sandbox's temp dirs after it stops")),
  passwordFile: Options.file("password-file", { exists: "yes" }).pipe(
    Options.withDescription("require the password in this file (HTTP Basic, user opencode) on every request to the sandbox"),
    Options.optional
  ),
  opencodeBin: Options.text("opencode-bin").pipe(
    Options.withDescription("the opencode binary to run (default: OCM_OPENCODE_BIN, the pinned opencode-ai package, PATH)"),
    Options.optional
  ),
  model: Options.text("model").pipe(
    Options.withDescription(
      "a real provider/model as the default instead of the scripted model; your OpenCode credentials (auth.json) are copied in"
    ),
    Options.optional
  ),
  ...worldOptions
}

const sandboxUpCommand = Command.make(
  "up",
  {
    ...sandboxOptions,
    json,
    foreground: Options.boolean("foreground").pipe(
      Options.withDescription("run the sandbox in this process until Ctrl-C instead of in the background")
    )
  },
  (options) =>
    options.foreground
      ? sandboxForeground(options, present(sandboxRunningView, options)).pipe(Effect.provide(SandboxLive.starter))
      : sandboxUp(options).pipe(Effect.flatMap(present(sandboxRunningView, options)))
).pipe(
  Command.withDescription(
    "start a hermetic OpenCode server with the scripted model and leave it running; prints its URL, dirs and pids"
  )
)

const sandboxDownCommand = Command.make("down", { json }, (options) =>
  sandboxDown.pipe(Effect.flatMap(present(sandboxDownView, options)))
).pipe(
  Command.withDescription("stop the running sandbox and remove its dirs")
)
const sandboxStatusCommand = Command.make("status", { json }, (options) =>
  sandboxStatus.pipe(Effect.flatMap(present(sandboxStatusView, options)))
).pipe(
  Command.withDescription("show whether a sandbox is running, and where")
)
const sandboxEnvCommand = Command.make("env", {}, () =>
  sandboxEnv.pipe(Effect.flatMap(present(sandboxEnvironmentView, { json: false })))
).pipe(
  Command.withDescription('print export lines that point ocm at the running sandbox: eval "$(ocm sandbox env)"')
)
const sandboxRunCommand = Command.make(
  "run",
  { ...sandboxOptions, command: Args.text({ name: "command" }).pipe(Args.repeated) },
  (options) => sandboxRun(options).pipe(Effect.provide(SandboxLive.starter))
).pipe(
  Command.withDescription(
    "start a sandbox, run a command with OPENCODE_BASE_URL pointing at it, stop the sandbox; exits with the command's code"
  )
)

const sandboxScriptCommand = Command.make(
  "script",
  {
    json,
    append: Options.boolean("append").pipe(Options.withDescription("add the rules after those in force instead of replacing them")),
    file: Args.file({ name: "FILE", exists: "yes" }).pipe(Args.withDescription("the model script: YAML, JSON or JSONC"))
  },
  (options) => sandboxScript(options).pipe(Effect.flatMap(present(sandboxScriptView, options)), Effect.provide(ScriptedModelLive.remote))
).pipe(
  Command.withDescription("put a model script (rules: when → then) in force on the running sandbox's scripted model")
)
const sandboxRequestsCommand = Command.make(
  "requests",
  {
    json,
    since: Options.integer("since").pipe(
      Options.withDescription("only the requests with at least this index"),
      Options.optional
    )
  },
  (options) => sandboxRequests(options).pipe(Effect.flatMap(present(sandboxRequestsView, options)), Effect.provide(ScriptedModelLive.remote))
).pipe(
  Command.withDescription("what the running sandbox's scripted model received: each request, what it carried, which rule answered")
)

/** The demo's throw-away sandbox, a client of it and the transcript store; they live as long as the demo runs. */
const demoLayer = (options: DemoOptions) =>
  Layer.provideMerge(
    TranscriptStoreLive.layer,
    Layer.provideMerge(
      SandboxLive.client(),
      SandboxLive.layer({
        keep: options.keep,
        opencodeBin: Option.getOrUndefined(options.opencodeBin),
        project: Option.getOrUndefined(options.project),
        inPlace: options.inPlace,
        config: Option.getOrUndefined(options.config),
        plugins: options.plugins
      })
    )
  )

const demoCommand = Command.make(
  "demo",
  { json, keep: sandboxOptions.keep, opencodeBin: sandboxOptions.opencodeBin, ...worldOptions },
  (options) =>
    checkWorldOptions(options).pipe(
      Effect.zipRight(presentSteps(demoView, options)(demo()).pipe(Effect.provide(demoLayer(options))))
    )
).pipe(
  Command.withDescription(
    "run the whole proof contract on a throw-away sandbox with the scripted model, printing each witness as it is proved"
  )
)

const sandboxCommand = Command.make("sandbox").pipe(
  Command.withDescription("a hermetic, real OpenCode server with a scripted model: no network, no API key"),
  Command.withSubcommands([
    sandboxUpCommand,
    sandboxDownCommand,
    sandboxStatusCommand,
    sandboxEnvCommand,
    sandboxRunCommand,
    sandboxScriptCommand,
    sandboxRequestsCommand
  ])
)

/** What ocm's commands need from the process they run in (MainLayer gives it). */
type CommandContext = FileSystem.FileSystem | Path.Path | CommandExecutor.CommandExecutor | HttpClient.HttpClient | Terminal.Terminal | ProcessHost

/** The tree `prove`'s steps run in-process: this one, known once it is made (below). */
let stepTree: ReturnType<StepCommands<CommandContext>> | undefined
const stepCommands: StepCommands<CommandContext> = () => stepTree!

/** Commands wrapped in `changesState` act on the server: a discovered server is named before they do. */
export const ocm = Command.make("ocm").pipe(
  Command.withDescription("inspect, automate and orchestrate OpenCode sessions, proving every step from live server state"),
  Command.withSubcommands([
    changesState(oneShotCommand),
    changesState(beginSessionCommand),
    changesState(chatCommand),
    changesState(finalCommand),
    waitCommand,
    transcriptCommand,
    changesState(deleteCommand),
    changesState(rmCommand),
    listCommand,
    lsCommand,
    changesState(createCommand),
    changesState(newCommand),
    getCommand,
    showCommand,
    messagesCommand,
    msgsCommand,
    lastCommand,
    changesState(sendCommand),
    changesState(promptCommand),
    changesState(streamCommand),
    watchCommand,
    changesState(runCommand),
    statusCommand,
    childrenCommand,
    todoCommand,
    changesState(abortCommand),
    changesState(respondCommand),
    permissionsCommand,
    summaryCommand,
    diffCommand,
    changesState(shareCommand),
    changesState(unshareCommand),
    waitForIdleCommand,
    waitAnyCommand,
    waitAllCommand,
    isIdleCommand,
    waitForTextCommand,
    modelsCommand,
    worktreeCommand,
    wtCommand,
    installSkillCommand,
    viewSkillCommand,
    doctorCommand,
    pingCommand,
    demoCommand,
    sandboxCommand,
    proveCommand(stepCommands)
  ])
)
stepTree = ocm

