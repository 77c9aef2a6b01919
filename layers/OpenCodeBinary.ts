/**
 * Finds the `opencode` binary: --opencode-bin → OCM_OPENCODE_BIN → the pinned `opencode-ai` package's
 * platform binary → PATH. The pinned package's own launcher needs its install script, which npm 11 does
 * not run by default, so we go straight to the platform package it depends on.
 */
import * as FileSystem from "@effect/platform/FileSystem"
import * as Path from "@effect/platform/Path"
import * as Config from "effect/Config"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { createRequire } from "node:module"
import { SandboxError } from "../src/Errors.js"

export interface ResolvedBinary {
  readonly path: string
  readonly source: "--opencode-bin" | "OCM_OPENCODE_BIN" | "opencode-ai package" | "PATH"
}

const executableName = process.platform === "win32" ? "opencode.exe" : "opencode"

const platformPackages = (): ReadonlyArray<string> => {
  const os = process.platform === "win32" ? "windows" : process.platform
  const base = `opencode-${os}-${process.arch}`
  return [base, `${base}-baseline`, `${base}-musl`, `${base}-baseline-musl`]
}

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

const fromPinnedPackage = Effect.gen(function* () {
  const path = yield* Path.Path
  const require = createRequire(import.meta.url)
  for (const name of platformPackages()) {
    const manifest = yield* Effect.try(() => require.resolve(`${name}/package.json`)).pipe(Effect.option)
    if (Option.isNone(manifest)) continue
    const candidate = path.join(path.dirname(manifest.value), "bin", executableName)
    if (yield* isExecutableFile(candidate)) return Option.some(candidate)
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

export const resolveOpencodeBinary = (flag: string | undefined) =>
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
    const pinned = yield* fromPinnedPackage
    if (Option.isSome(pinned)) return { path: pinned.value, source: "opencode-ai package" } as ResolvedBinary
    const onPath = yield* fromPath
    if (Option.isSome(onPath)) return { path: onPath.value, source: "PATH" } as ResolvedBinary
    return yield* new SandboxError({
      reason:
        "no opencode binary found: pass --opencode-bin PATH or set OCM_OPENCODE_BIN, " +
        `or install the pinned opencode-ai package (npm ci; looked for ${platformPackages()[0]}), ` +
        "or put opencode on PATH"
    })
  })
