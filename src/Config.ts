/**
 * OpenCode's own configuration, found and layered the way OpenCode 1.18 does it (read from its source and
 * re-checked against the pinned binary with `opencode debug config`), so `ocm doctor` can show where each
 * setting comes from. Lowest precedence first; a later source overrides an earlier one:
 *
 * 1. global `${XDG_CONFIG_HOME:-~/.config}/opencode/` `config.json`, `opencode.json`, `opencode.jsonc`
 * 2. the file named by `OPENCODE_CONFIG`
 * 3. project `opencode.json` then `opencode.jsonc` of every directory from the git worktree root (or `/`
 *    outside git) down to the current directory, outermost first — unless `OPENCODE_DISABLE_PROJECT_CONFIG`
 * 4. `.opencode/opencode.json` then `.opencode/opencode.jsonc` of the `.opencode` dirs found walking up from the
 *    current directory to that root — innermost first, so an outer `.opencode` wins over an inner one (that
 *    is what OpenCode does) — then `~/.opencode`, then `OPENCODE_CONFIG_DIR`
 * 5. `OPENCODE_CONFIG_CONTENT` (inline JSON)
 * 6. the managed config dir (`/etc/opencode`, or `OPENCODE_TEST_MANAGED_CONFIG_DIR`), if it exists
 *
 * Every file is JSONC (comments, trailing commas), `{env:NAME}` is substituted before parsing, an empty file
 * counts as `{}`, and one file that does not parse stops OpenCode from loading its config at all.
 * Not covered: remote `.well-known/opencode` configs from `opencode auth` and an OpenCode account's org config.
 */
import * as FileSystem from "@effect/platform/FileSystem"
import * as Path from "@effect/platform/Path"
import * as Config from "effect/Config"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"

// ---------------------------------------------------------------------------------------------------------
// JSONC

export type JsoncResult =
  | { readonly ok: true; readonly value: unknown }
  | { readonly ok: false; readonly error: string }

class JsoncFailure {
  constructor(readonly message: string, readonly at: number) {}
}

const lineColumn = (text: string, position: number) => {
  const before = text.slice(0, position).split("\n")
  return `line ${before.length}, column ${before[before.length - 1]!.length + 1}`
}

const literalToken = /true|false|null|-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y
const stringToken = /"(?:[^"\\\u0000-\u001f]|\\.)*"/y

/**
 * Parses JSONC the way OpenCode accepts it (jsonc-parser with trailing commas allowed): JSON plus `//` and
 * `/* *\/` comments and trailing commas; anything else is an error that says where it is.
 */
export const parseJsonc = (text: string): JsoncResult => {
  const source = text.replace(/^\uFEFF/, "")
  let index = 0
  const fail = (message: string, at = index): never => {
    throw new JsoncFailure(message, at)
  }
  const skipBlank = () => {
    while (index < source.length) {
      const char = source[index]
      if (char === " " || char === "\t" || char === "\n" || char === "\r") index += 1
      else if (char === "/" && source[index + 1] === "/") {
        const newline = source.indexOf("\n", index)
        index = newline === -1 ? source.length : newline
      } else if (char === "/" && source[index + 1] === "*") {
        const close = source.indexOf("*/", index + 2)
        if (close === -1) fail("unterminated /* comment")
        index = close + 2
      } else return
    }
  }
  const token = (pattern: RegExp) => {
    pattern.lastIndex = index
    const match = pattern.exec(source)
    if (match) index += match[0].length
    return match?.[0]
  }
  const string = (): string => {
    const start = index
    const literal = token(stringToken) ?? fail("unterminated string, or a control character inside it")
    try {
      return JSON.parse(literal) as string
    } catch {
      return fail("invalid escape in string", start)
    }
  }
  const value = (): unknown => {
    skipBlank()
    const char = source[index]
    if (char === "{") return object()
    if (char === "[") return array()
    if (char === '"') return string()
    const literal = token(literalToken)
    if (literal !== undefined) return JSON.parse(literal)
    return fail(char === undefined ? "unexpected end, expected a value" : `unexpected ${JSON.stringify(char)}, expected a value`)
  }
  const object = () => {
    const result: Record<string, unknown> = {}
    index += 1
    while (true) {
      skipBlank()
      if (source[index] === "}") break
      if (source[index] !== '"') fail("expected a property name in double quotes")
      const key = string()
      skipBlank()
      if (source[index] !== ":") fail('expected ":"')
      index += 1
      Object.defineProperty(result, key, { value: value(), enumerable: true, writable: true, configurable: true })
      skipBlank()
      if (source[index] === ",") index += 1
      else if (source[index] !== "}") fail('expected "," or "}"')
    }
    index += 1
    return result
  }
  const array = () => {
    const result: Array<unknown> = []
    index += 1
    while (true) {
      skipBlank()
      if (source[index] === "]") break
      result.push(value())
      skipBlank()
      if (source[index] === ",") index += 1
      else if (source[index] !== "]") fail('expected "," or "]"')
    }
    index += 1
    return result
  }
  try {
    const result = value()
    skipBlank()
    if (index < source.length) fail("unexpected text after the end")
    return { ok: true, value: result }
  } catch (error) {
    if (error instanceof JsoncFailure) return { ok: false, error: `${error.message} at ${lineColumn(source, error.at)}` }
    throw error
  }
}

