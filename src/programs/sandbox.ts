/** `ocm sandbox up|down|status|env|run|script|requests`: a sandbox that outlives the command, found through its state file. */
import * as Command from "@effect/platform/Command"
import * as Clock from "effect/Clock"
import * as FileSystem from "@effect/platform/FileSystem"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Path from "@effect/platform/Path"
import * as Redacted from "effect/Redacted"
import * as Ref from "effect/Ref"
import * as Schedule from "effect/Schedule"
import { ProcessHost } from "../../services/ProcessHost.js"
import { note, waiting } from "../../services/Progress.js"
import { Sandbox, sandboxEnvironment, SandboxStarter } from "../../services/Sandbox.js"
import { type ModelRequest, ScriptedModelRemote, type ScriptStatus } from "../../services/ScriptedModel.js"
import { childCommand } from "../cli/ChildCommand.js"
import { ExitWith, InvalidInput, SandboxError } from "../domain/Errors.js"
import { parseModel } from "../domain/Identity.js"
import { readPasswordFile } from "../engine/ServerTarget.js"
import { readModelScript } from "../local/ModelScriptFile.js"
import { checkSandboxWorld } from "../local/SandboxWorld.js"
import {
  isOpencodeProcess,
  processAlive,
  readSandboxState,
  removeSandboxState,
  sandboxGone,
  type SandboxState,
  stateDirectory,
  statePath,
  unreadableState,
  writeSandboxState
} from "../local/SandboxState.js"

export interface UpOptions {
  readonly port: Option.Option<number>
  /** A real provider's model instead of the scripted one (`provider/model`). */
  readonly model: Option.Option<string>
  readonly keep: boolean
  readonly opencodeBin: Option.Option<string>
  /** A file holding the password the server requires of every client. */
  readonly passwordFile: Option.Option<string>
  /** The user's project: the sandbox works on a copy of it, or (`inPlace`) in it. */
  readonly project: Option.Option<string>
  readonly inPlace: boolean
  /** An OpenCode config (JSON or JSONC) merged over the sandbox's own. */
  readonly config: Option.Option<string>
  /** Local plugin files or directories. */
  readonly plugins: ReadonlyArray<string>
}

/** The user's world of a sandbox: `--project`, `--in-place`, `--config`, `--plugin` (shared by up, run and demo). */
export type WorldOptions = Pick<UpOptions, "project" | "inPlace" | "config" | "plugins">

/** Checks the world's paths and config before anything starts (exit 2 naming the path); relative to the cwd. */
export const checkWorldOptions = (options: WorldOptions) =>
  Effect.flatMap(ProcessHost, (host) => checkSandboxWorld(worldOf(options), host.cwd))

const worldOf = (options: WorldOptions) => ({
  project: Option.getOrUndefined(options.project),
  inPlace: options.inPlace,
  config: Option.getOrUndefined(options.config),
  plugins: options.plugins
})

/** A running sandbox as its state file describes it. */
export interface SandboxRunning {
  readonly state: SandboxState
  readonly statePath: string
}

/** Polls until `gone` holds, at most `within`; interruptible even inside a finalizer, so the bound holds there too. */
const waitUntil = (gone: Effect.Effect<boolean, never, FileSystem.FileSystem>, within: Duration.DurationInput) =>
  gone.pipe(
    Effect.repeat({ schedule: Schedule.spaced("100 millis"), until: (done) => done }),
    Effect.interruptible,
    Effect.timeout(within),
    Effect.option,
    Effect.map(Option.isSome)
  )

