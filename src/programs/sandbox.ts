/** `ocm sandbox up|down|status|env|run`: a sandbox that outlives the command, found through its state file. */
import * as Command from "@effect/platform/Command"
import * as Clock from "effect/Clock"
import * as Console from "effect/Console"
import * as FileSystem from "@effect/platform/FileSystem"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Schedule from "effect/Schedule"
import * as SandboxLive from "../../layers/SandboxLive.js"
import { ProcessHost } from "../../services/ProcessHost.js"
import { Sandbox } from "../../services/Sandbox.js"
import { ExitWith, InvalidInput, SandboxError } from "../Errors.js"
import { parseModel } from "../Identity.js"
import { emit, note, table } from "../Output.js"
import {
  isOpencodeProcess,
  processAlive,
  readSandboxState,
  removeSandboxState,
  type SandboxState,
  stateDirectory,
  writeSandboxState
} from "../SandboxState.js"

export interface UpOptions {
  readonly port: Option.Option<number>
  /** A real provider's model instead of the scripted one (`provider/model`). */
  readonly model: Option.Option<string>
  readonly keep: boolean
  readonly opencodeBin: Option.Option<string>
  readonly json: boolean
}

const describe = (state: SandboxState, statePath: string) =>
  [
    `sandbox running at ${state.url} (opencode ${state.opencodeVersion})`,
    table([
      ["project", state.projectDir],
      ["home", state.home],
      ["model", state.modelUrl],
      ["pids", `supervisor ${state.supervisorPid}, server ${state.serverPid}`],
      ["server log", state.logFile],
      ["state", statePath]
    ]),
    `point ocm at it: eval "$(ocm sandbox env)"`
  ].join("\n")

/** Stops whatever a sandbox state file names and removes its dirs and the state file. */
const stopSandbox = (state: SandboxState) =>
  Effect.gen(function* () {
    const host = yield* ProcessHost
    const fs = yield* FileSystem.FileSystem
    const waitUntil = (gone: Effect.Effect<boolean, never, FileSystem.FileSystem>, within: Duration.DurationInput) =>
      gone.pipe(
        Effect.repeat({ schedule: Schedule.spaced("100 millis"), until: (done) => done }),
        Effect.timeout(within),
        Effect.option,
        Effect.map(Option.isSome)
      )
    const serverGone = Effect.map(isOpencodeProcess(state.serverPid), (alive) => !alive)
    const supervisorGone = Effect.map(processAlive(state.supervisorPid), (alive) => !alive)
    // a live supervisor stops its server itself and cleans up
    if (yield* processAlive(state.supervisorPid)) {
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
      yield* note(`sandbox: supervisor ${state.supervisorPid} did not stop in time; killing it`)
      yield* host.signal(state.supervisorPid, "SIGKILL")
    }
    yield* fs.remove(state.root, { recursive: true, force: true }).pipe(Effect.ignore)
    yield* removeSandboxState
  })

/** Refuses a second sandbox; cleans up after one that crashed. */
const clearWayForNewSandbox = Effect.gen(function* () {
  const existing = yield* readSandboxState.pipe(Effect.orElseSucceed(() => Option.none()))
  if (Option.isNone(existing)) return
  if (existing.value.alive) {
    return yield* new SandboxError({
      reason: `a sandbox is already running at ${existing.value.state.url} (supervisor ${existing.value.state.supervisorPid}); stop it with: ocm sandbox down`
    })
  }
  yield* note(`sandbox: cleaning up after a sandbox that did not stop cleanly (${existing.value.state.root})`)
  yield* stopSandbox(existing.value.state)
})

const sandboxLayer = (options: {
  port: Option.Option<number>
  keep: boolean
  opencodeBin: Option.Option<string>
  model: Option.Option<string>
}) =>
  SandboxLive.layer({
    port: Option.getOrUndefined(options.port),
    keep: options.keep,
    opencodeBin: Option.getOrUndefined(options.opencodeBin),
    realModel: Option.getOrUndefined(options.model)
  })

/** Flags are checked before anything starts. */
const checkUpOptions = (options: { readonly model: Option.Option<string>; readonly port: Option.Option<number> }) =>
  Effect.gen(function* () {
    if (Option.isSome(options.model)) yield* parseModel(options.model.value)
    if (Option.isSome(options.port) && (options.port.value < 1 || options.port.value > 65535)) {
      return yield* new InvalidInput({ message: `--port must be 1-65535, got ${options.port.value}` })
    }
  })

const stateOf = (info: Sandbox["Type"]["info"], supervisorPid: number, startedAt: Date): SandboxState => ({
  version: 1,
  url: info.url,
  port: info.port,
  supervisorPid,
  serverPid: info.serverPid,
  modelUrl: info.modelUrl,
  root: info.root,
  projectDir: info.projectDir,
  home: info.home,
  logFile: info.logFile,
  opencodeVersion: info.opencodeVersion,
  startedAt: startedAt.toISOString()
})

/** Runs the sandbox in this process until interrupted (SIGINT/SIGTERM), published through the state file. */
export const sandboxForeground = (options: UpOptions) =>
  Effect.zipRight(Effect.zipRight(checkUpOptions(options), clearWayForNewSandbox), runForeground(options))

