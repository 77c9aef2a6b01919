/**
 * Per-session defaults (agent, model, variant) stored locally under
 * `${XDG_CONFIG_HOME:-~/.config}/ocm/sessions/<id>.json`, used by every prompt-bearing command; flags win.
 */
import * as FileSystem from "@effect/platform/FileSystem"
import * as Path from "@effect/platform/Path"
import * as Config from "effect/Config"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import { writeFileAtomic } from "./Files.js"
import type { IdentityFields } from "../domain/Identity.js"

export const StoredDefaults = Schema.Struct({
  agent: Schema.optional(Schema.String),
  model: Schema.optional(Schema.Struct({ providerID: Schema.String, modelID: Schema.String })),
  variant: Schema.optional(Schema.String)
})

// the parser is made when first used, not when the module loads (memoised per schema)
const StoredDefaultsJson = Schema.parseJson(StoredDefaults)
const decode = (text: string) => Schema.decodeUnknownOption(StoredDefaultsJson)(text)

/** `${XDG_CONFIG_HOME:-~/.config}/ocm/sessions` */
export const defaultsDirectory = Effect.gen(function* () {
  const path = yield* Path.Path
  const xdg = yield* Config.string("XDG_CONFIG_HOME").pipe(Config.option)
  const home = yield* Config.string("HOME").pipe(Config.withDefault("."))
  const base = Option.getOrElse(Option.filter(xdg, (value) => value !== ""), () => path.join(home, ".config"))
  return path.join(base, "ocm", "sessions")
})

const fileOf = (sessionID: string) => Effect.map(defaultsDirectory, (dir) => `${dir}/${sessionID}.json`)

/** The stored defaults of a session; none (not an error) when absent or unreadable. */
export const readDefaults = (sessionID: string) =>
  Effect.gen(function* () {
    const fs = yield* FileSystem.FileSystem
    const text = yield* fs.readFileString(yield* fileOf(sessionID)).pipe(Effect.option)
    return Option.getOrUndefined(Option.flatMap(text, decode)) as IdentityFields | undefined
  })

/** Stores defaults atomically (temp file + rename). */
export const writeDefaults = (sessionID: string, defaults: IdentityFields) =>
  Effect.gen(function* () {
    const fs = yield* FileSystem.FileSystem
    const dir = yield* defaultsDirectory
    yield* fs.makeDirectory(dir, { recursive: true })
    const file = `${dir}/${sessionID}.json`
    const stored = {
      ...(defaults.agent === undefined ? {} : { agent: defaults.agent }),
      ...(defaults.model === undefined ? {} : { model: defaults.model }),
      ...(defaults.variant === undefined ? {} : { variant: defaults.variant })
    }
    yield* writeFileAtomic(file, `${JSON.stringify(stored, null, 2)}\n`)
    return file
  })

export const removeDefaults = (sessionID: string) =>
  Effect.gen(function* () {
    const fs = yield* FileSystem.FileSystem
    yield* fs.remove(yield* fileOf(sessionID), { force: true })
  })
