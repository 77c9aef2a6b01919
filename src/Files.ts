/** Writing files so that no reader ever sees half of one (SPEC: "files written atomically"). */
import * as FileSystem from "@effect/platform/FileSystem"
import type { PlatformError } from "@effect/platform/Error"
import * as Path from "@effect/platform/Path"
import * as Effect from "effect/Effect"
import * as Random from "effect/Random"

/**
 * Writes `text` to a sibling temp file, then renames it over `file` in one step; the temp file is removed if
 * anything fails. Creates the directory when asked.
 */
export const writeFileAtomic = (
  file: string,
  text: string,
  options: { readonly makeDirectory?: boolean } = {}
): Effect.Effect<void, PlatformError, FileSystem.FileSystem | Path.Path> =>
  Effect.gen(function* () {
    const fs = yield* FileSystem.FileSystem
    const path = yield* Path.Path
    if (options.makeDirectory) yield* fs.makeDirectory(path.dirname(file), { recursive: true })
    const nonce = (yield* Random.nextIntBetween(0, 2 ** 31)).toString(36)
    const temp = path.join(path.dirname(file), `.${path.basename(file)}.${nonce}.tmp`)
    yield* fs.writeFileString(temp, text).pipe(
      Effect.zipRight(fs.rename(temp, file)),
      Effect.tapError(() => fs.remove(temp, { force: true }).pipe(Effect.ignore))
    )
  })
