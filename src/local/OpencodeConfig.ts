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
import { type Node, type ParseError, type ParseErrorCode, parseTree, printParseErrorCode } from "jsonc-parser"

// ---------------------------------------------------------------------------------------------------------
// JSONC

export type JsoncResult =
  | { readonly ok: true; readonly value: unknown }
  | { readonly ok: false; readonly error: string }

const lineColumn = (text: string, position: number) => {
  const before = text.slice(0, position).split("\n")
  return `line ${before.length}, column ${before[before.length - 1]!.length + 1}`
}

/** What went wrong, said for a person; `found` is the text where it went wrong. */
const problem = (code: ParseErrorCode, found: string): string => {
  const unexpected = found === "" ? "unexpected end" : `unexpected ${JSON.stringify(found[0])}`
  const name = printParseErrorCode(code)
  switch (name) {
    case "ValueExpected":
      return `${unexpected}, expected a value`
    case "InvalidSymbol":
      return unexpected
    case "PropertyNameExpected":
      return "expected a property name in double quotes"
    case "ColonExpected":
      return 'expected ":"'
    case "CommaExpected":
      return 'expected ","'
    case "CloseBraceExpected":
      return 'expected "," or "}"'
    case "CloseBracketExpected":
      return 'expected "," or "]"'
    case "EndOfFileExpected":
      return "unexpected text after the end"
    case "UnexpectedEndOfComment":
      return "unterminated /* comment"
    case "UnexpectedEndOfString":
      return "unterminated string"
    case "InvalidCharacter":
      return "a control character inside a string"
    case "InvalidEscapeCharacter":
      return "invalid escape in string"
    case "InvalidUnicode":
      return "invalid \\u escape in string"
    case "InvalidNumberFormat":
    case "UnexpectedEndOfNumber":
      return "invalid number"
    case "InvalidCommentToken":
      return "invalid comment"
    default:
      return name
  }
}

/** A parsed tree as a value; properties are defined, not assigned, so a `__proto__` key is a plain key as in JSON. */
const valueOf = (node: Node): unknown => {
  if (node.type === "array") return (node.children ?? []).map(valueOf)
  if (node.type !== "object") return node.value
  const result: Record<string, unknown> = {}
  for (const property of node.children ?? []) {
    const [key, value] = property.children ?? []
    if (key === undefined || value === undefined) continue
    Object.defineProperty(result, String(key.value), { value: valueOf(value), enumerable: true, writable: true, configurable: true })
  }
  return result
}

/**
 * Parses JSONC the way OpenCode does (jsonc-parser with trailing commas allowed): JSON plus `//` and `/* *\/`
 * comments and trailing commas. Any problem fails the whole text, as in OpenCode; the first one is said with its
 * line and column.
 */
export const parseJsonc = (text: string): JsoncResult => {
  // read as text, a file's byte-order mark is gone before OpenCode parses it
  const source = text.replace(/^\uFEFF/, "")
  const errors: Array<ParseError> = []
  const tree = parseTree(source, errors, { allowTrailingComma: true })
  const first = errors[0]
  if (first !== undefined) {
    return { ok: false, error: `${problem(first.error, source.slice(first.offset))} at ${lineColumn(source, first.offset)}` }
  }
  // with no error reported there is a tree: an empty text is a ValueExpected
  return { ok: true, value: tree === undefined ? undefined : valueOf(tree) }
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
