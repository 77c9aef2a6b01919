/**
 * The sandbox: a scripted model and a real `opencode serve` in fresh, isolated HOME/XDG dirs with a fresh
 * git project, bound to 127.0.0.1. Release stops the server (SIGTERM, bounded wait, SIGKILL of its process
 * group) and the model, then removes the temp dirs unless they are kept.
 */
import * as Command from "@effect/platform/Command"
import * as FileSystem from "@effect/platform/FileSystem"
import * as Path from "@effect/platform/Path"
import * as Config from "effect/Config"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import proofConfig from "../fixtures/sandbox/opencode.json" with { type: "json" }
import { SandboxError } from "../src/domain/Errors.js"
import { Sandbox, type SandboxInfo, sandboxEnvironment, type SandboxShape, SandboxStarter } from "../services/Sandbox.js"
import { ScriptedModel } from "../services/ScriptedModel.js"
import { resolveOpencodeBinary } from "../src/process/OpenCodeBinary.js"
import { OWNER_FILE, serveOpencode } from "../src/process/OpencodeServer.js"
import { OpenCodeClient } from "../services/OpenCodeClient.js"
import * as OpenCodeClientLive from "./OpenCodeClientLive.js"
import * as PlatformLive from "./PlatformLive.js"
import * as ScriptedModelLive from "./ScriptedModelLive.js"

export interface SandboxOptions {
  /** Port for the server; a free one when absent. */
  readonly port?: number | undefined
  /** Require this password (HTTP Basic, user `opencode`) on every route. */
  readonly password?: Redacted.Redacted<string> | undefined
  /** Keep the temp dirs after release (for inspection). */
  readonly keep?: boolean | undefined
  readonly opencodeBin?: string | undefined
  /** How long start-up may take before it is a failure. */
  readonly startTimeout?: Duration.DurationInput | undefined
  /**
   * Run with a real provider's model (`provider/model`) as the default instead of the scripted model, with the
   * user's OpenCode credentials (`auth.json` from their data dir) copied in. Titles stay with the scripted model.
   */
  readonly realModel?: string | undefined
}

const sandboxError = (reason: string) => (cause: unknown) =>
  new SandboxError({ reason: `${reason}: ${cause instanceof Error ? cause.message : String(cause)}` })

const proofConfigFor = (modelUrl: string, realModel: string | undefined) => {
  const config = structuredClone(proofConfig)
  config.provider.scripted.options.baseURL = modelUrl
  if (realModel !== undefined) config.model = realModel
  return JSON.stringify(config, null, 2)
}

/** The user's OpenCode data dir, where `opencode auth login` keeps credentials. */
const userDataDir = Effect.gen(function* () {
  const path = yield* Path.Path
  const xdg = yield* Config.string("XDG_DATA_HOME").pipe(Config.option)
  const home = yield* Config.string("HOME").pipe(Config.withDefault("."))
  return path.join(Option.getOrElse(Option.filter(xdg, (dir) => dir !== ""), () => path.join(home, ".local", "share")), "opencode")
})

/** Copies the user's credentials into the sandbox (owner-only), when they have any. */
const copyCredentials = (sandboxHome: string) =>
  Effect.gen(function* () {
    const fs = yield* FileSystem.FileSystem
    const path = yield* Path.Path
    const source = path.join(yield* userDataDir, "auth.json")
    if (!(yield* fs.exists(source).pipe(Effect.orElseSucceed(() => false)))) return false
    const target = path.join(sandboxHome, ".local", "share", "opencode", "auth.json")
    yield* fs.makeDirectory(path.dirname(target), { recursive: true })
    yield* fs.copyFile(source, target)
    yield* fs.chmod(target, 0o600)
    return true
  }).pipe(Effect.mapError(sandboxError("cannot copy your OpenCode credentials")))

/** Only what the server needs: nothing of the user's OpenCode config, credentials or password leaks in. */
const isolatedEnvironment = (dirs: { home: string; root: string }, password: string | undefined) => ({
  PATH: process.env.PATH ?? "/usr/bin:/bin",
  HOME: dirs.home,
  XDG_CONFIG_HOME: `${dirs.home}/.config`,
  XDG_DATA_HOME: `${dirs.home}/.local/share`,
  XDG_CACHE_HOME: `${dirs.home}/.cache`,
  XDG_STATE_HOME: `${dirs.home}/.local/state`,
  OPENCODE_DISABLE_MODELS_FETCH: "1",
  OPENCODE_DISABLE_AUTOUPDATE: "1",
  OPENCODE_DISABLE_LSP_DOWNLOAD: "1",
  OPENCODE_DISABLE_DEFAULT_PLUGINS: "1",
  OPENCODE_DISABLE_CLAUDE_CODE: "1",
  OPENCODE_DISABLE_SHARE: "1",
  OPENCODE_TEST_MANAGED_CONFIG_DIR: `${dirs.root}/managed-config`,
  ...(password === undefined ? {} : { OPENCODE_SERVER_PASSWORD: password })
})