/** OpenCode replaces `{env:NAME}` with the variable's value (empty when unset) before parsing. */
export const envReferences = (text: string): ReadonlyArray<string> =>
  Array.from(new Set(Array.from(text.matchAll(/\{env:([^}]+)\}/g), (match) => match[1]!)))

export const substituteEnv = (text: string, lookup: (name: string) => string | undefined): string =>
  text.replace(/\{env:([^}]+)\}/g, (_, name: string) => lookup(name) ?? "")

/** A config document: empty text is `{}`, anything else must be one JSON object. */
export const parseConfigText = (
  text: string,
  lookup: (name: string) => string | undefined
): { readonly ok: true; readonly config: Readonly<Record<string, unknown>> } | { readonly ok: false; readonly error: string } => {
  if (text === "") return { ok: true, config: {} }
  const parsed = parseJsonc(substituteEnv(text, lookup))
  if (!parsed.ok) return parsed
  const value = parsed.value
  return typeof value === "object" && value !== null && !Array.isArray(value)
    ? { ok: true, config: value as Record<string, unknown> }
    : { ok: false, error: "not a JSON object" }
}

// ---------------------------------------------------------------------------------------------------------
// Where OpenCode looks

export interface OpenCodeEnvironment {
  /** The directory OpenCode would run in: project config is found from here. */
  readonly cwd: string
  readonly home: string
  /** `${XDG_CONFIG_HOME:-~/.config}/opencode` */
  readonly globalDir: string
  /** `OPENCODE_CONFIG` */
  readonly configFile: string | undefined
  /** `OPENCODE_CONFIG_DIR` */
  readonly configDir: string | undefined
  /** `OPENCODE_CONFIG_CONTENT` */
  readonly configContent: string | undefined
  /** `OPENCODE_DISABLE_PROJECT_CONFIG` is `1` or `true` */
  readonly projectConfigDisabled: boolean
  /** `/etc/opencode` or `OPENCODE_TEST_MANAGED_CONFIG_DIR` */
  readonly managedDir: string
}

const nonEmpty = (name: string) =>
  Config.string(name).pipe(
    Config.option,
    Config.map((value) => Option.getOrUndefined(Option.filter(value, (text) => text !== "")))
  )

