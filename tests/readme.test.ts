/** The README's promises that can be run: the library example exactly as written, and the demo it starts with. */
import * as FileSystem from "@effect/platform/FileSystem"
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { readFileSync } from "node:fs"
import { PlatformLayer } from "../layers/TestLayers.js"
import { cleanEnvironment, repoRoot, runBin, runOcm } from "./support/cli.js"

const readme = readFileSync(`${repoRoot}README.md`, "utf8")

describe("README", () => {
  it.live("the library example runs as written and proves a resumed turn", () =>
    Effect.gen(function* () {
      const section = readme.slice(readme.indexOf("## Library"))
      const code = /```js\n([\s\S]*?)```/.exec(section)?.[1]
      assert.isString(code, "README has a js example under ## Library")
      assert.isAtMost(code!.trim().split("\n").length, 16, "the example stays short")
      // inside the package, `import "opencode-manager"` resolves to this package (self-reference via exports)
      const fs = yield* FileSystem.FileSystem
      yield* fs.makeDirectory(`${repoRoot}.tmp`, { recursive: true })
      const file = `${repoRoot}.tmp/readme-example-${process.pid}.mjs`
      yield* fs.writeFileString(file, code!)
      const run = yield* runBin(file, [], cleanEnvironment()).pipe(Effect.ensuring(fs.remove(file).pipe(Effect.ignore)))
      assert.strictEqual(run.code, 0, run.stderr)
      assert.deepStrictEqual(JSON.parse(run.stdout), ["READY", "RESUMED", 1, "proof"])
    }).pipe(Effect.provide(PlatformLayer)), { timeout: 300_000 })

  it.live("the first set-up command's demo proves every witness and cleans up", () =>
    Effect.gen(function* () {
      assert.include(readme, "npm ci && npx ocm demo")
      const fs = yield* FileSystem.FileSystem
      const tmp = yield* fs.makeTempDirectoryScoped({ prefix: "ocm-demo-test-" })
      // the demo's transcript copy goes to TMPDIR: keep it inside this test's scope
      const run = yield* runOcm(["demo", "--json"], cleanEnvironment({ TMPDIR: tmp }))
      assert.strictEqual(run.code, 0, run.stderr)
      const result = JSON.parse(run.stdout) as { passed: boolean; witnesses: Array<{ step: string }> }
      assert.isTrue(result.passed)
      assert.deepStrictEqual(
        result.witnesses.map((w) => w.step),
        ["sandbox", "begin-session", "chat", "chat --no-reply", "chat --system --no-reply", "chat (carries it)", "transcript", "final"]
      )
    }).pipe(Effect.scoped, Effect.provide(PlatformLayer)), { timeout: 300_000 })
})