/** Stops whatever a sandbox state file names and removes its dirs and the state file. */
const stopSandbox = (state: SandboxState) =>
  Effect.gen(function* () {
    const host = yield* ProcessHost
    const fs = yield* FileSystem.FileSystem
    const serverGone = Effect.map(isOpencodeProcess(state.serverPid), (alive) => !alive)
    const supervisorGone = Effect.map(processAlive(state.supervisorPid), (alive) => !alive)
    // a live supervisor stops its server itself and cleans up (one that recorded its end is gone: its pid may be reused)
    if (state.ended === undefined && (yield* processAlive(state.supervisorPid))) {
      yield* host.signal(state.supervisorPid, "SIGTERM")
      yield* waitUntil(Effect.zipWith(supervisorGone, serverGone, (a, b) => a && b), "15 seconds")
    }
    // an orphaned server (its supervisor crashed or hung): its process group, gently, then not
    if (yield* isOpencodeProcess(state.serverPid)) {
      yield* host.signal(state.serverPid, "SIGTERM", { group: true })
      if (!(yield* waitUntil(serverGone, "2 seconds"))) {
        yield* host.signal(state.serverPid, "SIGKILL", { group: true })
        yield* waitUntil(serverGone, "2 seconds")
      }
    }
    if (yield* processAlive(state.supervisorPid)) {
      yield* note("warning", `sandbox: supervisor ${state.supervisorPid} did not stop in time; killing it`)
      yield* host.signal(state.supervisorPid, "SIGKILL")
    }
    yield* fs.remove(state.root, { recursive: true, force: true }).pipe(Effect.ignore)
    yield* removeSandboxState
  }).pipe(waiting("waiting for the sandbox to stop"))

/** Refuses a second sandbox; cleans up after one that crashed. */
const clearWayForNewSandbox = Effect.gen(function* () {
  const existing = yield* readSandboxState.pipe(Effect.orElseSucceed(() => Option.none()))
  if (Option.isNone(existing)) return
  if (existing.value.alive) {
    return yield* new SandboxError({
      reason: `a sandbox is already running at ${existing.value.state.url} (supervisor ${existing.value.state.supervisorPid}); stop it with: ocm sandbox down`
    })
  }
  yield* note("warning", `sandbox: cleaning up after a sandbox that did not stop cleanly (${existing.value.state.root})`)
  yield* stopSandbox(existing.value.state)
})

type LayerOptions = Pick<UpOptions, "port" | "keep" | "opencodeBin" | "model" | "passwordFile"> & WorldOptions

const sandboxLayer = (options: LayerOptions) =>
  Layer.unwrapEffect(
    Effect.map(sandboxPassword(options), (password) =>
      Layer.scoped(
        Sandbox,
        Effect.flatMap(SandboxStarter, (starter) =>
          starter.start({
            port: Option.getOrUndefined(options.port),
            keep: options.keep,
            opencodeBin: Option.getOrUndefined(options.opencodeBin),
            realModel: Option.getOrUndefined(options.model),
            password: Option.getOrUndefined(password),
            ...worldOf(options)
          })
        )
      )
    )
  )

/** The password of `--password-file`: an empty one would leave the server open, so it is bad input. */
const sandboxPassword = (options: Pick<UpOptions, "passwordFile">) =>
  Effect.gen(function* () {
    if (Option.isNone(options.passwordFile)) return Option.none<Redacted.Redacted<string>>()
    const password = yield* readPasswordFile(options.passwordFile.value)
    if (Redacted.value(password) === "") {
      return yield* new InvalidInput({ message: `--password-file: ${options.passwordFile.value} is empty` })
    }
    return Option.some(password)
  })

/** Flags are checked before anything starts (the port by its option). */
const checkUpOptions = (options: Pick<UpOptions, "model" | "passwordFile"> & WorldOptions) =>
  Effect.gen(function* () {
    if (Option.isSome(options.model)) yield* parseModel(options.model.value)
    yield* sandboxPassword(options)
    return yield* checkWorldOptions(options)
  })

const stateOf = (
  info: Sandbox["Type"]["info"],
  supervisorPid: number,
  startedAt: Date,
  passwordFile: Option.Option<string>
): SandboxState => ({
  version: 1,
  url: info.url,
  port: info.port,
  supervisorPid,
  serverPid: info.serverPid,
  modelUrl: info.modelUrl,
  root: info.root,
  projectDir: info.projectDir,
  ...(info.projectSource === undefined ? {} : { projectSource: info.projectSource, inPlace: info.inPlace }),
  ...(info.warnings.length === 0 ? {} : { warnings: info.warnings }),
  home: info.home,
  logFile: info.logFile,
  opencodeVersion: info.opencodeVersion,
  startedAt: startedAt.toISOString(),
  ...Option.match(passwordFile, { onNone: () => ({}), onSome: (file) => ({ passwordFile: file }) })
})

/**
 * Runs the sandbox in this process until interrupted (SIGINT/SIGTERM), published through the state file; `ready`
 * is told once it is. It ends only by interruption, or with a SandboxError when its server dies.
 */
