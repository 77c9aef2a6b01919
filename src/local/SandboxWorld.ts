/**
 * The user's world a sandbox takes (`--project`, `--in-place`, `--config`, `--plugin`): checked before anything
 * starts, and what the sandbox's server must still be told so that its own provider and model win.
 *
 * What OpenCode 1.18.33 loads (read from the source inside the pinned binary, re-measured against it):
 * - config, lowest precedence first: the global dir's `config.json`/`opencode.json`/`opencode.jsonc`, the file
 *   of `OPENCODE_CONFIG`, the project's `opencode.json(c)` files, its `.opencode/opencode.json(c)`,
 *   `OPENCODE_CONFIG_CONTENT`, the managed dir (`OPENCODE_TEST_MANAGED_CONFIG_DIR`). Objects merge deeply,
 *   `plugin` lists add up, `instructions` are united. A config is read when an instance of a directory starts
 *   (the first request for it), not when the server starts; a value of the wrong type is answered
 *   `400 ConfigInvalidError` (path and issues) on that request, and nothing goes to the log. Unknown keys pass.
 * - plugins: `{plugin,plugins}/*.{ts,js}` of each config dir (the global dir, each `.opencode` from the project up
 *   to its git root, `~/.opencode`), files only (a directory there is not loaded); and the `plugin` entries of
 *   every config: `file://` URLs, absolute paths and paths relative to that config file's directory, naming a
 *   file or a directory (its `package.json` entry, else `index.{ts,tsx,js,mjs,cjs}`). Anything else is an npm
 *   package, installed from the registry.
 * - a config file without `$schema` is rewritten with one when it is read (the user's `--config` file, a project's
 *   `opencode.json`): the sandbox gives OpenCode its own copy of the user's config, never their file.
 * - `{file:PATH}` in a config is read from the config file's directory (`~/` from the home); relative
 *   `instructions` are looked up from the project (up to its git root), not from the config file.
 * - each config dir without `node_modules` (or whose lock lacks `@opencode-ai/plugin`) gets a background
 *   `npm install @opencode-ai/plugin` (about 64 MB); plugins wait for it before they load. Offline, npm's
 *   retries made that wait 72 s.
 */
import * as FileSystem from "@effect/platform/FileSystem"
import * as Path from "@effect/platform/Path"
import * as Effect from "effect/Effect"
import { pathToFileURL } from "node:url"
import { InvalidInput } from "../domain/Errors.js"
import { parseConfigText } from "./OpencodeConfig.js"

/** The user's world as given: paths relative to the working directory; `config` a path or (library) a parsed object. */
export interface SandboxWorldOptions {
  /** The sandbox works on a copy of this directory (a fresh git repository with the same files). */
  readonly project?: string | undefined
  /** Work in `project` itself: nothing is copied, and the sandbox never removes it. */
  readonly inPlace?: boolean | undefined
  /** An OpenCode config (JSON or JSONC file, or an object) merged over the sandbox's own. */
  readonly config?: string | Readonly<Record<string, unknown>> | undefined
  /** Local plugin files or directories. */
  readonly plugins?: ReadonlyArray<string> | undefined
}

export type WorldConfig =
  | { readonly _tag: "File"; readonly path: string; readonly config: Readonly<Record<string, unknown>> }
  | { readonly _tag: "Object"; readonly config: Readonly<Record<string, unknown>> }

/** The world, checked: absolute paths, the config parsed. */
export interface SandboxWorld {
  readonly project: { readonly dir: string; readonly inPlace: boolean } | undefined
  readonly config: WorldConfig | undefined
  readonly plugins: ReadonlyArray<string>
}

/** What makes a directory a plugin OpenCode can load: a `package.json`, else one of these. */
export const pluginIndexFiles = ["index.ts", "index.tsx", "index.js", "index.mjs", "index.cjs"] as const

const invalid = (message: string) => new InvalidInput({ message })

/** What is at `path`: a file, a directory, something else, or an InvalidInput naming the flag and the path. */
const kindOf = (flag: string, path: string) =>
  Effect.gen(function* () {
    const fs = yield* FileSystem.FileSystem
    const info = yield* fs.stat(path).pipe(
      Effect.mapError((error) =>
        error._tag === "SystemError" && error.reason === "NotFound"
          ? invalid(`${flag}: ${path} does not exist`)
          : invalid(`${flag}: cannot read ${path}: ${error.message}`)
      )
    )
    yield* fs.access(path, { readable: true }).pipe(Effect.mapError(() => invalid(`${flag}: cannot read ${path}`)))
    return info.type
  })

const checkProject = (dir: string) =>
  Effect.gen(function* () {
    const kind = yield* kindOf("--project", dir)
    if (kind !== "Directory") return yield* invalid(`--project: ${dir} is not a directory`)
  })

