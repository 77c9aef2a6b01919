/**
 * A copy of the user's project for a sandbox to work on: every file and directory with its mode, symlinks as
 * symlinks, no `.git` (the sandbox makes a fresh repository of the copy). The source is only read. Directories
 * keep their mode plus the owner's rwx, so that the sandbox can always remove its copy.
 */
import type { PlatformError } from "@effect/platform/Error"
import * as FileSystem from "@effect/platform/FileSystem"
import * as Path from "@effect/platform/Path"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"

/** Entries a copy leaves out, at any depth: git's own data (a nested repository becomes plain files). */
const skipped = new Set([".git"])

/**
 * Copies `from` into `to` (which must not exist yet or be empty). A symlink keeps its target, except an absolute
 * one into `from`, which is pointed at the same place in the copy so that nothing done through it reaches the
 * original. Sockets, FIFOs and devices are left out.
 */
export const copyProject = (from: string, to: string) =>
  Effect.gen(function* () {
    const fs = yield* FileSystem.FileSystem
    const path = yield* Path.Path
    const inside = (target: string) => target === from || target.startsWith(`${from}${path.sep}`)

    const copyEntry = (source: string, target: string): Effect.Effect<void, PlatformError> =>
      Effect.gen(function* () {
        // readLink succeeds only on a symlink: stat would follow it
        const link = yield* Effect.option(fs.readLink(source))
        if (Option.isSome(link)) {
          const pointed = path.isAbsolute(link.value) && inside(link.value) ? path.join(to, path.relative(from, link.value)) : link.value
          return yield* fs.symlink(pointed, target)
        }
        const info = yield* fs.stat(source)
        if (info.type === "File") {
          yield* fs.copyFile(source, target)
          return yield* fs.chmod(target, info.mode & 0o7777)
        }
        if (info.type !== "Directory") return
        yield* fs.makeDirectory(target, { recursive: true, mode: 0o700 })
        const entries = yield* fs.readDirectory(source)
        yield* Effect.forEach(
          entries.filter((entry) => !skipped.has(entry)),
          (entry) => copyEntry(path.join(source, entry), path.join(target, entry)),
          { concurrency: 8, discard: true }
        )
        // the owner keeps full access to directories: the sandbox must be able to remove its copy
        yield* fs.chmod(target, (info.mode & 0o7777) | 0o700)
      })

    yield* copyEntry(from, to)
  })