export const sandboxForeground = <E, R>(options: UpOptions, ready: (running: SandboxRunning) => Effect.Effect<void, E, R>) =>
  Effect.zipRight(Effect.zipRight(checkUpOptions(options), clearWayForNewSandbox), runForeground(options, ready))

const runForeground = <E, R>(options: UpOptions, ready: (running: SandboxRunning) => Effect.Effect<void, E, R>) =>
  Effect.gen(function* () {
    const host = yield* ProcessHost
    const sandbox = yield* Sandbox
    const { info } = sandbox
    const paths = yield* Path.Path
    const passwordFile = Option.map(options.passwordFile, (file) => paths.resolve(host.cwd, file))
    const state = stateOf(info, host.pid, new Date(yield* Clock.currentTimeMillis), passwordFile)
    const path = yield* writeSandboxState(state).pipe(Effect.mapError(failedTo("write the sandbox state file")))
    const gone = yield* Ref.make(false)
    yield* Effect.addFinalizer(() => Effect.unlessEffect(removeSandboxState.pipe(Effect.ignore), Ref.get(gone)))
    yield* ready({ state, statePath: path })
    // the supervisor lives as long as its server. When the server dies on its own, the sandbox is gone: the model and
    // the dirs are released as on any stop, but the state file stays, saying so, until `ocm sandbox down`
    const how = yield* sandbox.serverExited
    const reason = `its server (pid ${info.serverPid}) ${how}`
    yield* Ref.set(gone, true)
    const ended = { at: new Date(yield* Clock.currentTimeMillis).toISOString(), reason }
    yield* writeSandboxState({ ...state, ended }).pipe(Effect.ignore)
    return yield* new SandboxError({ reason: `${reason}; the sandbox is stopped ("ocm sandbox down" clears its state)` })
  }).pipe(Effect.scoped, Effect.provide(sandboxLayer(options)))

const failedTo = (what: string) => (cause: unknown) =>
  new SandboxError({ reason: `cannot ${what}: ${cause instanceof Error ? cause.message : String(cause)}` })

/** Starts a sandbox supervisor in the background and returns once it is ready. */
export const sandboxUp = (options: UpOptions) =>
  Effect.gen(function* () {
    const world = yield* checkUpOptions(options)
    yield* clearWayForNewSandbox
    const host = yield* ProcessHost
    const fs = yield* FileSystem.FileSystem
    const path = yield* Path.Path
    const dir = yield* stateDirectory
    yield* fs.makeDirectory(dir, { recursive: true }).pipe(Effect.mapError(failedTo(`create ${dir}`)))
    const logFile = `${dir}/supervisor.log`
    yield* fs.writeFileString(logFile, "").pipe(Effect.mapError(failedTo(`write ${logFile}`)))
    const args = [
      "sandbox",
      "up",
      "--foreground",
      ...Option.match(options.port, { onNone: () => [], onSome: (port) => ["--port", String(port)] }),
      ...(options.keep ? ["--keep"] : []),
      ...Option.match(options.model, { onNone: () => [], onSome: (model) => ["--model", model] }),
      ...Option.match(options.opencodeBin, { onNone: () => [], onSome: (bin) => ["--opencode-bin", bin] }),
      // the path, never the password, goes on the supervisor's command line
      ...Option.match(options.passwordFile, { onNone: () => [], onSome: (file) => ["--password-file", path.resolve(host.cwd, file)] }),
      // the world by absolute paths: the supervisor runs elsewhere
      ...(world.project === undefined ? [] : ["--project", world.project.dir]),
      ...(world.project?.inPlace === true ? ["--in-place"] : []),
      ...(world.config?._tag === "File" ? ["--config", world.config.path] : []),
      ...world.plugins.flatMap((plugin) => ["--plugin", plugin])
    ]
    const pid = yield* host.spawnSelfDetached(args, logFile).pipe(Effect.mapError(failedTo("start the sandbox supervisor")))
    const logTail = fs.readFileString(logFile).pipe(
      Effect.map((text) => text.trim().split("\n").slice(-5).join(" | ")),
      Effect.orElseSucceed(() => "")
    )
    const waitReady = Effect.gen(function* () {
      while (true) {
        const current = yield* readSandboxState.pipe(Effect.orElseSucceed(() => Option.none()))
        if (Option.isSome(current) && current.value.state.supervisorPid === pid) return current.value
        if (!(yield* processAlive(pid))) {
          return yield* new SandboxError({
            reason: `the sandbox supervisor exited during start-up: ${(yield* logTail) || "no output"}`
          })
        }
        yield* Effect.sleep("100 millis")
      }
    })
    // until it is ready the supervisor is ours: a failure, the time running out or Ctrl-C stops it and all it started
    const started = yield* waitReady.pipe(
      Effect.timeoutFail({
        duration: "90 seconds",
        onTimeout: () => new SandboxError({ reason: "the sandbox did not become ready within 90s" })
      }),
      waiting("waiting for the sandbox to start"),
      Effect.onExit((exit) => (Exit.isSuccess(exit) ? Effect.void : abandonStart(pid)))
    )
    // the supervisor's notes went to its log: what it overrode is said here
    yield* Effect.forEach(started.state.warnings ?? [], (warning) => note("warning", warning), { discard: true })
    const running: SandboxRunning = { state: started.state, statePath: started.path }
    return running
  })