/** What OpenCode reads from the environment to find its config, for a process started in `cwd`. */
export const openCodeEnvironment = (cwd: string) =>
  Effect.gen(function* () {
    const path = yield* Path.Path
    const home = path.resolve(cwd, (yield* nonEmpty("HOME")) ?? "/")
    const xdgConfig = yield* nonEmpty("XDG_CONFIG_HOME")
    const configFile = yield* nonEmpty("OPENCODE_CONFIG")
    const configDir = yield* nonEmpty("OPENCODE_CONFIG_DIR")
    const disable = ((yield* nonEmpty("OPENCODE_DISABLE_PROJECT_CONFIG")) ?? "").toLowerCase()
    const managed = yield* nonEmpty("OPENCODE_TEST_MANAGED_CONFIG_DIR")
    const environment: OpenCodeEnvironment = {
      cwd,
      home,
      globalDir: path.join(xdgConfig === undefined ? path.join(home, ".config") : path.resolve(cwd, xdgConfig), "opencode"),
      configFile: configFile === undefined ? undefined : path.resolve(cwd, configFile),
      configDir: configDir === undefined ? undefined : path.resolve(cwd, configDir),
      configContent: yield* nonEmpty("OPENCODE_CONFIG_CONTENT"),
      projectConfigDisabled: disable === "1" || disable === "true",
      managedDir: managed === undefined ? "/etc/opencode" : path.resolve(cwd, managed)
    }
    return environment
  })

export type ConfigSourceKind =
  | "global"
  | "OPENCODE_CONFIG"
  | "project"
  | ".opencode"
  | "OPENCODE_CONFIG_DIR"
  | "OPENCODE_CONFIG_CONTENT"
  | "managed"

/** One place OpenCode reads config from; `path` is "OPENCODE_CONFIG_CONTENT" for the inline source. */
export interface ConfigCandidate {
  readonly kind: ConfigSourceKind
  readonly path: string
}

export interface ConfigSource extends ConfigCandidate {
  readonly exists: boolean
  /** Missing sources count as parsing (OpenCode skips them). */
  readonly parses: boolean
  readonly error?: string
  /** The top-level keys it sets. */
  readonly keys: ReadonlyArray<string>
  /** Its settings; kept out of reports because provider options can hold secrets. */
  readonly config: Readonly<Record<string, unknown>>
}

export interface ConfigDiscovery {
  readonly cwd: string
  /** Where the walk for project files stops: the git worktree root, or the filesystem root outside git. */
  readonly worktree: string
  readonly projectConfigDisabled: boolean
  /** Lowest precedence first. */
  readonly sources: ReadonlyArray<ConfigSource>
}

/** OpenCode's `up`: every existing `targets` entry of each directory from `start` up to `stop` (or the root). */
const up = (targets: ReadonlyArray<string>, start: string, stop: string) =>
  Effect.gen(function* () {
    const fs = yield* FileSystem.FileSystem
    const path = yield* Path.Path
    const found: Array<string> = []
    let dir = start
    while (true) {
      for (const target of targets) {
        const candidate = path.join(dir, target)
        if (yield* fs.exists(candidate).pipe(Effect.orElseSucceed(() => false))) found.push(candidate)
      }
      const parent = path.dirname(dir)
      if (dir === stop || parent === dir) return found
      dir = parent
    }
  })

/** The directory holding the nearest `.git` (a repository or a linked worktree), else the filesystem root. */
export const worktreeOf = (cwd: string) =>
  Effect.gen(function* () {
    const path = yield* Path.Path
    const git = yield* up([".git"], cwd, path.parse(cwd).root)
    return git.length > 0 ? path.dirname(git[0]!) : path.parse(cwd).root
  })

/** Every place OpenCode would read config from, lowest precedence first (missing global files included). */
export const configCandidates = (environment: OpenCodeEnvironment) =>
  Effect.gen(function* () {
    const fs = yield* FileSystem.FileSystem
    const path = yield* Path.Path
    const worktree = yield* worktreeOf(environment.cwd)
    const candidates: Array<ConfigCandidate> = []
    const add = (kind: ConfigSourceKind, ...paths: ReadonlyArray<string>) =>
      paths.forEach((file) => candidates.push({ kind, path: file }))

    add("global", ...["config.json", "opencode.json", "opencode.jsonc"].map((file) => path.join(environment.globalDir, file)))
    if (environment.configFile !== undefined) add("OPENCODE_CONFIG", environment.configFile)
    if (!environment.projectConfigDisabled) {
      add("project", ...(yield* up(["opencode.jsonc", "opencode.json"], environment.cwd, worktree)).reverse())
    }
    const directories = [
      environment.globalDir,
      ...(environment.projectConfigDisabled ? [] : yield* up([".opencode"], environment.cwd, worktree)),
      ...(yield* up([".opencode"], environment.home, environment.home)),
      ...(environment.configDir === undefined ? [] : [environment.configDir])
    ]
    for (const dir of new Set(directories)) {
      if (dir.endsWith(".opencode") || dir === environment.configDir) {
        add(dir === environment.configDir ? "OPENCODE_CONFIG_DIR" : ".opencode", path.join(dir, "opencode.json"), path.join(dir, "opencode.jsonc"))
      }
    }
    if (environment.configContent !== undefined) add("OPENCODE_CONFIG_CONTENT", "OPENCODE_CONFIG_CONTENT")
    if (yield* fs.exists(environment.managedDir).pipe(Effect.orElseSucceed(() => false))) {
      add("managed", path.join(environment.managedDir, "opencode.json"), path.join(environment.managedDir, "opencode.jsonc"))
    }
    return { worktree, candidates }
  })

