/**
 * The background sandbox through the binary, where it can go wrong: bad input refused before anything starts, a
 * server that dies under its supervisor, Ctrl-C while it starts, a password, and the temp files it leaves.
 */
import * as Command from "@effect/platform/Command"
import * as FileSystem from "@effect/platform/FileSystem"
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Schedule from "effect/Schedule"
import * as Stream from "effect/Stream"
import { readdirSync, readFileSync, readlinkSync } from "node:fs"
import { createServer } from "node:net"
import { resolveOpencodeBinary } from "../src/process/OpenCodeBinary.js"
import { PlatformLayer } from "../layers/TestLayers.js"
import { isolatedOcm, ocmBin, repoRoot, runOcm } from "./support/cli.js"
import { treeHash } from "./support/treeHash.js"

/** Alive and not a zombie. */
const alive = (pid: number) => {
  try {
    return !/^\d+ \(.*\) Z /.test(readFileSync(`/proc/${pid}/stat`, "utf8"))
  } catch {
    return false
  }
}

/** Live processes started in `dir` (or below it) or whose environment holds `variable` exactly. */
const processesOf = (dir: string, variable: string) =>
  readdirSync("/proc")
    .filter((entry) => /^\d+$/.test(entry) && alive(Number(entry)))
    .filter((pid) => {
      try {
        if (readlinkSync(`/proc/${pid}/cwd`).startsWith(dir)) return true
        return readFileSync(`/proc/${pid}/environ`, "utf8").split("\0").includes(variable)
      } catch {
        return false
      }
    })

const freePort = Effect.async<number>((resume) => {
  const server = createServer().listen(0, "127.0.0.1", () => {
    const address = server.address()
    const port = typeof address === "object" && address !== null ? address.port : 0
    server.close(() => resume(Effect.succeed(port)))
  })
})

/** A plain `opencode serve` that discovery finds when ocm runs in `project`, with nothing of the user's in it. */
const discoverableServer = (dir: string) =>
  Effect.gen(function* () {
    const fs = yield* FileSystem.FileSystem
    const project = `${dir}/project`
    yield* fs.makeDirectory(project, { recursive: true })
    const binary = yield* resolveOpencodeBinary(undefined)
    const port = yield* freePort
    const isolatedDirs = ["HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME", "TMPDIR"].map(
      (name) => `${name}=${dir}/${name.toLowerCase()}`
    )
    yield* Effect.forEach(isolatedDirs, (entry) => fs.makeDirectory(entry.slice(entry.indexOf("=") + 1), { recursive: true }))
    const server = yield* Command.start(
      Command.make(
        "env",
        "-i",
        ...isolatedDirs,
        "OPENCODE_DISABLE_MODELS_FETCH=1",
        `PATH=${process.env.PATH}`,
        binary.path,
        "serve",
        "--port",
        String(port),
        "--hostname",
        "127.0.0.1"
      ).pipe(Command.workingDirectory(project))
    )
    yield* Effect.addFinalizer(() => server.kill("SIGKILL").pipe(Effect.ignore))
    yield* server.stdout.pipe(
      Stream.decodeText(),
      Stream.scan("", (seen, chunk) => seen + chunk),
      Stream.takeUntil((seen) => seen.includes("listening on")),
      Stream.runDrain,
      Effect.timeout("60 seconds")
    )
    return { project, pid: server.pid, url: `http://127.0.0.1:${port}` }
  })

const oneLine = (text: string) => text.trim().split("\n")

