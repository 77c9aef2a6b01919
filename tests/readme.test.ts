/** The README's promises that can be run: the library examples exactly as written, and the demo it starts with. */
import * as FileSystem from "@effect/platform/FileSystem"
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { transform } from "esbuild"
import { readFileSync } from "node:fs"
import { PlatformLayer, SandboxClientLayer } from "../layers/TestLayers.js"
import { OpenCodeClient } from "../services/OpenCodeClient.js"
import { Sandbox } from "../services/Sandbox.js"
import { cleanEnvironment, repoRoot, runBin, runOcm } from "./support/cli.js"
import { libraryExamples, readme, testingExamples } from "./support/readme.js"

/**
 * Runs a README example from inside the package, where `import "opencode-manager"` resolves to this package
 * (self-reference via exports), with its types stripped as any TypeScript runner would.
 */
const runExample = (source: string, env: Record<string, string>, cwd?: string) =>
  Effect.gen(function* () {
    const fs = yield* FileSystem.FileSystem
    const { code } = yield* Effect.promise(() => transform(source, { loader: "ts", format: "esm", target: "node20" }))
    yield* fs.makeDirectory(`${repoRoot}.tmp`, { recursive: true })
    const file = `${repoRoot}.tmp/readme-example-${process.pid}-${Date.now()}.mjs`
    yield* fs.writeFileString(file, code)
    return yield* runBin(file, [], env, cwd).pipe(Effect.ensuring(fs.remove(file).pipe(Effect.ignore)))
  })

describe("README", () => {
  it.live("the library's sandbox example runs as written and proves a resumed turn", () =>
    Effect.gen(function* () {
      const { sandbox } = libraryExamples()
      assert.isAtMost(sandbox.trim().split("\n").length, 16, "the example stays short")
      const run = yield* runExample(sandbox, cleanEnvironment())
      assert.strictEqual(run.code, 0, run.stderr)
      assert.deepStrictEqual(JSON.parse(run.stdout), ["READY", "RESUMED", 1, "proof"])
    }).pipe(Effect.provide(PlatformLayer)), { timeout: 300_000 })

  it.live("the library's existing-server example runs as written against a running server", () =>
    Effect.gen(function* () {
      const { existingServer } = libraryExamples()
      const { info } = yield* Sandbox
      const run = yield* runExample(existingServer, cleanEnvironment({ OPENCODE_BASE_URL: info.url }), info.projectDir)
      assert.strictEqual(run.code, 0, run.stderr)
      assert.deepStrictEqual(JSON.parse(run.stdout), ["HELLO", 0, 1])
      // the example's session was thrown away
      const client = yield* OpenCodeClient
      assert.deepStrictEqual(yield* client.listSessions({ directory: info.projectDir }), [])
    }).pipe(Effect.provide(SandboxClientLayer()), Effect.scoped), { timeout: 300_000 })

  it.live("the testing library's scenario example runs as written", () =>
    Effect.gen(function* () {
      const fs = yield* FileSystem.FileSystem
      const tmp = yield* fs.makeTempDirectoryScoped({ prefix: "ocm-testing-example-" })
      const run = yield* runExample(testingExamples().script, cleanEnvironment({ TMPDIR: tmp }), tmp)
      assert.strictEqual(run.code, 0, run.stderr)
      assert.deepStrictEqual(JSON.parse(run.stdout), ["passed", ["passed", "passed"]])
      assert.deepStrictEqual(yield* fs.readDirectory(tmp), [], "its sandbox is gone")
    }).pipe(Effect.scoped, Effect.provide(PlatformLayer)), { timeout: 300_000 })

  it("the testing library's @effect/vitest example is tests/testing.live.test.ts's, which runs it", () => {
    const test = readFileSync(`${repoRoot}tests/testing.live.test.ts`, "utf8")
    const region = /\/\/ README: from here\n([\s\S]*?)\/\/ README: to here\n/.exec(test)?.[1]
    const { test: example } = testingExamples()
    assert.isDefined(region)
    const body = example.slice(example.indexOf("\n\n") + 2)
    assert.strictEqual(region, body)
    assert.include(example, 'import { ocm, sandboxLayer } from "opencode-manager/testing"')
    assert.include(test, 'import { ocm, reportText, runScenario, sandboxLayer } from "../src/testing.js"')
  })

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
