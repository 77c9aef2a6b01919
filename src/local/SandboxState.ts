/**
 * The state file of a sandbox left running by `ocm sandbox up`:
 * `${XDG_STATE_HOME:-~/.local/state}/ocm/sandbox.json`. It is how later commands find the sandbox
 * (a base-URL rule of SPEC §3) and how `down`, or the next `up` after a crash, finds what to stop.
 */
import * as FileSystem from "@effect/platform/FileSystem"
import * as Path from "@effect/platform/Path"
import * as Config from "effect/Config"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import { SandboxError } from "../domain/Errors.js"
import { writeFileAtomic } from "./Files.js"

export const SandboxStateSchema = Schema.Struct({
  version: Schema.Literal(1),
  url: Schema.String,
  port: Schema.Number,
  /** The process that owns the sandbox (runs the scripted model, supervises the server). */
  supervisorPid: Schema.Number,
  serverPid: Schema.Number,
  modelUrl: Schema.String,
  root: Schema.String,
  projectDir: Schema.String,
  /** The user's project the sandbox copied (or, `inPlace`, works in): `--project`. */
  projectSource: Schema.optional(Schema.String),
  inPlace: Schema.optional(Schema.Boolean),
  /** What the sandbox overrode in the user's configs, said by `up` once it is ready. */
  warnings: Schema.optional(Schema.Array(Schema.String)),
  home: Schema.String,
  logFile: Schema.String,
  opencodeVersion: Schema.String,
  startedAt: Schema.String,
  /** Where the password the server requires was read from (`--password-file`); never the password. */
  passwordFile: Schema.optional(Schema.String),
  /**
   * Set by the supervisor when the server died under it: the sandbox is gone, and the state file stays until
   * `ocm sandbox down` so that no command quietly falls through to another server.
   */
  ended: Schema.optional(Schema.Struct({ at: Schema.String, reason: Schema.String }))
})
export type SandboxState = typeof SandboxStateSchema.Type

// the parsers are made when first used, not when the module loads (each is memoised per schema)
const StateJson = Schema.parseJson(SandboxStateSchema)
const StateJsonText = Schema.parseJson(SandboxStateSchema, { space: 2 })
const decodeState = (text: string) => Schema.decodeUnknown(StateJson)(text)
const encodeState = (state: typeof SandboxStateSchema.Type) => Schema.encode(StateJsonText)(state)

export const stateDirectory = Effect.gen(function* () {
  const path = yield* Path.Path
  const xdg = yield* Config.string("XDG_STATE_HOME").pipe(Config.option)
  const home = yield* Config.string("HOME").pipe(Config.withDefault("."))
  const base = Option.getOrElse(Option.filter(xdg, (value) => value !== ""), () => path.join(home, ".local", "state"))
  return path.join(base, "ocm")
})

export const statePath = Effect.map(stateDirectory, (dir) => `${dir}/sandbox.json`)

/** Whether a process id is alive, read from /proc; where there is no /proc we cannot tell and say yes. */
export const processAlive = (pid: number) =>
  Effect.gen(function* () {
    const fs = yield* FileSystem.FileSystem
    const hasProc = yield* fs.exists("/proc/self").pipe(Effect.orElseSucceed(() => false))
    if (!hasProc) return true
    const stat = yield* fs.readFileString(`/proc/${pid}/stat`).pipe(Effect.option)
    // a zombie ("Z") has exited and only waits to be reaped
    return Option.match(stat, { onNone: () => false, onSome: (text) => !/^\d+ \(.*\) Z /.test(text) })
  })

/** Whether `pid` is still an opencode process (a recycled pid must never be killed). */
export const isOpencodeProcess = (pid: number) =>
  Effect.gen(function* () {
    const fs = yield* FileSystem.FileSystem
    if (!(yield* processAlive(pid))) return false
    const cmdline = yield* fs.readFileString(`/proc/${pid}/cmdline`).pipe(Effect.option)
    return Option.match(cmdline, { onNone: () => true, onSome: (text) => text.includes("opencode") })
  })

export const readSandboxState = Effect.gen(function* () {
  const fs = yield* FileSystem.FileSystem
  const path = yield* statePath
  const text = yield* fs.readFileString(path).pipe(Effect.option)
  if (Option.isNone(text)) return Option.none()
  const state = yield* decodeState(text.value)
  const alive = state.ended === undefined && (yield* processAlive(state.supervisorPid)) && (yield* processAlive(state.serverPid))
  return Option.some({ path, state, alive })
})

/** What became of a sandbox whose processes are gone, in a few words. */
export const howItEnded = (state: SandboxState) =>
  state.ended === undefined
    ? `its supervisor (pid ${state.supervisorPid}) or its server (pid ${state.serverPid}) is no longer running`
    : `${state.ended.reason}, at ${state.ended.at}`

/** Why a sandbox whose state file is still there cannot be used. */
export const goneReason = (state: SandboxState, path: string) =>
  `the sandbox at ${state.url} is gone (${howItEnded(state)}); "ocm sandbox down" clears it (state file ${path})`

/** A sandbox state file naming processes that are gone: an error, never a reason to look for another server. */
export const sandboxGone = (state: SandboxState, path: string) => new SandboxError({ reason: goneReason(state, path) })

export const unreadableState = (path: string) =>
  new SandboxError({ reason: `the sandbox state file ${path} cannot be read; "ocm sandbox down" clears it` })

/** Writes the state file atomically: a temp file in the same directory, then a rename. */
export const writeSandboxState = (state: SandboxState) =>
  Effect.gen(function* () {
    const fs = yield* FileSystem.FileSystem
    const dir = yield* stateDirectory
    yield* fs.makeDirectory(dir, { recursive: true })
    const path = `${dir}/sandbox.json`
    yield* writeFileAtomic(path, yield* encodeState(state))
    return path
  })

export const removeSandboxState = Effect.gen(function* () {
  const fs = yield* FileSystem.FileSystem
  yield* fs.remove(yield* statePath, { force: true })
})