/** Stops a supervisor that is still starting (it stops its own server), then clears whatever state it wrote. */
const abandonStart = (pid: number) =>
  Effect.gen(function* () {
    const host = yield* ProcessHost
    yield* host.signal(pid, "SIGTERM")
    if (!(yield* waitUntil(Effect.map(processAlive(pid), (alive) => !alive), "20 seconds"))) {
      yield* note("warning", `sandbox: supervisor ${pid} did not stop in time; killing it`)
      yield* host.signal(pid, "SIGKILL")
    }
    const left = yield* readSandboxState.pipe(Effect.orElseSucceed(() => Option.none()))
    if (Option.isSome(left) && left.value.state.supervisorPid === pid) yield* stopSandbox(left.value.state)
  }).pipe(Effect.ignore)

const noSandbox = new SandboxError({ reason: "no sandbox is running (start one with: ocm sandbox up)" })

/** The state file as read, or the unreadable-state error naming it. */
const currentState = Effect.flatMap(statePath, (path) => readSandboxState.pipe(Effect.mapError(() => unreadableState(path))))

/** The running sandbox's state, or why there is none to use. */
const runningSandbox = Effect.gen(function* () {
  const current = yield* currentState
  if (Option.isNone(current)) return yield* noSandbox
  if (!current.value.alive) return yield* sandboxGone(current.value.state, current.value.path)
  return current.value.state
})

/** What `sandbox down` did: cleared an unreadable state file, found nothing, or stopped (or cleared) a sandbox. */
export type SandboxDown =
  | { readonly _tag: "ClearedUnreadable"; readonly path: string }
  | { readonly _tag: "NoneRunning" }
  | { readonly _tag: "Stopped"; readonly state: SandboxState; readonly wasAlive: boolean }

export const sandboxDown = Effect.gen(function* () {
  const read = yield* Effect.either(currentState)
  if (Either.isLeft(read)) {
    // nothing can be known about what it named; it only blocks every other command
    const path = yield* statePath
    yield* removeSandboxState
    const cleared: SandboxDown = { _tag: "ClearedUnreadable", path }
    return cleared
  }
  const current = read.right
  if (Option.isNone(current)) {
    yield* note("warning", "sandbox: none is running")
    const none: SandboxDown = { _tag: "NoneRunning" }
    return none
  }
  const { state, alive } = current.value
  yield* stopSandbox(state)
  const stopped: SandboxDown = { _tag: "Stopped", state, wasAlive: alive }
  return stopped
})

/** What `sandbox status` found: no state file, or one naming a sandbox that is running or gone. */
export type SandboxStatus =
  | { readonly _tag: "None" }
  | { readonly _tag: "Found"; readonly state: SandboxState; readonly statePath: string; readonly alive: boolean }

export const sandboxStatus = Effect.gen(function* () {
  const current = yield* currentState
  const status: SandboxStatus = Option.match(current, {
    onNone: () => ({ _tag: "None" }),
    onSome: ({ state, alive, path }) => ({ _tag: "Found", state, statePath: path, alive })
  })
  return status
})