const runForeground = (options: UpOptions) =>
  Effect.gen(function* () {
    const host = yield* ProcessHost
    const { info } = yield* Sandbox
    const state = stateOf(info, host.pid, new Date(yield* Clock.currentTimeMillis))
    const path = yield* writeSandboxState(state).pipe(Effect.mapError(failedTo("write the sandbox state file")))
    yield* Effect.addFinalizer(() => removeSandboxState.pipe(Effect.ignore))
    yield* emit(options.json, { ...state, statePath: path }, () => describe(state, path))
    return yield* Effect.never
  }).pipe(Effect.scoped, Effect.provide(sandboxLayer(options)))

const failedTo = (what: string) => (cause: unknown) =>
  new SandboxError({ reason: `cannot ${what}: ${cause instanceof Error ? cause.message : String(cause)}` })

/** Starts a sandbox supervisor in the background and returns once it is ready. */
export const sandboxUp = (options: UpOptions) =>
  Effect.gen(function* () {
    yield* checkUpOptions(options)
    yield* clearWayForNewSandbox
    const host = yield* ProcessHost
    const fs = yield* FileSystem.FileSystem
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
      ...Option.match(options.opencodeBin, { onNone: () => [], onSome: (bin) => ["--opencode-bin", bin] })
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
    const started = yield* waitReady.pipe(
      Effect.timeoutFail({
        duration: "90 seconds",
        onTimeout: () => new SandboxError({ reason: "the sandbox did not become ready within 90s" })
      }),
      Effect.tapError(() => host.signal(pid, "SIGTERM"))
    )
    yield* emit(options.json, { ...started.state, statePath: started.path }, () => describe(started.state, started.path))
  })

const noSandbox = new SandboxError({ reason: "no sandbox is running (start one with: ocm sandbox up)" })

export const sandboxDown = (options: { readonly json: boolean }) =>
  Effect.gen(function* () {
    const current = yield* readSandboxState.pipe(Effect.orElseSucceed(() => Option.none()))
    if (Option.isNone(current)) {
      yield* note("sandbox: none is running")
      return yield* emit(options.json, { stopped: false }, () => "no sandbox was running")
    }
    yield* stopSandbox(current.value.state)
    yield* emit(options.json, { stopped: true, url: current.value.state.url, root: current.value.state.root }, () =>
      `sandbox at ${current.value.state.url} stopped and removed`
    )
  })

export const sandboxStatus = (options: { readonly json: boolean }) =>
  Effect.gen(function* () {
    const current = yield* readSandboxState.pipe(Effect.orElseSucceed(() => Option.none()))
    if (Option.isNone(current)) {
      return yield* emit(options.json, { running: false }, () => "no sandbox is running")
    }
    const { state, alive, path } = current.value
    yield* emit(options.json, { running: alive, ...state, statePath: path }, () =>
      alive ? describe(state, path) : `a sandbox state file exists (${path}) but its processes are gone; the next "ocm sandbox up" cleans it up`
    )
  })

export const sandboxEnv = Effect.gen(function* () {
  const current = yield* readSandboxState.pipe(Effect.orElseSucceed(() => Option.none()))
  if (Option.isNone(current) || !current.value.alive) return yield* noSandbox
  const state = current.value.state
  const env = {
    OPENCODE_BASE_URL: state.url,
    OCM_SANDBOX_MODEL_URL: state.modelUrl,
    OCM_SANDBOX_PROJECT_DIR: state.projectDir
  }
  yield* Console.log(
    Object.entries(env)
      .map(([key, value]) => `export ${key}=${shellQuote(value)}`)
      .join("\n")
  )
})

const shellQuote = (value: string) => (/^[\w@%+=:,./-]+$/.test(value) ? value : `'${value.replaceAll("'", "'\\''")}'`)

/** Up, run CMD with the sandbox's environment, down; exits with CMD's code. */
export const sandboxRun = (options: Omit<UpOptions, "json"> & { readonly command: ReadonlyArray<string> }) =>
  Effect.gen(function* () {
    const [name, ...args] = options.command
    if (name === undefined) {
      return yield* new InvalidInput({ message: "sandbox run needs a command: ocm sandbox run -- CMD [ARGS…]" })
    }
    yield* checkUpOptions(options)
    const code = yield* runWithSandboxEnvironment(name, args).pipe(Effect.provide(sandboxLayer(options)))
    if (code !== 0) return yield* new ExitWith({ code })
  })

const unstartable = { NotFound: [127, "command not found"], PermissionDenied: [126, "permission denied"] } as const

const runWithSandboxEnvironment = (name: string, args: ReadonlyArray<string>) =>
  Effect.gen(function* () {
    const { info } = yield* Sandbox
    yield* note(`sandbox: opencode ${info.opencodeVersion} at ${info.url}`)
    return yield* Command.make(name, ...args).pipe(
      Command.env(SandboxLive.sandboxEnvironment(info)),
      Command.stdin("inherit"),
      Command.stdout("inherit"),
      Command.stderr("inherit"),
      Command.exitCode,
      // a command that cannot start exits the way a shell says so: 127 not found, 126 not executable
      Effect.catchTag("SystemError", (error) => {
        const shell = error.reason === "NotFound" || error.reason === "PermissionDenied" ? unstartable[error.reason] : undefined
        return shell === undefined ? Effect.fail(error) : Effect.as(note(`ocm: ${name}: ${shell[1]}`), shell[0])
      }),
      Effect.mapError(failedTo(`run ${name}`))
    )
  })