const git = Effect.fn("Sandbox.git")((cwd: string, home: string, ...args: Array<string>) =>
  Command.make("git", ...args).pipe(
    Command.workingDirectory(cwd),
    Command.env({ HOME: home, GIT_CONFIG_NOSYSTEM: "1", GIT_CONFIG_GLOBAL: "/dev/null" }),
    Command.exitCode,
    Effect.mapError(sandboxError(`git ${args[0]} failed`)),
    Effect.filterOrFail(
      (code) => code === 0,
      (code) => new SandboxError({ reason: `git ${args.join(" ")} exited with ${code}` })
    )
  )
)

export const make = Effect.fn("Sandbox.make")(
  function* (options: SandboxOptions = {}) {
    const fs = yield* FileSystem.FileSystem
    const path = yield* Path.Path
    const model = yield* ScriptedModel
    const binary = yield* resolveOpencodeBinary(options.opencodeBin)

    const root = yield* fs.makeTempDirectory({ prefix: "ocm-sandbox-" }).pipe(
      Effect.mapError(sandboxError("cannot create the sandbox directory"))
    )
    yield* Effect.addFinalizer(() =>
      options.keep ? fs.remove(path.join(root, OWNER_FILE), { force: true }).pipe(Effect.ignore) : fs.remove(root, { recursive: true }).pipe(Effect.ignore)
    )
    const home = path.join(root, "home")
    const projectDir = path.join(root, "project")
    const logFile = path.join(root, "server.log")
    yield* Effect.forEach(
      [projectDir, path.join(home, ".config", "opencode"), path.join(root, "managed-config")],
      (dir) => fs.makeDirectory(dir, { recursive: true })
    ).pipe(Effect.mapError(sandboxError("cannot create the sandbox directories")))
    yield* fs
      .writeFileString(path.join(home, ".config", "opencode", "opencode.json"), proofConfigFor(model.url, options.realModel))
      .pipe(Effect.mapError(sandboxError("cannot write the proof config")))
    yield* fs
      .writeFileString(path.join(projectDir, "README.md"), "# sandbox project\n\nA fresh repository made by ocm sandbox.\n")
      .pipe(Effect.mapError(sandboxError("cannot write the project")))
    yield* Effect.logDebug(`sandbox: dirs ready under ${root}`)
    yield* git(projectDir, home, "init", "-q")
    yield* git(projectDir, home, "add", "README.md")
    yield* git(projectDir, home, "-c", "user.name=ocm", "-c", "user.email=ocm@localhost", "commit", "-q", "-m", "sandbox")

    yield* Effect.logDebug("sandbox: git project ready")
    if (options.realModel !== undefined && !(yield* copyCredentials(home))) {
      yield* Effect.logWarning(`sandbox: no OpenCode credentials found to copy; ${options.realModel} needs its own`)
    }
    const password = options.password === undefined ? undefined : Redacted.value(options.password)
    const environment = isolatedEnvironment({ home, root }, password)

    const started = yield* serveOpencode({
      binary: binary.path,
      cwd: projectDir,
      environment,
      port: options.port,
      password: options.password,
      logFile,
      startTimeout: options.startTimeout ?? "60 seconds",
      ownedDir: root
    })

    const info: SandboxInfo = {
      url: started.url,
      port: started.port,
      serverPid: started.pid,
      opencodeBin: binary.path,
      opencodeVersion: started.version,
      modelUrl: model.url,
      root,
      projectDir,
      home,
      logFile,
      passwordProtected: password !== undefined
    }
    const sandbox: SandboxShape = {
      info,
      modelRequests: model.requests,
      clearModelRequests: model.clear,
      serverExited: started.exited
    }
    yield* Effect.annotateCurrentSpan({ "server.address": info.url, "ocm.sandbox.root": root })
    return sandbox
  }
)

/** A scoped sandbox with its own scripted model. */
export const layer = (options?: SandboxOptions) =>
  Layer.scoped(Sandbox, make(options)).pipe(
    Layer.provide(
      ScriptedModelLive.layer().pipe(
        Layer.mapError((error) => new SandboxError({ reason: `the scripted model cannot start: ${error.message}` }))
      )
    )
  )

export { sandboxEnvironment }

/** Starts sandboxes (`layer`) over the platform services of the starter's own context. */
export const starter = Layer.effect(
  SandboxStarter,
  Effect.map(Effect.context<Layer.Layer.Context<ReturnType<typeof layer>>>(), (context) => ({
    start: (options: SandboxOptions) =>
      Layer.build(layer(options)).pipe(
        Effect.map(Context.get(Sandbox)),
        Effect.mapError((error) => (error instanceof SandboxError ? error : new SandboxError({ reason: error.message }))),
        Effect.provide(context)
      )
  }))
)

/** The client of the sandbox in context (with the sandbox's password when it has one). */
export const client = (options?: { readonly password?: string }) =>
  Layer.effect(
    OpenCodeClient,
    Effect.flatMap(Sandbox, ({ info }) =>
      OpenCodeClientLive.makeOpenCodeClient({
        url: info.url,
        rule: "sandbox",
        username: "opencode",
        password: options?.password === undefined ? undefined : Redacted.make(options.password)
      })
    )
  )

/** A sandbox and a client of it, over the Node platform (`PlatformLive`): a layer that needs nothing else. */
export const withClient = (options?: SandboxOptions) =>
  client().pipe(Layer.provideMerge(layer(options)), Layer.provideMerge(PlatformLive.layer))

