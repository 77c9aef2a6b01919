/** Writing files so that no reader ever sees half of one (SPEC: "files written atomically"). */
import * as FileSystem from "@effect/platform/FileSystem"
import type { PlatformError } from "@effect/platform/Error"
import * as Path from "@effect/platform/Path"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Random from "effect/Random"
import { InvalidInput } from "../domain/Errors.js"

const octal = (mode: number) => `0${(mode & 0o7777).toString(8)}`

/**
 * What an existing target allows: a rename would replace a file the user could not write in place, so such a file
 * is refused; otherwise its mode is kept. A symlink is followed, so the file it points to is the one replaced.
 */
const existingTarget = (file: string) =>
  Effect.gen(function* () {
    const fs = yield* FileSystem.FileSystem
    const info = yield* fs.stat(file).pipe(Effect.option)
    if (Option.isNone(info)) return Option.none<{ readonly file: string; readonly mode: number }>()
    const real = yield* fs.realPath(file)
    const writable = yield* fs.access(real, { writable: true }).pipe(
      Effect.as(true),
      Effect.catchIf(
        (error) => error._tag === "SystemError" && error.reason === "PermissionDenied",
        () => Effect.succeed(false)
      )
    )
    if (!writable) {
      return yield* new InvalidInput({
        message: `${file} is not writable for you (mode ${octal(info.value.mode)}); ocm does not replace a file it could not write in place`
      })
    }
    return Option.some({ file: real, mode: info.value.mode & 0o7777 })
  })

/**
 * Writes `text` to a sibling temp file, then renames it over `file` in one step; the temp file is removed if
 * anything fails. An existing file keeps its mode and must be writable for this user (else InvalidInput); a new
 * file gets the usual mode (umask). Creates the directory when asked.
 */
export const writeFileAtomic = (
  file: string,
  text: string,
  options: { readonly makeDirectory?: boolean } = {}
): Effect.Effect<void, PlatformError | InvalidInput, FileSystem.FileSystem | Path.Path> =>
  Effect.gen(function* () {
    const fs = yield* FileSystem.FileSystem
    const path = yield* Path.Path
    if (options.makeDirectory) yield* fs.makeDirectory(path.dirname(file), { recursive: true })
    const existing = yield* existingTarget(file)
    const target = Option.match(existing, { onNone: () => file, onSome: (found) => found.file })
    const nonce = (yield* Random.nextIntBetween(0, 2 ** 31)).toString(36)
    const temp = path.join(path.dirname(target), `.${path.basename(target)}.${nonce}.tmp`)
    // owner-only until it has the target's mode, so a private file is never readable by others for a moment
    const written = Option.isSome(existing) ? fs.writeFileString(temp, text, { mode: 0o600 }) : fs.writeFileString(temp, text)
    yield* written.pipe(
      Effect.zipRight(Option.match(existing, { onNone: () => Effect.void, onSome: ({ mode }) => fs.chmod(temp, mode) })),
      Effect.zipRight(fs.rename(temp, target)),
      Effect.tapError(() => fs.remove(temp, { force: true }).pipe(Effect.ignore))
    )
  })
