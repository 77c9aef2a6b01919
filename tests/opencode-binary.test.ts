/**
 * Where the sandbox's `opencode` comes from: the opencode-ai package installed with ocm, found from where ocm's
 * code is (not the current directory), and, when there is none, a message that says how to get one.
 */
import * as FileSystem from "@effect/platform/FileSystem"
import * as NodeContext from "@effect/platform-node/NodeContext"
import { assert, describe, it } from "@effect/vitest"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Effect from "effect/Effect"
import { realpathSync } from "node:fs"
import { pathToFileURL } from "node:url"
import { resolveOpencodeBinary } from "../src/process/OpenCodeBinary.js"
import { SandboxError } from "../src/domain/Errors.js"
import { repoRoot } from "./support/cli.js"

/** Only these variables, so neither the runner's PATH nor its OCM_OPENCODE_BIN decides. */
const withEnvironment = (env: Record<string, string>) => Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(env))))

describe("resolveOpencodeBinary", () => {
  it.live("finds the installed opencode-ai's platform binary from the code's own location", () =>
    Effect.gen(function* () {
      const binary = yield* resolveOpencodeBinary(undefined).pipe(withEnvironment({ PATH: "" }))
      assert.strictEqual(binary.source, "opencode-ai package")
      assert.match(binary.path, /node_modules\/opencode-(linux|darwin|windows)-[a-z0-9]+(-baseline)?(-musl)?\/bin\/opencode(\.exe)?$/)
      assert.isTrue(binary.path.startsWith(`${realpathSync(`${repoRoot}node_modules`)}/`), binary.path)
    }).pipe(Effect.provide(NodeContext.layer)))

  it.live("with no package where the code is and nothing on PATH, says what it looked for and how to get one", () =>
    Effect.gen(function* () {
      const fs = yield* FileSystem.FileSystem
      const elsewhere = yield* fs.makeTempDirectoryScoped({ prefix: "ocm-binary-test-" })
      const error = yield* Effect.flip(
        resolveOpencodeBinary(undefined, pathToFileURL(`${elsewhere}/ocm.mjs`).href).pipe(withEnvironment({ PATH: elsewhere }))
      )
      assert.isTrue(error instanceof SandboxError, String(error))
      const { reason } = error as SandboxError
      assert.match(reason, /^no opencode binary found: not the opencode-ai package's opencode-/)
      assert.include(reason, "nor opencode on PATH")
      assert.include(reason, "`npm install -g opencode-ai`")
      assert.include(reason, "--opencode-bin PATH or OCM_OPENCODE_BIN")
    }).pipe(Effect.scoped, Effect.provide(NodeContext.layer)))

  it.live("an explicit binary that is not executable is refused by name", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(resolveOpencodeBinary(`${repoRoot}README.md`).pipe(withEnvironment({})))
      assert.isTrue(error instanceof SandboxError, String(error))
      assert.strictEqual((error as SandboxError).reason, `--opencode-bin names ${repoRoot}README.md, which is not an executable file`)
    }).pipe(Effect.provide(NodeContext.layer)))
})