const checkConfigFile = (file: string) =>
  Effect.gen(function* () {
    const fs = yield* FileSystem.FileSystem
    if ((yield* kindOf("--config", file)) !== "File") return yield* invalid(`--config: ${file} is not a file`)
    const text = yield* fs.readFileString(file).pipe(Effect.mapError((error) => invalid(`--config: cannot read ${file}: ${error.message}`)))
    // the sandbox's server starts with `env -i`: an `{env:NAME}` there is empty, so it is read as empty here too
    const parsed = parseConfigText(text, () => undefined)
    if (!parsed.ok) return yield* invalid(`--config: ${file} is not JSON or JSONC: ${parsed.error}`)
    return parsed.config
  })

const checkPlugin = (plugin: string) =>
  Effect.gen(function* () {
    const fs = yield* FileSystem.FileSystem
    const path = yield* Path.Path
    const kind = yield* kindOf("--plugin", plugin)
    if (kind === "File") return
    if (kind !== "Directory") return yield* invalid(`--plugin: ${plugin} is neither a file nor a directory`)
    for (const entry of ["package.json", ...pluginIndexFiles]) {
      if (yield* fs.exists(path.join(plugin, entry)).pipe(Effect.orElseSucceed(() => false))) return
    }
    return yield* invalid(`--plugin: ${plugin} has no package.json or index file (${pluginIndexFiles.join(", ")}) for OpenCode to load`)
  })

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value)

/** Checks the world before anything starts: every problem is an InvalidInput (exit 2) naming the path. */
export const checkSandboxWorld = (options: SandboxWorldOptions, cwd: string) =>
  Effect.gen(function* () {
    const path = yield* Path.Path
    if (options.inPlace === true && options.project === undefined) {
      return yield* invalid("--in-place needs --project DIR: the directory to work in")
    }
    let project = options.project === undefined ? undefined : path.resolve(cwd, options.project)
    if (project !== undefined) {
      yield* checkProject(project)
      // a project named through a symlink is copied from where it is: a copy of the link would be the original
      const fs = yield* FileSystem.FileSystem
      project = yield* fs.realPath(project).pipe(Effect.mapError((error) => invalid(`--project: cannot read ${project}: ${error.message}`)))
    }
    let config: WorldConfig | undefined
    if (typeof options.config === "string") {
      const file = path.resolve(cwd, options.config)
      config = { _tag: "File", path: file, config: yield* checkConfigFile(file) }
    } else if (options.config !== undefined) {
      if (!isObject(options.config)) return yield* invalid("config: an OpenCode config is a JSON object")
      config = { _tag: "Object", config: options.config }
    }
    const plugins = (options.plugins ?? []).map((plugin) => path.resolve(cwd, plugin))
    yield* Effect.forEach(plugins, checkPlugin, { discard: true })
    const world: SandboxWorld = {
      project: project === undefined ? undefined : { dir: project, inPlace: options.inPlace === true },
      config,
      plugins
    }
    return world
  })

// ---------------------------------------------------------------------------------------------------------
// The user's config, as the sandbox gives it to OpenCode

const schemaUrl = "https://opencode.ai/config.json"

/**
 * The user's config made to work from another place (the sandbox's copy of it): what OpenCode takes relative to
 * the config file (`./` plugin entries, `{file:…}`) made absolute from `base` (the file's directory), `{file:~/…}`
 * from the user's `home` (the sandbox's server has a home of its own), and a `$schema`, so OpenCode does not
 * rewrite the file to add one.
 */
export const portableConfig = (config: Readonly<Record<string, unknown>>, base: string, home: string) =>
  Effect.gen(function* () {
    const path = yield* Path.Path
    const fileReference = (text: string) =>
      text.replace(/\{file:([^}]+)\}/g, (_, file: string) =>
        `{file:${file.startsWith("~/") ? path.join(home, file.slice(2)) : path.resolve(base, file)}}`
      )
    const portable = (value: unknown): unknown => {
      if (typeof value === "string") return fileReference(value)
      if (Array.isArray(value)) return value.map(portable)
      if (!isObject(value)) return value
      const result: Record<string, unknown> = {}
      for (const [key, entry] of Object.entries(value)) {
        Object.defineProperty(result, key, { value: portable(entry), enumerable: true, writable: true, configurable: true })
      }
      return result
    }
    const result = portable(config) as Record<string, unknown>
    if (Array.isArray(result.plugin)) {
      result.plugin = result.plugin.map((entry: unknown) => {
        const spec = Array.isArray(entry) ? entry[0] : entry
        if (typeof spec !== "string" || !spec.startsWith(".")) return entry
        const absolute = pathToFileURL(path.resolve(base, spec)).href
        return Array.isArray(entry) ? [absolute, ...entry.slice(1)] : absolute
      })
    }
    const withSchema: Record<string, unknown> = { $schema: schemaUrl, ...result }
    return withSchema
  })