const envLookup = (text: string) =>
  Effect.map(
    Effect.forEach(envReferences(text), (name) =>
      Effect.map(nonEmpty(name).pipe(Effect.orElseSucceed(() => undefined)), (value) => [name, value] as const)
    ),
    (entries) => {
      const values = new Map(entries)
      return (name: string) => values.get(name)
    }
  )

const loadSource = (environment: OpenCodeEnvironment, candidate: ConfigCandidate) =>
  Effect.gen(function* () {
    const fs = yield* FileSystem.FileSystem
    const missing: ConfigSource = { ...candidate, exists: false, parses: true, keys: [], config: {} }
    let content = environment.configContent ?? ""
    if (candidate.kind !== "OPENCODE_CONFIG_CONTENT") {
      if (!(yield* fs.exists(candidate.path).pipe(Effect.orElseSucceed(() => false)))) return missing
      const read = yield* Effect.either(fs.readFileString(candidate.path))
      if (Either.isLeft(read)) {
        return { ...missing, exists: true, parses: false, error: `cannot read it: ${read.left.message}` } satisfies ConfigSource
      }
      content = read.right
    }
    const parsed = parseConfigText(content, yield* envLookup(content))
    if (!parsed.ok) return { ...missing, exists: true, parses: false, error: parsed.error } satisfies ConfigSource
    return { ...candidate, exists: true, parses: true, keys: Object.keys(parsed.config), config: parsed.config } satisfies ConfigSource
  })

/** Finds and parses every config source OpenCode would read for a process started in `environment.cwd`. */
export const discoverConfig = (environment: OpenCodeEnvironment) =>
  Effect.gen(function* () {
    const { worktree, candidates } = yield* configCandidates(environment)
    const sources = yield* Effect.forEach(candidates, (candidate) => loadSource(environment, candidate))
    const discovery: ConfigDiscovery = {
      cwd: environment.cwd,
      worktree,
      projectConfigDisabled: environment.projectConfigDisabled,
      sources
    }
    return discovery
  })

// ---------------------------------------------------------------------------------------------------------
// What wins

export const reportedSettings = ["model", "small_model", "default_agent"] as const

export interface EffectiveSetting {
  readonly key: string
  /** The value OpenCode ends up with; undefined when no source sets it (the server's default applies). */
  readonly value: unknown
  /** The source whose value wins. */
  readonly source: string | undefined
  /** Sources that set it too but are overridden, lowest precedence first. */
  readonly overridden: ReadonlyArray<string>
}

/** Which source sets each key last (later sources override earlier ones, as OpenCode merges them). */
export const effectiveSettings = (
  sources: ReadonlyArray<ConfigSource>,
  keys: ReadonlyArray<string> = reportedSettings
): ReadonlyArray<EffectiveSetting> =>
  keys.map((key) => {
    const setters = sources.filter((source) => source.parses && Object.prototype.hasOwnProperty.call(source.config, key))
    const winner = setters[setters.length - 1]
    return {
      key,
      value: winner?.config[key],
      source: winner?.path,
      overridden: setters.slice(0, -1).map((source) => source.path)
    }
  })