describe("ocm sandbox: bad input", () => {
  it.live("is refused with exit 2 before anything starts: no sandbox dir, no state, no wait", () =>
    Effect.gen(function* () {
      const fs = yield* FileSystem.FileSystem
      const { env, tmp, statePath } = yield* isolatedOcm
      const empty = `${tmp}-empty-password`
      yield* fs.writeFileString(empty, "  \n")
      yield* Effect.addFinalizer(() => fs.remove(empty).pipe(Effect.ignore))
      // the user's world, beside TMPDIR (which must stay empty)
      const world = `${tmp}-world`
      yield* fs.makeDirectory(`${world}/no-index`, { recursive: true })
      yield* Effect.addFinalizer(() => fs.remove(world, { recursive: true }).pipe(Effect.ignore))
      yield* fs.writeFileString(`${world}/broken.jsonc`, '{\n  "agent": {,\n}')
      const cases: ReadonlyArray<readonly [ReadonlyArray<string>, string]> = [
        [["sandbox", "run", "--bogus", "--", "true"], "unknown option '--bogus'"],
        [["sandbox", "run", "--json", "--", "true"], "sandbox run has no --json"],
        [["sandbox", "run", "true"], "the command goes after --"],
        [["sandbox", "run", "--"], "needs a command"],
        [["sandbox", "run", "--port", "0", "--", "true"], "--port must be a port number 1-65535, got 0"],
        [["sandbox", "up", "--port", "0"], "--port must be a port number 1-65535, got 0"],
        [["sandbox", "up", "--port", "70000"], "--port must be a port number 1-65535, got 70000"],
        [["sandbox", "up", "--password-file", `${tmp}/no-such-file`], "no-such-file"],
        [["sandbox", "up", "--password-file", empty], "is empty"],
        [["sandbox", "run", "--password-file", empty, "--", "true"], "is empty"],
        [["sandbox", "up", "--in-place"], "--in-place needs --project"],
        [["sandbox", "up", "--project", `${world}/none`], `--project: ${world}/none does not exist`],
        [["sandbox", "run", "--project", `${world}/broken.jsonc`, "--", "true"], "is not a directory"],
        [["sandbox", "up", "--config", `${world}/broken.jsonc`], `--config: ${world}/broken.jsonc is not JSON or JSONC: `],
        [["sandbox", "run", "--config", `${world}/broken.jsonc`, "--", "true"], "at line 2, column 13"],
        [["sandbox", "run", "--config", `${world}/none.json`, "--", "true"], `--config: ${world}/none.json does not exist`],
        [["sandbox", "up", "--plugin", `${world}/no-index`], "has no package.json or index file"],
        [["sandbox", "run", "--plugin", `${world}/none.js`, "--", "true"], `--plugin: ${world}/none.js does not exist`],
        [["demo", "--in-place"], "--in-place needs --project"],
        [["demo", "--project", `${world}/none`], "does not exist"],
        [["demo", "--config", `${world}/broken.jsonc`], "is not JSON or JSONC"],
        [["demo", "--plugin", `${world}/none.js`], "none.js does not exist"],
        [["run", "--spawn", "--spawn-port", "0", "--model", "scripted/scripted", "hi"], "--spawn-port must be a port number 1-65535, got 0"],
        [["run", "--spawn", "--spawn-port", "70000", "--model", "scripted/scripted", "hi"], "got 70000"],
        [["run", "--spawn", "--url", "http://127.0.0.1:9", "--model", "scripted/scripted", "hi"], "cannot be combined with --url"],
        [["run", "--spawn", "--attach", "127.0.0.1:9", "--model", "scripted/scripted", "hi"], "cannot be combined with --attach"]
      ]
      for (const [args, said] of cases) {
        const started = Date.now()
        const run = yield* runOcm(args, env)
        const what = `ocm ${args.join(" ")}: exit ${run.code}, ${run.stderr}`
        assert.strictEqual(run.code, 2, what)
        assert.lengthOf(oneLine(run.stderr), 1, what)
        assert.include(run.stderr, said, what)
        // a sandbox takes seconds to start and a refused port took 60 s: a refusal takes neither
        assert.isBelow(Date.now() - started, 30_000, what)
        assert.deepStrictEqual(yield* fs.readDirectory(tmp), [], `${what}: nothing was started`)
        assert.isFalse(yield* fs.exists(statePath), what)
      }
      // a child command's own options after `--` are its own, not ocm's
      const json = yield* runOcm(["sandbox", "run", "--json", "--", "true"], env)
      assert.deepInclude(JSON.parse(json.stdout), { error: { tag: "InvalidInput", message: json.stderr.trim().replace(/^ocm: /, ""), exitCode: 2 } })
    }).pipe(Effect.scoped, Effect.provide(PlatformLayer)), { timeout: 180_000 })
})

