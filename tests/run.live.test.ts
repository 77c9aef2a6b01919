/** `ocm run` through the binary: against a sandbox, and with --spawn on a server started for the run. */
import * as FileSystem from "@effect/platform/FileSystem"
import { assert, describe, layer } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import { readFileSync } from "node:fs"
import { createServer } from "node:net"
import { SandboxClientLayer } from "../layers/TestLayers.js"
import { OpenCodeClient } from "../services/OpenCodeClient.js"
import { Sandbox } from "../services/Sandbox.js"
import { cleanEnvironment, repoRoot, runOcm, succeeded } from "./support/cli.js"

const freePort = () =>
  Effect.async<number>((resume) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const address = server.address()
      const port = typeof address === "object" && address !== null ? address.port : 0
      server.close(() => resume(Effect.succeed(port)))
    })
  })

describe("ocm run", () => {
  layer(SandboxClientLayer(), { timeout: 120_000, excludeTestServices: true })((it) => {
    it.effect("files, words and --message make the prompt; --out, .session, --raw, --stderr; --ephemeral deletes", () =>
      Effect.gen(function* () {
        const { info } = yield* Sandbox
        const client = yield* OpenCodeClient
        const fs = yield* FileSystem.FileSystem
        const dir = yield* fs.makeTempDirectoryScoped({ prefix: "ocm-run-test-" })
        yield* fs.writeFileString(`${dir}/context.md`, "Some context from a file.\n")
        const env = cleanEnvironment({ OPENCODE_BASE_URL: info.url })
        const args = ["run", "--model", "scripted/scripted", "--agent", "proof", "--file", `${dir}/context.md`, "--message", "Reply with ONLY FROM-RUN."]
        const run = yield* runOcm([...args, "--out", "out.txt", "--raw", "raw.json", "--stderr", "err.txt", "--dir", info.projectDir, "--json"], env, dir)
        assert.strictEqual(run.code, 0, run.stderr)
        assert.strictEqual(run.stderr, "", "diagnostics went to --stderr")
        const result = JSON.parse(run.stdout) as { sessionID: string; reply: string; out: string; raw: string }
        assert.strictEqual(result.reply, "FROM-RUN")
        assert.strictEqual(yield* fs.readFileString(`${dir}/out.txt`), "FROM-RUN\n")
        assert.strictEqual((yield* fs.readFileString(`${dir}/out.txt.session`)).trim(), result.sessionID)
        const raw = JSON.parse(yield* fs.readFileString(`${dir}/raw.json`)) as { info: { role: string; parentID: string } }
        assert.strictEqual(raw.info.role, "assistant")
        assert.include(yield* fs.readFileString(`${dir}/err.txt`), result.sessionID)
        // the prompt the model saw: the file, then the message
        const requests = yield* (yield* Sandbox).modelRequests
        const seen = requests.find((r) => r.lastUserText.includes("Reply with ONLY FROM-RUN."))
        assert.include(seen?.lastUserText ?? "", "Some context from a file.")
        assert.strictEqual((yield* client.getSession(result.sessionID)).id, result.sessionID, "kept without --ephemeral")

        // --thinking shows the model's reasoning before the reply, as opencode run --thinking does
        const thinking = yield* runOcm(
          ["run", "--model", "scripted/scripted", "--agent", "proof", "--thinking", "--out", "thought.txt", "[[reason weighing the options]] Reply with ONLY THOUGHT."],
          env,
          dir
        )
        assert.strictEqual(succeeded(thinking).trim(), `${dir}/thought.txt`)
        assert.strictEqual(yield* fs.readFileString(`${dir}/thought.txt`), "<thinking>\nweighing the options\n</thinking>\n\nTHOUGHT\n")
        const thinkingJson = JSON.parse(
          succeeded(yield* runOcm(["run", "--model", "scripted/scripted", "--thinking", "--json", "[[reason step by step]] Reply with ONLY J."], env, dir))
        ) as { reply: string; reasoning: Array<string> }
        assert.deepStrictEqual([thinkingJson.reply, thinkingJson.reasoning], ["J", ["step by step"]])
        assert.notProperty(result, "reasoning", "only with --thinking")

        const ephemeral = JSON.parse(succeeded(yield* runOcm([...args, "--ephemeral", "--json", "--dir", info.projectDir], env, dir)))
        const gone = yield* Effect.either(client.getSession(ephemeral.sessionID))
        assert.isTrue(Either.isLeft(gone) && gone.left._tag === "SessionNotFound")
      }).pipe(Effect.scoped))

    it.effect("bad input exits 2 before contacting anything; a turn past --timeout is aborted (exit 124)", () =>
      Effect.gen(function* () {
        const { info } = yield* Sandbox
        const client = yield* OpenCodeClient
        const env = cleanEnvironment({ OPENCODE_BASE_URL: "http://127.0.0.1:9" })
        for (const args of [
          ["run", "Reply with ONLY X."],
          ["run", "--model", "scripted/scripted", "--file", "/no/such/file"],
          ["run", "--model", "scripted/scripted"],
          ["run", "--model", "scripted/scripted", "x", "--spawn-port", "4000"]
        ]) {
          const bad = yield* runOcm(args, env)
          assert.strictEqual(bad.code, 2, `${args.join(" ")}: ${bad.stderr}`)
        }
        const late = yield* runOcm(
          ["run", "--model", "scripted/scripted", "--agent", "proof", "[[slow 6]] Reply with ONLY LATE.", "--timeout", "1", "--json", "--dir", info.projectDir],
          cleanEnvironment({ OPENCODE_BASE_URL: info.url })
        )
        assert.strictEqual(late.code, 124, late.stderr)
        const sessionID = /session (ses_\S+)/.exec(late.stderr)?.[1] ?? ""
        const status = yield* client.sessionStatus({ directory: info.projectDir })
        assert.isUndefined(status[sessionID], "aborted, not left running")
      }))

    it.effect("--spawn starts a server with the caller's own config for the run and stops it afterwards", () =>
      Effect.gen(function* () {
        const { info } = yield* Sandbox
        const fs = yield* FileSystem.FileSystem
        // "the caller's own config": a home whose OpenCode config uses the sandbox's scripted model
        const home = yield* fs.makeTempDirectoryScoped({ prefix: "ocm-run-spawn-" })
        const config = JSON.parse(readFileSync(`${repoRoot}fixtures/sandbox/opencode.json`, "utf8"))
        config.provider.scripted.options.baseURL = info.modelUrl
        yield* fs.makeDirectory(`${home}/.config/opencode`, { recursive: true })
        yield* fs.writeFileString(`${home}/.config/opencode/opencode.json`, JSON.stringify(config))
        const env = cleanEnvironment({
          HOME: home,
          XDG_CONFIG_HOME: `${home}/.config`,
          XDG_DATA_HOME: `${home}/data`,
          XDG_CACHE_HOME: `${home}/cache`,
          XDG_STATE_HOME: `${home}/state`,
          OPENCODE_DISABLE_MODELS_FETCH: "1"
        })
        const port = yield* freePort()
        const run = yield* runOcm(
          ["run", "--spawn", "--spawn-port", String(port), "--model", "scripted/scripted", "--agent", "proof", "Reply with ONLY SPAWNED.", "--json", "--dir", info.projectDir],
          env,
          info.projectDir
        )
        assert.strictEqual(run.code, 0, run.stderr)
        assert.strictEqual(JSON.parse(run.stdout).reply, "SPAWNED")
        assert.include(run.stderr, `http://127.0.0.1:${port}`)
        const after = yield* runOcm(["ping", "--url", `http://127.0.0.1:${port}`], env)
        assert.strictEqual(after.code, 3, "the spawned server is gone")
      }).pipe(Effect.scoped))
  })
})
