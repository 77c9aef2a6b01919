import * as Command from "@effect/platform/Command"
import * as FileSystem from "@effect/platform/FileSystem"
import { assert, describe, it, layer } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Stream from "effect/Stream"
import { readFileSync } from "node:fs"
import * as SandboxLive from "../layers/SandboxLive.js"
import { PlatformLayer } from "../layers/TestLayers.js"
import { Sandbox } from "../services/Sandbox.js"
import { ocm } from "../src/cli/Cli.js"
import { cliProgram, MainLayer } from "../src/cli/Main.js"
import { cleanEnvironment, repoRoot, runBin, runOcm, transcriptBin } from "./support/cli.js"
import { capturingConsole } from "./support/console.js"

const { version } = JSON.parse(readFileSync(`${repoRoot}package.json`, "utf8")) as { version: string }

/** Alive and not a zombie: a detached supervisor whose parent exited may linger unreaped as "Z". */
const alive = (pid: number) => {
  try {
    return !/^\d+ \(.*\) Z /.test(readFileSync(`/proc/${pid}/stat`, "utf8"))
  } catch {
    return false
  }
}

/** A fresh XDG_STATE_HOME, so these tests never see (or stop) a sandbox of the person running them. */
const isolatedStateHome = Effect.flatMap(FileSystem.FileSystem, (fs) => fs.makeTempDirectoryScoped({ prefix: "ocm-cli-test-" }))

/** `ocm sandbox up --foreground --json` as a child process, once it has printed its state (it is ready then). */
const foregroundSandbox = (env: Record<string, string>) =>
  Effect.gen(function* () {
    const child = yield* Command.start(
      Command.make(process.execPath, `${repoRoot}dist/ocm.mjs`, "sandbox", "up", "--foreground", "--json").pipe(Command.env(env))
    )
    const text = yield* child.stdout.pipe(
      Stream.decodeText(),
      Stream.scan("", (acc, chunk) => acc + chunk),
      Stream.takeUntil((acc) => acc.trimEnd().endsWith("}")),
      Stream.runLast,
      Effect.map((last) => (last._tag === "Some" ? last.value : "")),
      Effect.timeout("60 seconds")
    )
    return { process: child, state: JSON.parse(text) as { serverPid: number; root: string; statePath: string } }
  })

const oneLine = (stderr: string) => stderr.trim().split("\n")

