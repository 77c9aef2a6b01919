/**
 * The sandbox: a scripted model and a real `opencode serve` in fresh, isolated HOME/XDG dirs with a fresh
 * git project (or a copy of the user's, or the user's own with `inPlace`), bound to 127.0.0.1. Release stops the
 * server (SIGTERM, bounded wait, SIGKILL of its process group) and the model, then removes the temp dirs unless
 * they are kept; a project used in place is never removed.
 *
 * The user's world goes where OpenCode 1.18.33 reads it (measured: src/local/SandboxWorld.ts): their config is
 * `OPENCODE_CONFIG` (over the sandbox's global config, under their project's files), their plugins are `file://`
 * entries of the sandbox's global config, and what the sandbox must keep (its provider, its model) is written to
 * the managed config dir, which wins over every other source.
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
import { pathToFileURL } from "node:url"
import proofConfig from "../fixtures/sandbox/opencode.json" with { type: "json" }
import { InvalidInput, SandboxError } from "../src/domain/Errors.js"
import { note } from "../services/Progress.js"
import { ProcessHost } from "../services/ProcessHost.js"
import { Sandbox, type SandboxInfo, sandboxEnvironment, type SandboxShape, SandboxStarter } from "../services/Sandbox.js"
import { type ModelScript, ScriptedModel } from "../services/ScriptedModel.js"
import { discoverConfig, type OpenCodeEnvironment } from "../src/local/OpencodeConfig.js"
import { copyProject } from "../src/local/ProjectCopy.js"
import {
  checkSandboxWorld,
  portableConfig,
  type SandboxWorld,
  type SandboxWorldOptions,
  sandboxOverrides,
  type WorldConfigSource
} from "../src/local/SandboxWorld.js"
import { resolveOpencodeBinary } from "../src/process/OpenCodeBinary.js"
import { OWNER_FILE, serveOpencode } from "../src/process/OpencodeServer.js"
import { OpenCodeClient } from "../services/OpenCodeClient.js"
import * as OpenCodeClientLive from "./OpenCodeClientLive.js"
import * as PlatformLive from "./PlatformLive.js"
import * as ScriptedModelLive from "./ScriptedModelLive.js"

/**
 * How a sandbox starts. The user's world (`SandboxWorldOptions`): `project` (a directory the sandbox copies, or
 * works in with `inPlace`), `config` (a JSON/JSONC file, or an already-parsed object, merged over the sandbox's
 * config; an object's relative plugin paths are taken from the working directory), `plugins` (local plugin files
 * or directories). Relative paths are taken from the working directory (`ProcessHost.cwd`).
 */
export interface SandboxOptions extends SandboxWorldOptions {
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
  /** The model script in force from the start (README, "The scripted model"). */
  readonly script?: ModelScript | undefined
}

const sandboxError = (reason: string) => (cause: unknown) =>
  new SandboxError({ reason: `${reason}: ${cause instanceof Error ? cause.message : String(cause)}` })

const scriptedProvider = (modelUrl: string) => {
  const provider = structuredClone(proofConfig.provider.scripted)
  provider.options.baseURL = modelUrl
  return provider
}

/** The sandbox's global config: the proof config, its model, and the user's plugins by `file://` URL. */
const proofConfigFor = (modelUrl: string, realModel: string | undefined, plugins: ReadonlyArray<string>) => {
  const config: Record<string, unknown> = { ...structuredClone(proofConfig), provider: { scripted: scriptedProvider(modelUrl) } }
  if (realModel !== undefined) config.model = realModel
  if (plugins.length > 0) config.plugin = plugins.map((plugin) => pathToFileURL(plugin).href)
  return JSON.stringify(config, null, 2)
}

/**
 * An OpenCode plugin the sandbox loads from its config dir: it tells the scripted model, on every request, which agent
 * sends it and for which user message (`chat.headers` hook; OpenCode's requests themselves do not say).
 */