describe("ocm sandbox: a server that dies", () => {
  it.live("is a gone sandbox: its supervisor exits, commands say so with exit 14 despite another server, down clears it", () =>
    Effect.gen(function* () {
      const fs = yield* FileSystem.FileSystem
      const { env, tmp, statePath } = yield* isolatedOcm
      // another server on the machine that discovery would find from here
      const other = yield* discoverableServer(yield* fs.makeTempDirectoryScoped({ prefix: "ocm-discoverable-" }))
      const found = yield* runOcm(["ping", "--json"], env, other.project)
      assert.deepInclude(JSON.parse(found.stdout), { rule: "discovered process", url: other.url })

      const up = yield* runOcm(["sandbox", "up", "--json"], env, other.project)
      assert.strictEqual(up.code, 0, up.stderr)
      const state = JSON.parse(up.stdout) as { url: string; supervisorPid: number; serverPid: number; root: string }
      process.kill(state.serverPid, "SIGKILL")
      // the supervisor notices and stops: it does not stay behind a dead server
      yield* Effect.sleep("200 millis").pipe(Effect.repeat({ until: () => !alive(state.supervisorPid), times: 300 }))
      assert.isFalse(alive(state.supervisorPid), "the supervisor exited within 60 s of its server's death")
      assert.isFalse(yield* fs.exists(state.root), "its dirs were removed")
      assert.isTrue(yield* fs.exists(statePath), "the state file stays, saying the sandbox is gone")

      for (const args of [["ping"], ["create", "--title", "would land elsewhere"], ["list"]]) {
        const refused = yield* runOcm(args, env, other.project)
        const what = `ocm ${args.join(" ")}: ${refused.stdout}${refused.stderr}`
        assert.strictEqual(refused.code, 14, what)
        assert.lengthOf(oneLine(refused.stderr), 1, what)
        assert.include(refused.stderr, `the sandbox at ${state.url} is gone`, what)
        assert.include(refused.stderr, "was killed by SIGKILL", what)
        assert.include(refused.stderr, "ocm sandbox down", what)
        assert.notInclude(refused.stdout + refused.stderr, other.url, what)
      }
      const status = JSON.parse((yield* runOcm(["sandbox", "status", "--json"], env)).stdout) as { running: boolean; gone: boolean }
      assert.deepInclude(status, { running: false, gone: true })
      const doctor = yield* runOcm(["doctor", "--json"], env, other.project)
      assert.strictEqual(doctor.code, 15, doctor.stderr)
      const checks = (JSON.parse(doctor.stdout) as { checks: Array<{ name: string; status: string; detail: string }> }).checks
      assert.deepInclude(checks.find((check) => check.name === "base-url"), { status: "fail" })
      assert.include(checks.find((check) => check.name === "base-url")?.detail ?? "", "is gone")

      const down = yield* runOcm(["sandbox", "down", "--json"], env)
      assert.strictEqual(down.code, 0, down.stderr)
      assert.deepInclude(JSON.parse(down.stdout), { stopped: true, gone: true })
      assert.isFalse(yield* fs.exists(statePath), "down cleared the state")
      assert.deepStrictEqual(yield* fs.readDirectory(tmp), [])
      // with no sandbox any more, discovery applies again
      const after = yield* runOcm(["ping", "--json"], env, other.project)
      assert.deepInclude(JSON.parse(after.stdout), { rule: "discovered process", url: other.url })
    }).pipe(Effect.scoped, Effect.provide(PlatformLayer)), { timeout: 240_000 })

  it.live("a command that changes state on a discovered server names it on stderr; a reading one stays quiet", () =>
    Effect.gen(function* () {
      const fs = yield* FileSystem.FileSystem
      const { env } = yield* isolatedOcm
      const other = yield* discoverableServer(yield* fs.makeTempDirectoryScoped({ prefix: "ocm-discoverable-" }))
      const named = `ocm: using the OpenCode server discovered at ${other.url} (pid ${other.pid}, started in ${other.project})`
      const create = yield* runOcm(["create", "--title", "on a discovered server", "--json"], env, other.project)
      assert.strictEqual(create.code, 0, create.stderr)
      assert.include(create.stderr, named)
      const id = (JSON.parse(create.stdout) as { id: string }).id
      const list = yield* runOcm(["list", "--json"], env, other.project)
      assert.strictEqual(list.code, 0, list.stderr)
      assert.include(list.stdout, id)
      assert.notInclude(list.stderr, "discovered", "reading commands stay quiet")
      const removed = yield* runOcm(["rm", id], env, other.project)
      assert.strictEqual(removed.code, 0, removed.stderr)
      assert.include(removed.stderr, named)
    }).pipe(Effect.scoped, Effect.provide(PlatformLayer)), { timeout: 180_000 })
})

