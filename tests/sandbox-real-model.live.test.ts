/** `--model` on the sandbox: a real provider's model as the default, with the user's credentials copied in. */
import * as FileSystem from "@effect/platform/FileSystem"
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { PlatformLayer } from "../layers/TestLayers.js"
import { cleanEnvironment, runOcm } from "./support/cli.js"

describe("sandbox --model", () => {
  it.live("sets the server's default model and copies auth.json (owner-only), never printing it", () =>
    Effect.gen(function* () {
      const fs = yield* FileSystem.FileSystem
      const home = yield* fs.makeTempDirectoryScoped({ prefix: "ocm-real-model-" })
      const secret = "sk-test-never-printed"
      yield* fs.makeDirectory(`${home}/data/opencode`, { recursive: true })
      yield* fs.writeFileString(`${home}/data/opencode/auth.json`, JSON.stringify({ anthropic: { type: "api", key: secret } }))
      const env = cleanEnvironment({ XDG_DATA_HOME: `${home}/data`, XDG_STATE_HOME: `${home}/state` })
      // inside the sandbox: the server's own config names the model; the credentials file arrived, 0600
      const probe = [
        "const base = process.env.OPENCODE_BASE_URL",
        "const config = await (await fetch(base + '/config')).json()",
        "const fs = await import('node:fs')",
        "const auth = process.env.OCM_SANDBOX_PROJECT_DIR.replace(/project$/, 'home/.local/share/opencode/auth.json')",
        "console.log(JSON.stringify({ model: config.model, small: config.small_model, mode: (fs.statSync(auth).mode & 0o777).toString(8), same: fs.readFileSync(auth, 'utf8').includes('sk-test') }))"
      ].join(";")
      const run = yield* runOcm(
        ["sandbox", "run", "--model", "anthropic/claude-sonnet-4-5", "--", process.execPath, "--input-type=module", "-e", probe],
        env
      )
      assert.strictEqual(run.code, 0, run.stderr)
      assert.deepStrictEqual(JSON.parse(run.stdout), {
        model: "anthropic/claude-sonnet-4-5",
        small: "scripted/scripted",
        mode: "600",
        same: true
      })
      assert.notInclude(run.stderr, secret)

      const bad = yield* runOcm(["sandbox", "up", "--model", "no-slash"], env)
      assert.strictEqual(bad.code, 2, bad.stderr)
    }).pipe(Effect.scoped, Effect.provide(PlatformLayer)), { timeout: 300_000 })
})