describe("the ocm binary", () => {
  it.live("prints its version and help for every command", () =>
    Effect.gen(function* () {
      const env = cleanEnvironment()
      const versionRun = yield* runOcm(["--version"], env)
      assert.strictEqual(versionRun.code, 0)
      assert.strictEqual(versionRun.stdout.trim(), version)
      const commands = [
        [], ["one-shot"], ["begin-session"], ["chat"], ["final"], ["wait"], ["transcript"], ["delete"], ["rm"],
        ["list"], ["ls"], ["create"], ["new"], ["get"], ["show"], ["messages"], ["msgs"], ["last"], ["status"],
        ["children"], ["todo"], ["abort"], ["models"],
        ["wait-for-idle"], ["wait-any"], ["wait-all"], ["is-idle"], ["wait-for-text"],
        ["send"], ["prompt"], ["stream"], ["watch"], ["run"], ["respond"], ["permissions"], ["summary"], ["diff"], ["share"], ["unshare"],
        ["worktree"], ["wt"], ["wt", "create"], ["wt", "list"], ["wt", "remove"], ["wt", "run"], ["install-skill"], ["view-skill"],
        ["doctor"], ["ping"], ["demo"],
        ["sandbox"], ["sandbox", "up"], ["sandbox", "down"], ["sandbox", "status"], ["sandbox", "env"], ["sandbox", "run"],
        ["sandbox", "script"], ["sandbox", "requests"]
      ]
      // every command's help in this process, through the same program the bin runs (sixty node processes would
      // take minutes on a loaded machine); a few of them through the bin as well, which must print the same
      const inProcess = (command: ReadonlyArray<string>) =>
        Effect.map(
          capturingConsole(cliProgram(ocm, { name: "ocm", version }, false)(["node", "ocm", ...command, "--help"])),
          ({ captured, exit }) => ({ code: Exit.isSuccess(exit) ? 0 : 1, stdout: `${captured.stdout.join("\n")}\n` })
        ).pipe(Effect.provide(MainLayer))
      const helps = yield* Effect.forEach(commands, inProcess)
      for (const command of [[], ["wt", "run"], ["sandbox", "up"], ["chat"]]) {
        const bin = yield* runOcm([...command, "--help"], env)
        assert.strictEqual(bin.code, 0, `ocm ${command.join(" ")} --help`)
        assert.strictEqual(bin.stdout.trim(), helps[commands.findIndex((c) => c.join(" ") === command.join(" "))]!.stdout.trim())
      }
      for (const [i, command] of commands.entries()) {
        const help = helps[i]!
        assert.strictEqual(help.code, 0, `ocm ${command.join(" ")} --help`)
        assert.include(help.stdout, command.length === 0 ? "ocm" : command[command.length - 1]!)
        assert.include(help.stdout, "USAGE")
        assert.include(help.stdout, `\n$ ${["ocm", ...command].join(" ")}`, "the usage line names the whole command")
        for (const generic of ["A user-defined piece of text.", "This setting is optional.", "A true or false value."]) {
          assert.notInclude(help.stdout, generic, `ocm ${command.join(" ")} --help`)
        }
        assert.notInclude(help.stdout, "\u001b[", "help piped to a file or a program is plain text")
        assert.notInclude(help.stdout, "--wizard", "the wizard is not offered")
      }
      // the root help lists commands one per line: name and description, not every command's whole usage
      const root = (yield* runOcm(["--help"], env)).stdout.split("\n")
      const listed = root.slice(root.indexOf("COMMANDS") + 2, root.indexOf("", root.indexOf("COMMANDS") + 2))
      for (const command of commands.filter((c) => c.length > 0 && c[0] !== "wt")) {
        const row = listed.find((line) => line.startsWith(`  ${command.join(" ")}  `))
        assert.isDefined(row, `ocm --help lists ${command.join(" ")}`)
        assert.notMatch(row!, /\[--|<session>/, "no usage in the command list")
      }
      // `ocm help COMMAND…` (occtl's form) is the command's --help
      const viaHelp = yield* runOcm(["help", "wt", "run"], env)
      assert.strictEqual(viaHelp.code, 0, viaHelp.stderr)
      assert.strictEqual(viaHelp.stdout, (yield* runOcm(["wt", "run", "--help"], env)).stdout)
      // shell completions, from @effect/cli, name the subcommands
      for (const shell of ["bash", "zsh", "fish"]) {
        const completions = yield* runOcm(["--completions", shell], env)
        assert.strictEqual(completions.code, 0, `--completions ${shell}: ${completions.stderr}`)
        for (const word of ["begin-session", "wait-for-idle", "sandbox"]) assert.include(completions.stdout, word, shell)
      }
      const transcript = yield* runBin(transcriptBin, ["--version"], env)
      assert.strictEqual(transcript.code, 0)
      assert.strictEqual(transcript.stdout.trim(), version)
      const transcriptHelp = yield* runBin(transcriptBin, ["--help"], env)
      assert.strictEqual(transcriptHelp.code, 0)
      assert.include(transcriptHelp.stdout, "--input")
    }).pipe(Effect.provide(PlatformLayer)), 180_000)

  it.live("rejects bad input with exit 2 before contacting any server", () =>
    Effect.gen(function* () {
      const env = cleanEnvironment()
      // the server URL points nowhere: reaching for it would be exit 3, not 2
      const nowhere = { ...env, OPENCODE_BASE_URL: "http://127.0.0.1:9" }
      for (const args of [
        ["ping", "--bogus"],
        ["no-such-command"],
        ["sandbox", "up", "--port", "abc"],
        ["sandbox", "run"],
        ["chat"],
        ["list", "--sort", "nope"],
        // a mistyped option where a reference may stand is not taken for a session, directory or name
        ["transcript", "--bogus"],
        ["wait", "-x"],
        ["list", "--bogus"],
        ["wait-any", "ses_a", "--bogus"],
        ["wt", "remove", "--bogus"],
        // help for a command that does not exist is not the root help with exit 0
        ["help", "nosuch"],
        ["nosuch", "--help"],
        ["wt", "nosuch", "--help"],
        // an unknown log level is named as such, not "Invalid subcommand"
        ["--log-level", "bogus", "ping"],
        ["ping", "--log-level", "bogus"],
        ["ping", "--log-level"],
        // off a terminal the wizard would wait for ever on a closed stdin
        ["ping", "--wizard"],
        ["--wizard"],
        // an event type the server never sends would watch nothing for ever
        ["watch", "--events", "session.statu"],
        ["watch", "--all", "--events", "bogus.*"]
      ]) {
        const run = yield* runOcm(args, nowhere)
        assert.strictEqual(run.code, 2, `ocm ${args.join(" ")}: ${run.stderr}`)
        // one plain line, in the same form as every other error
        assert.lengthOf(oneLine(run.stderr), 1, run.stderr)
        assert.match(run.stderr, /^ocm: \S/)
        assert.notInclude(run.stderr, "\u001b[", "no terminal escapes when not on a terminal")
        assert.notInclude(run.stderr, "    at ", "no stack trace")
        assert.strictEqual(run.stdout, "")
      }
      const json = yield* runOcm(["chat", "--json"], nowhere)
      assert.strictEqual(json.code, 2)
      assert.deepStrictEqual(JSON.parse(json.stdout), {
        error: { tag: "ValidationError", message: "Missing argument <session>", exitCode: 2 }
      })
      assert.strictEqual(json.stderr, "ocm: Missing argument <session>\n")
      const transcriptBad = yield* runBin(transcriptBin, ["--bogus"], nowhere)
      assert.strictEqual(transcriptBad.code, 2, transcriptBad.stderr)
      assert.match(transcriptBad.stderr, /^opencode-transcript: .*'--bogus'/)
      const withCredentials = yield* runOcm(["ping", "--url", "http://user:hunter2@127.0.0.1:9"], env)
      assert.strictEqual(withCredentials.code, 2)
      assert.notInclude(withCredentials.stderr, "hunter2")
      assert.lengthOf(oneLine(withCredentials.stderr), 1)
    }).pipe(Effect.provide(PlatformLayer)), 180_000)

  it.live("reports an unreachable server with exit 3, one stderr line, and a JSON error under --json", () =>
    Effect.gen(function* () {
      const env = cleanEnvironment()
      const run = yield* runOcm(["ping", "--url", "http://127.0.0.1:9"], env)
      assert.strictEqual(run.code, 3)
      assert.lengthOf(oneLine(run.stderr), 1)
      assert.match(run.stderr, /^ocm: OpenCode server at http:\/\/127\.0\.0\.1:9 is unreachable/)
      assert.strictEqual(run.stdout, "")
      const debug = yield* runOcm(["ping", "--url", "http://127.0.0.1:9", "--log-level", "debug"], env)
      assert.strictEqual(debug.code, 3)
      assert.include(debug.stderr, "    at ", "--log-level debug (anywhere on the line) adds the trace")
      const json = yield* runOcm(["ping", "--json"], { ...env, OPENCODE_BASE_URL: "http://127.0.0.1:9" })
      assert.strictEqual(json.code, 3)
      const parsed = JSON.parse(json.stdout) as { error: { tag: string; exitCode: number } }
      assert.deepStrictEqual([parsed.error.tag, parsed.error.exitCode], ["ServerUnreachable", 3])
    }).pipe(Effect.provide(PlatformLayer)))

  it.live("a missing opencode binary is a SandboxError (exit 14) naming every place it looked", () =>
    Effect.gen(function* () {
      const fs = yield* FileSystem.FileSystem
      // the bundled CLI copied outside the repository cannot see the pinned package in node_modules
      const outside = yield* fs.makeTempDirectoryScoped({ prefix: "ocm-no-binary-" })
      yield* fs.copyFile(`${repoRoot}dist/ocm.mjs`, `${outside}/ocm.mjs`)
      const env = cleanEnvironment({ XDG_STATE_HOME: outside, PATH: `${outside}/empty-path` })
      const none = yield* runBin(`${outside}/ocm.mjs`, ["sandbox", "run", "--", "true"], env, outside)
      assert.strictEqual(none.code, 14, none.stderr)
      assert.lengthOf(oneLine(none.stderr), 1)
      for (const place of ["--opencode-bin", "OCM_OPENCODE_BIN", "opencode-ai", "PATH"]) assert.include(none.stderr, place)

      const wrong = yield* runOcm(["sandbox", "run", "--", "true"], cleanEnvironment({ XDG_STATE_HOME: outside, OCM_OPENCODE_BIN: `${outside}/nope` }))
      assert.strictEqual(wrong.code, 14, wrong.stderr)
      assert.include(wrong.stderr, `OCM_OPENCODE_BIN names ${outside}/nope`)
    }).pipe(Effect.scoped, Effect.provide(PlatformLayer)))

  it.live("sandbox up/status/env/ping/down: a background sandbox found through its state file, no leftovers", () =>
    Effect.gen(function* () {
      const fs = yield* FileSystem.FileSystem
      const env = cleanEnvironment({ XDG_STATE_HOME: yield* isolatedStateHome })

      const before = yield* runOcm(["sandbox", "status", "--json"], env)
      assert.strictEqual(before.code, 0)
      assert.isFalse((JSON.parse(before.stdout) as { running: boolean }).running)

      const up = yield* runOcm(["sandbox", "up", "--json"], env)
      assert.strictEqual(up.code, 0, up.stderr)
      const state = JSON.parse(up.stdout) as {
        url: string
        supervisorPid: number
        serverPid: number
        root: string
        projectDir: string
        statePath: string
        opencodeVersion: string
      }
      assert.strictEqual(state.opencodeVersion, "1.18.33")
      assert.isTrue(alive(state.supervisorPid) && alive(state.serverPid))
      assert.isTrue(yield* fs.exists(`${state.projectDir}/.git`))

      const second = yield* runOcm(["sandbox", "up"], env)
      assert.strictEqual(second.code, 14, "a second sandbox is refused")
      assert.include(second.stderr, "already running")

      const status = yield* runOcm(["sandbox", "status", "--json"], env)
      assert.isTrue((JSON.parse(status.stdout) as { running: boolean }).running)
      const exports = yield* runOcm(["sandbox", "env"], env)
      assert.include(exports.stdout, `export OPENCODE_BASE_URL=${state.url}`)

      // no URL given anywhere: the sandbox rule finds it through the state file
      const ping = yield* runOcm(["ping", "--json"], env)
      assert.strictEqual(ping.code, 0, ping.stderr)
      assert.deepInclude(JSON.parse(ping.stdout), { url: state.url, rule: "sandbox", version: "1.18.33" })

      const down = yield* runOcm(["sandbox", "down", "--json"], env)
      assert.strictEqual(down.code, 0, down.stderr)
      assert.isTrue((JSON.parse(down.stdout) as { stopped: boolean }).stopped)
      assert.isFalse(alive(state.supervisorPid), "supervisor stopped")
      assert.isFalse(alive(state.serverPid), "server stopped")
      assert.isFalse(yield* fs.exists(state.root), "temp dirs removed")
      assert.isFalse(yield* fs.exists(state.statePath), "state file removed")

      const envAfter = yield* runOcm(["sandbox", "env"], env)
      assert.strictEqual(envAfter.code, 14)
    }).pipe(Effect.scoped, Effect.provide(PlatformLayer)), { timeout: 300_000 })

  it.live("a crashed sandbox is cleaned up by the next up", () =>
    Effect.gen(function* () {
      const fs = yield* FileSystem.FileSystem
      const env = cleanEnvironment({ XDG_STATE_HOME: yield* isolatedStateHome })
      const up = yield* runOcm(["sandbox", "up", "--json"], env)
      assert.strictEqual(up.code, 0, up.stderr)
      const crashed = JSON.parse(up.stdout) as { supervisorPid: number; serverPid: number; root: string }
      process.kill(crashed.supervisorPid, "SIGKILL")
      yield* Effect.sleep("200 millis").pipe(Effect.repeat({ until: () => !alive(crashed.supervisorPid), times: 50 }))
      assert.isTrue(alive(crashed.serverPid), "the orphaned server is still there")

      const status = yield* runOcm(["sandbox", "status", "--json"], env)
      assert.isFalse((JSON.parse(status.stdout) as { running: boolean }).running)

      const again = yield* runOcm(["sandbox", "up", "--json"], env)
      assert.strictEqual(again.code, 0, again.stderr)
      assert.include(again.stderr, "did not stop cleanly")
      assert.isFalse(alive(crashed.serverPid), "the orphan was stopped")
      assert.isFalse(yield* fs.exists(crashed.root), "the orphan's dirs were removed")
      const fresh = JSON.parse(again.stdout) as { supervisorPid: number; serverPid: number }
      assert.notStrictEqual(fresh.serverPid, crashed.serverPid)
      const down = yield* runOcm(["sandbox", "down"], env)
      assert.strictEqual(down.code, 0)
      assert.isFalse(alive(fresh.supervisorPid) || alive(fresh.serverPid))
    }).pipe(Effect.scoped, Effect.provide(PlatformLayer)), { timeout: 300_000 })

  it.live("a sandbox whose owner was killed outright is swept by the next sandbox start", () =>
    Effect.gen(function* () {
      const fs = yield* FileSystem.FileSystem
      const env = cleanEnvironment({ XDG_STATE_HOME: yield* isolatedStateHome })
      const { process: owner, state } = yield* foregroundSandbox(env)
      // SIGKILL: no finalizer runs, the detached server is orphaned with its dirs
      process.kill(owner.pid, "SIGKILL")
      yield* owner.exitCode.pipe(Effect.ignore)
      assert.isTrue(alive(state.serverPid), "the orphan is still running")
      assert.isTrue(yield* fs.exists(state.root))

      const next = yield* runOcm(["sandbox", "run", "--", "true"], env)
      assert.strictEqual(next.code, 0, next.stderr)
      assert.isFalse(alive(state.serverPid), "the orphaned server was stopped")
      assert.isFalse(yield* fs.exists(state.root), "its dirs were removed")
    }).pipe(Effect.scoped, Effect.provide(PlatformLayer)), { timeout: 300_000 })

  it.live("sandbox run passes the sandbox URL to the command, exits with its code, and stops the sandbox", () =>
    Effect.gen(function* () {
      const env = cleanEnvironment({ XDG_STATE_HOME: yield* isolatedStateHome })
      const script = "console.log(process.env.OPENCODE_BASE_URL); process.exit(7)"
      const run = yield* runOcm(["sandbox", "run", "--", process.execPath, "-e", script], env)
      assert.strictEqual(run.code, 7)
      const url = run.stdout.trim()
      assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/)
      const after = yield* runOcm(["ping", "--url", url], env)
      assert.strictEqual(after.code, 3, "the sandbox server is gone after run")

      // a command that cannot start: 127, as a shell says "not found"
      const missing = yield* runOcm(["sandbox", "run", "--", "/no/such/command"], env)
      assert.strictEqual(missing.code, 127, missing.stderr)
      assert.include(missing.stderr, "ocm: /no/such/command: command not found")

      const nested = yield* runOcm(["sandbox", "run", "--", process.execPath, `${repoRoot}dist/ocm.mjs`, "ping", "--json"], env)
      assert.strictEqual(nested.code, 0, nested.stderr)
      assert.deepInclude(JSON.parse(nested.stdout), { rule: "OPENCODE_BASE_URL", version: "1.18.33" })
    }).pipe(Effect.scoped, Effect.provide(PlatformLayer)), { timeout: 300_000 })

  it.live("a foreground sandbox stops on Ctrl-C: exit 130, processes and dirs gone", () =>
    Effect.gen(function* () {
      const fs = yield* FileSystem.FileSystem
      const env = cleanEnvironment({ XDG_STATE_HOME: yield* isolatedStateHome })
      const { process: child, state } = yield* foregroundSandbox(env)
      assert.isTrue(alive(state.serverPid))
      process.kill(child.pid, "SIGINT")
      const code = yield* child.exitCode
      assert.strictEqual(Number(code), 130)
      assert.isFalse(alive(state.serverPid))
      assert.isFalse(yield* fs.exists(state.root))
      assert.isFalse(yield* fs.exists(state.statePath))
    }).pipe(Effect.scoped, Effect.provide(PlatformLayer)), { timeout: 300_000 })
})

