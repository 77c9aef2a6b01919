/**
 * Atomic writes respect the target's permissions (issue #7): an existing file keeps its mode, and a file the user
 * could not write in place is refused (exit 2) instead of being replaced by a rename. The refusal is proved through
 * the built `opencode-transcript` run as a user without root's powers (root may write a 0444 file).
 */
import * as FileSystem from "@effect/platform/FileSystem"
import * as NodeContext from "@effect/platform-node/NodeContext"
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { writeFileAtomic } from "../src/local/Files.js"
import { cleanEnvironment, repoRoot, runBinUnprivileged, transcriptBin } from "./support/cli.js"

const modeOf = (file: string) =>
  FileSystem.FileSystem.pipe(
    Effect.flatMap((fs) => fs.stat(file)),
    Effect.map((info) => info.mode & 0o7777)
  )

describe("writeFileAtomic", () => {
  it.effect("an existing file keeps its mode (0600, 0444, 0640); a new file gets the usual mode", () =>
    Effect.gen(function* () {
      const fs = yield* FileSystem.FileSystem
      const dir = yield* fs.makeTempDirectoryScoped({ prefix: "ocm-files-test-" })
      const writable = globalThis.process.getuid?.() === 0 ? [0o600, 0o444, 0o640] : [0o600, 0o640, 0o664]
      for (const mode of writable) {
        const file = `${dir}/f${mode.toString(8)}`
        yield* fs.writeFileString(file, "old\n")
        yield* fs.chmod(file, mode)
        yield* writeFileAtomic(file, "new\n")
        assert.strictEqual(yield* fs.readFileString(file), "new\n")
        assert.strictEqual(yield* modeOf(file), mode, `mode 0${mode.toString(8)} kept`)
      }
      // the mode a plain write gets here (0666 less the umask) is the mode of a new file
      yield* fs.writeFileString(`${dir}/plain`, "x")
      yield* writeFileAtomic(`${dir}/fresh`, "fresh\n")
      assert.strictEqual(yield* modeOf(`${dir}/fresh`), yield* modeOf(`${dir}/plain`))
      // no temp file left behind
      assert.deepStrictEqual(
        (yield* fs.readDirectory(dir)).filter((name) => name.startsWith(".")),
        []
      )
    }).pipe(Effect.scoped, Effect.provide(NodeContext.layer)))

  it.effect("a symlink is followed: the file it points to is replaced (mode kept), the link stays a link", () =>
    Effect.gen(function* () {
      const fs = yield* FileSystem.FileSystem
      const dir = yield* fs.makeTempDirectoryScoped({ prefix: "ocm-files-test-" })
      yield* fs.writeFileString(`${dir}/real`, "old\n")
      yield* fs.chmod(`${dir}/real`, 0o600)
      yield* fs.symlink(`${dir}/real`, `${dir}/link`)
      yield* writeFileAtomic(`${dir}/link`, "new\n")
      assert.strictEqual(yield* fs.readLink(`${dir}/link`), `${dir}/real`)
      assert.strictEqual(yield* fs.readFileString(`${dir}/real`), "new\n")
      assert.strictEqual(yield* modeOf(`${dir}/real`), 0o600)
    }).pipe(Effect.scoped, Effect.provide(NodeContext.layer)))
})

describe("opencode-transcript --output as a user without root's powers", () => {
  it.effect("a 0444 file is refused with exit 2 and left as it was; a writable one is replaced and keeps its mode", () =>
    Effect.gen(function* () {
      const fs = yield* FileSystem.FileSystem
      // a directory the unprivileged user can write in, so only the file's own mode protects it
      const dir = yield* fs.makeTempDirectoryScoped({ prefix: "ocm-files-bin-" })
      yield* fs.chmod(dir, 0o777)
      const target = `${dir}/t.md`
      const render = runBinUnprivileged(
        transcriptBin,
        ["--input", `${repoRoot}fixtures/transcripts/minimal.export.json`, "--output", target],
        cleanEnvironment({ HOME: dir }),
        dir
      )

      const created = yield* render
      assert.strictEqual(created.code, 0, created.stderr)
      assert.strictEqual(created.stdout, `${target}\n`)
      const rendered = yield* fs.readFileString(target)
      assert.include(rendered, "# ")

      // the user's own file, made writable for group too: replaced, and the mode stays 0664
      yield* fs.writeFileString(target, "mine\n")
      yield* fs.chmod(target, 0o664)
      const replaced = yield* render
      assert.strictEqual(replaced.code, 0, replaced.stderr)
      assert.strictEqual(yield* fs.readFileString(target), rendered)
      assert.strictEqual(yield* modeOf(target), 0o664)

      // read-only: the rename would have replaced it (the directory is writable); refused instead
      yield* fs.writeFileString(target, "keep me\n")
      yield* fs.chmod(target, 0o444)
      const refused = yield* render
      assert.strictEqual(refused.code, 2, `${refused.stdout} ${refused.stderr}`)
      assert.include(refused.stderr, target)
      assert.match(refused.stderr, /^opencode-transcript: .*not writable/m)
      assert.strictEqual(refused.stdout, "")
      assert.strictEqual(yield* fs.readFileString(target), "keep me\n")
      assert.strictEqual(yield* modeOf(target), 0o444)
      assert.deepStrictEqual(yield* fs.readDirectory(dir), ["t.md"], "no temp file left behind")
    }).pipe(Effect.scoped, Effect.provide(NodeContext.layer)), 60_000)
})
