/** `ocm run` through the binary: against a sandbox, and with --spawn on a server started for the run. */
import * as Command from "@effect/platform/Command"
import * as FileSystem from "@effect/platform/FileSystem"
import { assert, describe, layer } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Stream from "effect/Stream"
import { readFileSync } from "node:fs"
import { createServer } from "node:net"
import { SandboxClientLayer } from "../layers/TestLayers.js"
import { OpenCodeClient } from "../services/OpenCodeClient.js"
import { Sandbox } from "../services/Sandbox.js"
import { cleanEnvironment, ocmBin, repoRoot, runOcm, succeeded } from "./support/cli.js"

/**
 * "The caller's own config": a home whose OpenCode config uses the sandbox's scripted model, and a temp dir of its
 * own (where `run --spawn` keeps its server's log dir and owner record).
 */
const spawnEnvironment = Effect.gen(function* () {
  const { info } = yield* Sandbox
  const fs = yield* FileSystem.FileSystem
  const home = yield* fs.makeTempDirectoryScoped({ prefix: "ocm-test-home-" })
  const config = JSON.parse(readFileSync(`${repoRoot}fixtures/sandbox/opencode.json`, "utf8"))
  config.provider.scripted.options.baseURL = info.modelUrl
  yield* fs.makeDirectory(`${home}/.config/opencode`, { recursive: true })
  yield* fs.makeDirectory(`${home}/tmp`)
  yield* fs.writeFileString(`${home}/.config/opencode/opencode.json`, JSON.stringify(config))
  return {
    home,
    env: cleanEnvironment({
      HOME: home,
      TMPDIR: `${home}/tmp`,
      XDG_CONFIG_HOME: `${home}/.config`,
      XDG_DATA_HOME: `${home}/data`,
      XDG_CACHE_HOME: `${home}/cache`,
      XDG_STATE_HOME: `${home}/state`,
      OPENCODE_DISABLE_MODELS_FETCH: "1"
    })
  }
})

const freePort = () =>
  Effect.async<number>((resume) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const address = server.address()
      const port = typeof address === "object" && address !== null ? address.port : 0
      server.close(() => resume(Effect.succeed(port)))
    })
  })

describe("ocm run", () => {
  layer(SandboxClientLayer(), { timeout: 300_000, excludeTestServices: true })((it) => {
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

    it.effect("--spawn starts a server with the caller's own config for the run and stops it afterwards, leaving nothing in TMPDIR", () =>
      Effect.gen(function* () {
        const { info } = yield* Sandbox
        const fs = yield* FileSystem.FileSystem
        const { env, home } = yield* spawnEnvironment
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
        // the server's temp files (a native library of several MB per start) went with its own temp dir
        assert.deepStrictEqual(yield* fs.readDirectory(`${home}/tmp`), [])
      }).pipe(Effect.scoped))

    it.effect("a --spawn server whose ocm was killed outright is stopped by the next --spawn", () =>
      Effect.gen(function* () {
        const { info } = yield* Sandbox
        const fs = yield* FileSystem.FileSystem
        const { env, home } = yield* spawnEnvironment
        const port = yield* freePort()
        const args = ["run", "--spawn", "--model", "scripted/scripted", "--agent", "proof", "--dir", info.projectDir]
        const killed = yield* Command.start(
          Command.make(process.execPath, ocmBin, ...args, "--spawn-port", String(port), "[[slow 30]] Reply with ONLY NEVER.").pipe(
            Command.env(env),
            Command.workingDirectory(info.projectDir)
          )
        )
        // the session line comes once the server answers and the session exists
        yield* killed.stderr.pipe(
          Stream.decodeText(),
          Stream.scan("", (seen, chunk) => seen + chunk),
          Stream.takeUntil((seen) => seen.includes("ocm: session ses_")),
          Stream.runDrain,
          Effect.timeout("60 seconds")
        )
        const [owned] = (yield* fs.readDirectory(`${home}/tmp`)).filter((entry) => entry.startsWith("ocm-run-"))
        const owner = JSON.parse(yield* fs.readFileString(`${home}/tmp/${owned}/owner.json`)) as { ownerPid: number; serverPid: number }
        assert.strictEqual(owner.ownerPid, killed.pid)
        // should an assertion below fail, the orphan must not outlive the test
        yield* Effect.addFinalizer(() => Effect.try(() => process.kill(-owner.serverPid, "SIGKILL")).pipe(Effect.ignore))
        // SIGKILL: no finalizer runs, the server is orphaned
        process.kill(killed.pid, "SIGKILL")
        yield* killed.exitCode.pipe(Effect.ignore)
        succeeded(yield* runOcm(["ping", "--url", `http://127.0.0.1:${port}`], env))

        const next = yield* runOcm([...args, "Reply with ONLY NEXT.", "--json"], env, info.projectDir)
        assert.strictEqual(JSON.parse(succeeded(next)).reply, "NEXT")
        assert.strictEqual((yield* runOcm(["ping", "--url", `http://127.0.0.1:${port}`], env)).code, 3, "the orphan was stopped")
        assert.isFalse(yield* fs.exists(`${home}/tmp/${owned}`), "its dir was removed")
        assert.deepStrictEqual((yield* fs.readDirectory(`${home}/tmp`)).filter((entry) => entry.startsWith("ocm-run-")), [])
      }).pipe(Effect.scoped))
  })
})