describe("the ocm binary against a password-protected sandbox", () => {
  const password = "s3cret-for-cli-test"
  layer(SandboxLive.layer({ password: Redacted.make(password) }).pipe(Layer.provideMerge(PlatformLayer)), {
    timeout: 300_000,
    excludeTestServices: true
  })((it) => {
    it.effect("answers exit 4 without the password and 0 with it, never printing it", () =>
      Effect.gen(function* () {
        const { info } = yield* Sandbox
        const fs = yield* FileSystem.FileSystem
        const env = cleanEnvironment({ XDG_STATE_HOME: yield* isolatedStateHome })
        const denied = yield* runOcm(["ping", "--url", info.url], env)
        assert.strictEqual(denied.code, 4)
        assert.lengthOf(oneLine(denied.stderr), 1)
        assert.include(denied.stderr, "401")

        const allowed = yield* runOcm(["ping", "--url", info.url, "--json"], { ...env, OPENCODE_SERVER_PASSWORD: password })
        assert.strictEqual(allowed.code, 0, allowed.stderr)
        assert.notInclude(allowed.stdout + allowed.stderr, password)

        const dir = yield* fs.makeTempDirectoryScoped()
        yield* fs.writeFileString(`${dir}/password`, `${password}\n`)
        const fromFile = yield* runOcm(["ping", "--attach", info.url.replace("http://", ""), "--password-file", `${dir}/password`], env)
        assert.strictEqual(fromFile.code, 0, fromFile.stderr)
        assert.notInclude(fromFile.stdout + fromFile.stderr, password)
      }).pipe(Effect.scoped))
  })
})