const AGENT_HEADER_PLUGIN = `// written by ocm sandbox: tells the scripted model which agent asks
export const OcmAgentHeader = async () => ({
  "chat.headers": async (input, output) => {
    if (input.model.providerID !== "scripted") return
    output.headers["x-ocm-agent"] = input.agent
    output.headers["x-ocm-message"] = input.message.id
  }
})
`

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
const isolatedEnvironment = (
  dirs: { home: string; managedConfig: string },
  password: string | undefined,
  userConfig: string | undefined
) => ({
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
  OPENCODE_TEST_MANAGED_CONFIG_DIR: dirs.managedConfig,
  ...(userConfig === undefined ? {} : { OPENCODE_CONFIG: userConfig }),
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

/**
 * OpenCode installs `@opencode-ai/plugin` (64 MB, from the registry) into every config dir without it, and plugins
 * wait for that: the sandbox's own config dir says it is there (a `node_modules` and a lock naming it), so nothing
 * is fetched for it, and the sandbox's npm does not retry (offline, a project's `.opencode` fails in a second, not
 * after npm's retries of 70 s).
 */
const quietNpm = (home: string, configDir: string) =>
  Effect.gen(function* () {
    const fs = yield* FileSystem.FileSystem
    yield* fs.makeDirectory(`${configDir}/node_modules`, { recursive: true })
    yield* fs.writeFileString(
      `${configDir}/package-lock.json`,
      JSON.stringify({ name: "opencode", lockfileVersion: 3, packages: { "": { dependencies: { "@opencode-ai/plugin": "*" } } } }, null, 2)
    )
    yield* fs.writeFileString(`${home}/.npmrc`, "fetch-retries=0\n")
  })

/** The project the server runs in: a fresh repository, a copy of the user's (a fresh repository too), or theirs. */
const prepareProject = (world: SandboxWorld, root: string, home: string) =>
  Effect.gen(function* () {
    const fs = yield* FileSystem.FileSystem
    const path = yield* Path.Path
    if (world.project?.inPlace === true) return world.project.dir
    const projectDir = path.join(root, "project")
    if (world.project === undefined) {
      yield* fs.makeDirectory(projectDir, { recursive: true })
      yield* fs.writeFileString(path.join(projectDir, "README.md"), "# sandbox project\n\nA fresh repository made by ocm sandbox.\n")
    } else {
      yield* copyProject(world.project.dir, projectDir)
    }
    yield* git(projectDir, home, "init", "-q")
    yield* git(projectDir, home, "add", "-A")
    const message = world.project === undefined ? "sandbox" : `sandbox: a copy of ${world.project.dir}`
    yield* git(projectDir, home, "-c", "user.name=ocm", "-c", "user.email=ocm@localhost", "commit", "-q", "--allow-empty", "--no-verify", "-m", message)
    return projectDir
  }).pipe(Effect.mapError((error) => (error instanceof SandboxError ? error : sandboxError("cannot prepare the project")(error))))

/**
 * Where the server reads the user's config (`OPENCODE_CONFIG`): a copy in the sandbox, made to work from there
 * (`portableConfig`: paths relative to their file, or for an object to the working directory), because OpenCode
 * rewrites a config file it reads that has no `$schema`, and the user's file must not change.
 */
const userConfigFile = (world: SandboxWorld, root: string, cwd: string) =>
  Effect.gen(function* () {
    const fs = yield* FileSystem.FileSystem
    const path = yield* Path.Path
    if (world.config === undefined) return undefined
    const home = yield* Config.string("HOME").pipe(Config.withDefault(cwd))
    const base = world.config._tag === "File" ? path.dirname(world.config.path) : cwd
    const config = yield* portableConfig(world.config.config, base, home)
    const file = path.join(root, "user-config", "opencode.json")
    yield* fs.makeDirectory(path.dirname(file), { recursive: true })
    yield* fs.writeFileString(file, JSON.stringify(config, null, 2))
    return file
  }).pipe(Effect.mapError(sandboxError("cannot write your config into the sandbox")))

/**
 * The configs of the user's world as OpenCode will read them for the project (their config, the project's own
 * files), each named where the user has it (a copied project's files by the original's path).
 */
const worldConfigSources = (environment: OpenCodeEnvironment, world: SandboxWorld, userConfig: string | undefined) =>
  Effect.gen(function* () {
    const path = yield* Path.Path
    const discovery = yield* discoverConfig(environment)
    const copied = world.project !== undefined && !world.project.inPlace ? world.project.dir : undefined
    const named = (file: string) => {
      if (file === userConfig) return world.config?._tag === "File" ? world.config.path : "your config"
      const relative = path.relative(environment.cwd, file)
      return copied !== undefined && !relative.startsWith("..") ? path.join(copied, relative) : file
    }
    return discovery.sources
      .filter((source) => ["OPENCODE_CONFIG", "project", ".opencode"].includes(source.kind) && source.exists && source.parses)
      .map((source): WorldConfigSource => ({ path: named(source.path), config: source.config }))
  })

export const make = Effect.fn("Sandbox.make")(
  function* (options: SandboxOptions = {}) {
    const fs = yield* FileSystem.FileSystem
    const path = yield* Path.Path
    const host = yield* ProcessHost
    // nothing starts for a world that does not hold up
    const world = yield* checkSandboxWorld(options, host.cwd)
    const model = yield* ScriptedModel
    const binary = yield* resolveOpencodeBinary(options.opencodeBin)

    const root = yield* fs.makeTempDirectory({ prefix: "ocm-sandbox-" }).pipe(
      Effect.mapError(sandboxError("cannot create the sandbox directory"))
    )
    yield* Effect.addFinalizer(() =>
      options.keep ? fs.remove(path.join(root, OWNER_FILE), { force: true }).pipe(Effect.ignore) : fs.remove(root, { recursive: true }).pipe(Effect.ignore)
    )
    const home = path.join(root, "home")
    const configDir = path.join(home, ".config", "opencode")
    const managedConfig = path.join(root, "managed-config")
    const logFile = path.join(root, "server.log")
    yield* Effect.forEach([configDir, managedConfig], (dir) => fs.makeDirectory(dir, { recursive: true })).pipe(
      Effect.zipRight(quietNpm(home, configDir)),
      Effect.mapError(sandboxError("cannot create the sandbox directories"))
    )
    yield* fs
      .writeFileString(path.join(configDir, "opencode.json"), proofConfigFor(model.url, options.realModel, world.plugins))
      .pipe(Effect.mapError(sandboxError("cannot write the proof config")))
    yield* fs.makeDirectory(path.join(configDir, "plugin"), { recursive: true }).pipe(
      Effect.zipRight(fs.writeFileString(path.join(configDir, "plugin", "ocm-agent-header.js"), AGENT_HEADER_PLUGIN)),
      Effect.mapError(sandboxError("cannot write the agent-header plugin"))
    )
    yield* Effect.logDebug(`sandbox: dirs ready under ${root}`)
    const projectDir = yield* prepareProject(world, root, home)
    yield* Effect.logDebug(`sandbox: project ready at ${projectDir}`)

    const userConfig = yield* userConfigFile(world, root, host.cwd)
    const environmentOfServer: OpenCodeEnvironment = {
      cwd: projectDir,
      home,
      globalDir: configDir,
      configFile: userConfig,
      configDir: undefined,
      configContent: undefined,
      projectConfigDisabled: false,
      managedDir: managedConfig
    }
    const overrides = sandboxOverrides(
      yield* worldConfigSources(environmentOfServer, world, userConfig),
      {
        provider: "scripted",
        model: options.realModel ?? proofConfig.model,
        smallModel: proofConfig.small_model,
        realModel: options.realModel !== undefined
      },
      scriptedProvider(model.url)
    )
    yield* fs
      .writeFileString(path.join(managedConfig, "opencode.json"), JSON.stringify(overrides.managed, null, 2))
      .pipe(Effect.mapError(sandboxError("cannot write the sandbox's managed config")))
    yield* Effect.forEach(overrides.warnings, (warning) => note("warning", warning), { discard: true })

    if (options.realModel !== undefined && !(yield* copyCredentials(home))) {
      yield* Effect.logWarning(`sandbox: no OpenCode credentials found to copy; ${options.realModel} needs its own`)
    }
    const password = options.password === undefined ? undefined : Redacted.value(options.password)
    const environment = isolatedEnvironment({ home, managedConfig }, password, userConfig)

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
    // OpenCode reads the project's config when the project's instance starts, not with the server: start it now, so
    // that a config OpenCode rejects fails the sandbox with OpenCode's own words
    const client = yield* OpenCodeClientLive.makeOpenCodeClient({
      url: started.url,
      rule: "sandbox",
      username: "opencode",
      password: options.password
    })
    // OpenCode names the file it read: the user's, not the sandbox's copy of it
    const userPathsIn = (text: string) =>
      userConfig !== undefined && world.config?._tag === "File" ? text.replaceAll(userConfig, world.config.path) : text
    yield* client.config({ directory: projectDir }).pipe(
      Effect.timeout("60 seconds"),
      Effect.mapError((error) =>
        new SandboxError({
          reason:
            error._tag === "ServerRejected"
              ? `OpenCode rejected the config: ${userPathsIn(error.detail)}`
              : `the project's OpenCode instance did not start: ${error.message}`
        })
      )
    )

    const info: SandboxInfo = {
      url: started.url,
      port: started.port,
      serverPid: started.pid,
      opencodeBin: binary.path,
      opencodeVersion: started.version,
      modelUrl: model.url,
      root,
      projectDir,
      projectSource: world.project?.dir,
      inPlace: world.project?.inPlace === true,
      home,
      logFile,
      passwordProtected: password !== undefined,
      warnings: overrides.warnings
    }
    const sandbox: SandboxShape = {
      info,
      modelRequests: model.requests,
      clearModelRequests: model.clear,
      setModelScript: model.setScript,
      modelScript: model.script,
      clearModelScript: model.clearScript,
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
      ScriptedModelLive.layer({ script: options?.script }).pipe(
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
        Effect.mapError((error) =>
          error instanceof SandboxError || error instanceof InvalidInput ? error : new SandboxError({ reason: error.message })
        ),
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