describe("ocm sandbox: Ctrl-C while it starts", () => {
  it.live("exits 130 and leaves no supervisor, no server, no dirs and no state", () =>
    Effect.gen(function* () {
      const fs = yield* FileSystem.FileSystem
      const { env, tmp, stateHome, statePath } = yield* isolatedOcm
      const up = yield* Command.start(Command.make(process.execPath, ocmBin, "sandbox", "up").pipe(Command.env(env)))
      // the supervisor is running and has started its server (whose owner record is written once it exists)
      const serverStarted = Effect.sync(() =>
        readdirSync(tmp).some((entry) => entry.startsWith("ocm-sandbox-") && readdirSync(`${tmp}/${entry}`).includes("owner.json"))
      )
      yield* serverStarted.pipe(
        Effect.repeat({ schedule: Schedule.spaced("50 millis"), until: (started) => started }),
        Effect.timeout("60 seconds")
      )
      process.kill(up.pid, "SIGINT")
      const [code] = yield* Effect.all([up.exitCode, up.stdout.pipe(Stream.runDrain), up.stderr.pipe(Stream.runDrain)], {
        concurrency: "unbounded"
      })
      assert.strictEqual(Number(code), 130)
      assert.deepStrictEqual(processesOf(tmp, `XDG_STATE_HOME=${stateHome}`), [], "no process of that sandbox is left")
      assert.deepStrictEqual(yield* fs.readDirectory(tmp), [], "its dirs were removed")
      assert.isFalse(yield* fs.exists(statePath), "no state file")
    }).pipe(Effect.scoped, Effect.provide(PlatformLayer)), { timeout: 180_000 })
})

describe("ocm sandbox: --password-file", () => {
  it.live("up and run require the password of the file, which never appears in any output or state", () =>
    Effect.gen(function* () {
      const fs = yield* FileSystem.FileSystem
      const { env, tmp, statePath } = yield* isolatedOcm
      const password = "pw-for-the-sandbox-test-31415"
      const dir = yield* fs.makeTempDirectoryScoped({ prefix: "ocm-password-" })
      const file = `${dir}/password`
      yield* fs.writeFileString(file, `${password}\n`)
      const outputs: Array<string> = []
      const ocm = (args: ReadonlyArray<string>) =>
        Effect.tap(runOcm(args, env, dir), (run) => Effect.sync(() => outputs.push(run.stdout, run.stderr)))

      const up = yield* ocm(["sandbox", "up", "--password-file", "password", "--json"])
      assert.strictEqual(up.code, 0, up.stderr)
      assert.strictEqual((JSON.parse(up.stdout) as { passwordFile: string }).passwordFile, file)
      const denied = yield* ocm(["ping"])
      assert.strictEqual(denied.code, 4, "the sandbox rule finds it, and it wants the password")
      const allowed = yield* ocm(["ping", "--password-file", file, "--json"])
      assert.strictEqual(allowed.code, 0, allowed.stderr)
      assert.include((yield* ocm(["sandbox", "status"])).stdout, "required")
      assert.notInclude(yield* fs.readFileString(statePath), password)
      assert.strictEqual((yield* ocm(["sandbox", "down"])).code, 0)

      // sandbox run hands the password to its command, in the environment only
      const run = yield* ocm(["sandbox", "run", "--password-file", file, "--", process.execPath, ocmBin, "ping", "--json"])
      assert.strictEqual(run.code, 0, run.stderr)
      assert.deepInclude(JSON.parse(run.stdout), { rule: "OPENCODE_BASE_URL", ok: true })
      for (const text of outputs) assert.notInclude(text, password)
      assert.deepStrictEqual(yield* fs.readDirectory(tmp), [])
    }).pipe(Effect.scoped, Effect.provide(PlatformLayer)), { timeout: 240_000 })
})

describe("ocm demo", () => {
  it.live("passes on a copy of a project with a plugin, leaves the project as it was and nothing in TMPDIR", () =>
    Effect.gen(function* () {
      const fs = yield* FileSystem.FileSystem
      const { env, tmp } = yield* isolatedOcm
      const project = yield* fs.makeTempDirectoryScoped({ prefix: "ocm-demo-project-" })
      yield* fs.writeFileString(`${project}/README.md`, "# a project the demo works on a copy of\n")
      const before = treeHash(project)
      const demo = yield* runOcm(["demo", "--json", "--project", project, "--plugin", `${repoRoot}fixtures/plugins/system-marker.js`], env)
      assert.strictEqual(demo.code, 0, demo.stderr)
      assert.isTrue((JSON.parse(demo.stdout) as { passed: boolean }).passed)
      assert.deepStrictEqual(yield* fs.readDirectory(tmp), [])
      assert.strictEqual(treeHash(project), before)
    }).pipe(Effect.scoped, Effect.provide(PlatformLayer)), { timeout: 240_000 })
})