// ---------------------------------------------------------------------------------------------------------
// What the sandbox keeps

/** The provider of a model reference (`provider/model`, or OpenCode's `{providerID, model}`). */
const providerOf = (reference: unknown): string | undefined => {
  if (typeof reference === "string") return reference.includes("/") ? reference.slice(0, reference.indexOf("/")) : undefined
  if (isObject(reference) && typeof reference.providerID === "string") return reference.providerID
  return undefined
}

const shown = (reference: unknown) => (typeof reference === "string" ? reference : JSON.stringify(reference))

export interface SandboxModels {
  /** The sandbox's provider, whose models need no credentials (`scripted`). */
  readonly provider: string
  /** The default model the sandbox uses: the scripted one, or the real one asked for (`--model`). */
  readonly model: string
  readonly smallModel: string
  /** Whether a real provider was asked for (`--model`): then the user's agents keep their own models. */
  readonly realModel: boolean
}

/** One config the user's world brings (their `--config`, their project's files), as OpenCode will read it. */
export interface WorldConfigSource {
  /** Where it is, said to the user. */
  readonly path: string
  readonly config: Readonly<Record<string, unknown>>
}

export interface SandboxOverrides {
  /** Settings that win over every other source (the sandbox writes them to OpenCode's managed config dir). */
  readonly managed: Record<string, unknown>
  /** One line per source that named a real provider: what it named and what the sandbox uses instead. */
  readonly warnings: ReadonlyArray<string>
}

/** The model-bearing sections of a config, by name (agents, legacy modes, commands). */
const namedSections = ["agent", "mode", "command"] as const

/**
 * What the sandbox must force over the user's configs so that its provider and model stay: the default and small
 * model, and (without `--model`) every agent, mode or command model of another provider; a provider list that
 * would leave the sandbox's out gets it back.
 */
export const sandboxOverrides = (
  sources: ReadonlyArray<WorldConfigSource>,
  models: SandboxModels,
  providerConfig: Readonly<Record<string, unknown>>
): SandboxOverrides => {
  // the default and small model are forced only over a config that names another provider's: a config that picks
  // another of the sandbox's own models (`scripted/other`) keeps its choice, as OpenCode's precedence gives it
  // (a real model asked for with --model is forced always: the user named it for this sandbox)
  const managed: Record<string, unknown> = {
    ...(models.realModel ? { model: models.model, small_model: models.smallModel } : {}),
    provider: { [models.provider]: providerConfig }
  }
  const warnings: Array<string> = []
  const foreign = (reference: unknown) => {
    const provider = providerOf(reference)
    return provider !== undefined && provider !== models.provider
  }
  for (const { path, config } of sources) {
    const named: Array<string> = []
    if (!models.realModel) {
      for (const key of ["model", "small_model"] as const) {
        if (!foreign(config[key])) continue
        named.push(`${key} ${shown(config[key])}`)
        managed[key] = key === "model" ? models.model : models.smallModel
      }
      for (const section of namedSections) {
        const entries = config[section]
        if (!isObject(entries)) continue
        for (const [name, entry] of Object.entries(entries)) {
          if (!isObject(entry) || !foreign(entry.model)) continue
          named.push(`${section} ${name}'s model ${shown(entry.model)}`)
          const forced = (managed[section] ??= {}) as Record<string, unknown>
          forced[name] = { model: models.model }
        }
      }
      if (isObject(config.provider)) {
        const providers = Object.keys(config.provider).filter((name) => name !== models.provider)
        if (providers.length > 0) named.push(`provider ${providers.join(", ")}`)
      }
    } else if (foreign(config.small_model)) {
      named.push(`small_model ${shown(config.small_model)}`)
    }
    const enabled = config.enabled_providers
    if (Array.isArray(enabled) && !enabled.includes(models.provider)) {
      managed.enabled_providers = [...enabled, models.provider]
      named.push(`enabled_providers without ${models.provider}`)
    }
    const disabled = config.disabled_providers
    if (Array.isArray(disabled) && disabled.includes(models.provider)) {
      managed.disabled_providers = disabled.filter((name) => name !== models.provider)
      named.push(`disabled_providers with ${models.provider}`)
    }
    if (named.length === 0) continue
    const instead = models.realModel
      ? `the sandbox uses ${models.model}, ${models.smallModel} for small tasks, and keeps ${models.provider}`
      : `the sandbox uses ${models.model} instead (for a real provider, give --model provider/model)`
    warnings.push(`sandbox: ${path} names ${named.join("; ")}: ${instead}`)
  }
  return { managed, warnings }
}