/** The environment that points ocm (and OpenCode clients) at the running sandbox. */
export interface SandboxEnvironment {
  readonly OPENCODE_BASE_URL: string
  readonly OCM_SANDBOX_MODEL_URL: string
  readonly OCM_SANDBOX_PROJECT_DIR: string
}

export const sandboxEnv = Effect.gen(function* () {
  const state = yield* runningSandbox
  const env: SandboxEnvironment = {
    OPENCODE_BASE_URL: state.url,
    OCM_SANDBOX_MODEL_URL: state.modelUrl,
    OCM_SANDBOX_PROJECT_DIR: state.projectDir
  }
  return env
})

export interface ScriptOptions {
  readonly file: string
  /** After the rules in force instead of replacing them. */
  readonly append: boolean
}

/** What `sandbox script` put in force. */
export interface SandboxScriptSet {
  readonly file: string
  readonly append: boolean
  readonly status: ScriptStatus
}

/** Puts the script of a file in force on the running sandbox's model; the file is read and checked first. */
export const sandboxScript = (options: ScriptOptions) =>
  Effect.gen(function* () {
    const script = yield* readModelScript(options.file)
    const state = yield* runningSandbox
    const model = yield* ScriptedModelRemote
    const status = yield* model.setScript(state.modelUrl, script, { append: options.append })
    const set: SandboxScriptSet = { file: options.file, append: options.append, status }
    return set
  })

export interface RequestsOptions {
  /** Only the requests with at least this index. */
  readonly since: Option.Option<number>
}

/** What the running sandbox's model received (and which rule answered each). */
export interface SandboxRequests {
  readonly requests: ReadonlyArray<ModelRequest>
}

export const sandboxRequests = (options: RequestsOptions) =>
  Effect.gen(function* () {
    const state = yield* runningSandbox
    const model = yield* ScriptedModelRemote
    const all = yield* model.requests(state.modelUrl)
    const since = Option.getOrElse(options.since, () => 0)
    const result: SandboxRequests = { requests: all.filter((request) => request.index >= since) }
    return result
  })

/** Up, run CMD with the sandbox's environment, down; exits with CMD's code. `command`: the words as parsed. */
export const sandboxRun = (options: UpOptions & { readonly command: ReadonlyArray<string> }) =>
  Effect.gen(function* () {
    const command = childCommand(options.command)
    if (command instanceof InvalidInput) return yield* command
    const [name, ...args] = command as [string, ...Array<string>]
    yield* checkUpOptions(options)
    const password = yield* sandboxPassword(options)
    // only the start is a wait to show: the command then has the terminal to itself
    const code = yield* Effect.scoped(
      Effect.flatMap(Layer.build(sandboxLayer(options)).pipe(waiting("waiting for the sandbox to start")), (sandbox) =>
        runWithSandboxEnvironment(name, args, password).pipe(Effect.provide(sandbox))
      )
    )
    if (code !== 0) return yield* new ExitWith({ code })
  })

const unstartable = { NotFound: [127, "command not found"], PermissionDenied: [126, "permission denied"] } as const

const runWithSandboxEnvironment = (name: string, args: ReadonlyArray<string>, password: Option.Option<Redacted.Redacted<string>>) =>
  Effect.gen(function* () {
    const { info } = yield* Sandbox
    yield* note("progress", `sandbox: opencode ${info.opencodeVersion} at ${info.url}`)
    return yield* Command.make(name, ...args).pipe(
      // the command is the sandbox's client: it gets the password in its environment, never on a command line
      Command.env({
        ...sandboxEnvironment(info),
        ...Option.match(password, { onNone: () => ({}), onSome: (secret) => ({ OPENCODE_SERVER_PASSWORD: Redacted.value(secret) }) })
      }),
      Command.stdin("inherit"),
      Command.stdout("inherit"),
      Command.stderr("inherit"),
      Command.exitCode,
      // a command that cannot start exits the way a shell says so: 127 not found, 126 not executable
      Effect.catchTag("SystemError", (error) => {
        const shell = error.reason === "NotFound" || error.reason === "PermissionDenied" ? unstartable[error.reason] : undefined
        return shell === undefined ? Effect.fail(error) : Effect.as(note("warning", `ocm: ${name}: ${shell[1]}`), shell[0])
      }),
      Effect.mapError(failedTo(`run ${name}`))
    )
  })
