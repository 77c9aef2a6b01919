/**
 * Finds the `opencode` binary: --opencode-bin → OCM_OPENCODE_BIN → the pinned `opencode-ai` package's platform
 * binary → PATH. The pinned package's own launcher needs its install script, which npm 11 does not run by default, so
 * we go straight to the platform package it depends on. Packages are looked up from where this code is installed
 * (the bundled bin or library file), never from the current directory: a global install finds its own.
 */
import * as FileSystem from "@effect/platform/FileSystem"
import * as Path from "@effect/platform/Path"
import * as Config from "effect/Config"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { createRequire } from "node:module"
import { SandboxError } from "../domain/Errors.js"

/** Replaced by the bundler with package.json's opencode-ai version; absent when running from source. */
declare const __OCM_OPENCODE_VERSION__: string | undefined

const opencodePackage =
  typeof __OCM_OPENCODE_VERSION__ === "string" ? `opencode-ai@${__OCM_OPENCODE_VERSION__}` : "opencode-ai"

export interface ResolvedBinary {
  readonly path: string
  readonly source: "--opencode-bin" | "OCM_OPENCODE_BIN" | "opencode-ai package" | "PATH"
}

const executableName = process.platform === "win32" ? "opencode.exe" : "opencode"

/**
 * opencode-ai's platform packages, best first for this machine, in the order its own install script tries them: an
 * x64 CPU without AVX2 needs a `baseline` build, a musl libc a `musl` one (npm installs every variant of the
 * platform, as their manifests cannot tell them apart).
 */
const platformPackages = Effect.gen(function* () {
  const fs = yield* FileSystem.FileSystem
  const os = process.platform === "win32" ? "windows" : process.platform
  const base = `opencode-${os}-${process.arch}`
  const readable = (file: string) => fs.readFileString(file).pipe(Effect.option)
  const musl =
    process.platform === "linux" &&
    (yield* fs.exists(`/lib/ld-musl-${process.arch === "x64" ? "x86_64" : "aarch64"}.so.1`).pipe(Effect.orElseSucceed(() => false)))
  const baseline =
    process.platform === "linux" &&
    process.arch === "x64" &&
    Option.match(yield* readable("/proc/cpuinfo"), { onNone: () => false, onSome: (text) => !/(^|\s)avx2(\s|$)/i.test(text) })
  const glibc = baseline ? [`${base}-baseline`, base] : [base, `${base}-baseline`]
  const muslBuilds = baseline ? [`${base}-baseline-musl`, `${base}-musl`] : [`${base}-musl`, `${base}-baseline-musl`]
  return musl ? [...muslBuilds, ...glibc] : [...glibc, ...muslBuilds]
})

const isExecutableFile = (path: string) =>
  Effect.gen(function* () {
    const fs = yield* FileSystem.FileSystem
    const info = yield* fs.stat(path).pipe(Effect.option)
    if (Option.isNone(info) || info.value.type !== "File") return false
    return yield* fs.access(path, { ok: true }).pipe(
      Effect.as(process.platform === "win32" || (info.value.mode & 0o111) !== 0),
      Effect.orElseSucceed(() => false)
    )
  })

/**
 * The platform binary, resolved as opencode-ai itself would (from its own directory, which also works where
 * dependencies are not hoisted, as with pnpm), then from `from`.
 */
const fromPinnedPackage = (from: string, names: ReadonlyArray<string>) =>
  Effect.gen(function* () {
    const path = yield* Path.Path
    const ours = createRequire(from)
    const resolve = (require: NodeJS.Require, name: string) =>
      Effect.try(() => require.resolve(`${name}/package.json`)).pipe(Effect.option)
    const pinned = yield* resolve(ours, "opencode-ai")
    const requires = Option.isSome(pinned) ? [createRequire(pinned.value), ours] : [ours]
    for (const name of names) {
      for (const require of requires) {
        const manifest = yield* resolve(require, name)
        if (Option.isNone(manifest)) continue
        const candidate = path.join(path.dirname(manifest.value), "bin", executableName)
        if (yield* isExecutableFile(candidate)) return Option.some(candidate)
      }
    }
    return Option.none<string>()
  })

const fromPath = Effect.gen(function* () {
  const path = yield* Path.Path
  const searchPath = yield* Config.string("PATH").pipe(Config.withDefault(""))
  for (const dir of searchPath.split(process.platform === "win32" ? ";" : ":").filter((entry) => entry !== "")) {
    const candidate = path.join(dir, executableName)
    if (yield* isExecutableFile(candidate)) return Option.some(candidate)
  }
  return Option.none<string>()
})

/**
 * `from` is where package lookups start: this module (the bundled file, once built) unless a caller says otherwise.
 */
export const resolveOpencodeBinary = (flag: string | undefined, from: string = import.meta.url) =>
  Effect.gen(function* () {
    const explicit = (value: string, source: "--opencode-bin" | "OCM_OPENCODE_BIN") =>
      Effect.flatMap(isExecutableFile(value), (ok) =>
        ok
          ? Effect.succeed<ResolvedBinary>({ path: value, source })
          : Effect.fail(new SandboxError({ reason: `${source} names ${value}, which is not an executable file` }))
      )
    if (flag !== undefined) return yield* explicit(flag, "--opencode-bin")
    const fromEnv = yield* Config.string("OCM_OPENCODE_BIN").pipe(Config.option)
    if (Option.isSome(fromEnv) && fromEnv.value !== "") return yield* explicit(fromEnv.value, "OCM_OPENCODE_BIN")
    const names = yield* platformPackages
    const pinned = yield* fromPinnedPackage(from, names)
    if (Option.isSome(pinned)) return { path: pinned.value, source: "opencode-ai package" } as ResolvedBinary
    const onPath = yield* fromPath
    if (Option.isSome(onPath)) return { path: onPath.value, source: "PATH" } as ResolvedBinary
    return yield* new SandboxError({
      reason:
        `no opencode binary found: not the ${opencodePackage} package's ${names[0]} (installed with ocm unless ` +
        "optional dependencies were left out; in a checkout, `npm ci`), nor opencode on PATH. " +
        `Install one (\`npm install -g ${opencodePackage}\`), or name one with --opencode-bin PATH or OCM_OPENCODE_BIN`
    })
  })
