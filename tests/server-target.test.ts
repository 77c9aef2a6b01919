import * as Command from "@effect/platform/Command"
import * as FileSystem from "@effect/platform/FileSystem"
import * as NodeContext from "@effect/platform-node/NodeContext"
import { assert, describe, it } from "@effect/vitest"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import * as Redacted from "effect/Redacted"
import type * as Scope from "effect/Scope"
import { InvalidInput, SandboxError } from "../src/domain/Errors.js"
import { type SandboxState, writeSandboxState } from "../src/local/SandboxState.js"
import { listeningSockets, preferredServer, resolveServerTarget, serverCommandLine, type ServerTarget, type TargetFlags } from "../src/engine/ServerTarget.js"
import { resolveOpencodeBinary } from "../src/process/OpenCodeBinary.js"
import * as ProcessHostLive from "../layers/ProcessHostLive.js"

type Env = Record<string, string>

const withEnv = <A, E, R>(env: Env, effect: Effect.Effect<A, E, R>) =>
  effect.pipe(Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(env)))))

/** A temp directory used as HOME and XDG_STATE_HOME, so no real state file can be seen. */
const isolatedEnv = Effect.gen(function* () {
  const fs = yield* FileSystem.FileSystem
  const dir = yield* fs.makeTempDirectoryScoped({ prefix: "ocm-target-" })
  return { dir, env: { HOME: dir, XDG_STATE_HOME: dir } as Env }
})

const resolve = (env: Env, flags: TargetFlags = {}) => withEnv(env, resolveServerTarget(flags))

const failure = (env: Env, flags: TargetFlags = {}) =>
  Effect.gen(function* () {
    const error = yield* Effect.flip(resolve(env, flags))
    assert.instanceOf(error, InvalidInput)
    return error
  })

const sandboxState = (pid: number, port: number): SandboxState => ({
  version: 1,
  url: `http://127.0.0.1:${port}`,
  port,
  supervisorPid: pid,
  serverPid: pid,
  modelUrl: "http://127.0.0.1:1/v1",
  root: "/tmp/ocm-sandbox",
  projectDir: "/tmp/ocm-sandbox/project",
  home: "/tmp/ocm-sandbox/home",
  logFile: "/tmp/ocm-sandbox/server.log",
  opencodeVersion: "1.18.33",
  startedAt: "2026-01-01T00:00:00.000Z"
})

const DEAD_PID = 2147483646

const live = (name: string, body: () => Effect.Effect<void, unknown, NodeContext.NodeContext | Scope.Scope>, timeout?: number) =>
  it.scopedLive(name, () => body().pipe(Effect.provide(NodeContext.layer)), timeout)

describe("resolveServerTarget: --url", () => {
  live("uses --url, normalised, over every other source", () =>
    Effect.gen(function* () {
      const { env } = yield* isolatedEnv
      const target = yield* resolve(
        { ...env, OPENCODE_BASE_URL: "http://base:1", OPENCODE_SERVER_HOST: "h", OPENCODE_SERVER_PORT: "2" },
        { url: "http://example.test:8080/" }
      )
      assert.strictEqual(target.url, "http://example.test:8080")
      assert.strictEqual(target.rule, "--url")
    }))

  live("adds http:// to a bare host:port and keeps https", () =>
    Effect.gen(function* () {
      const { env } = yield* isolatedEnv
      assert.strictEqual((yield* resolve(env, { url: "localhost:5000" })).url, "http://localhost:5000")
      assert.strictEqual((yield* resolve(env, { url: "https://secure.test" })).url, "https://secure.test")
    }))

  live("refuses a non-http URL and a malformed URL", () =>
    Effect.gen(function* () {
      const { env } = yield* isolatedEnv
      assert.include((yield* failure(env, { url: "ftp://example.test" })).message, "http")
      assert.include((yield* failure(env, { url: "http://exa mple:99999" })).message, "--url")
    }))

  live("refuses credentials in the URL without echoing the password", () =>
    Effect.gen(function* () {
      const { env } = yield* isolatedEnv
      const error = yield* failure(env, { url: "http://admin:hunter2@example.test:4096" })
      assert.notInclude(error.message, "hunter2")
      assert.include(error.message, "OPENCODE_SERVER_PASSWORD")
      const userOnly = yield* failure(env, { url: "http://admin@example.test:4096" })
      assert.include(userOnly.message, "--url")
    }))
})

describe("resolveServerTarget: --attach", () => {
  live("turns host:port into an http URL", () =>
    Effect.gen(function* () {
      const { env } = yield* isolatedEnv
      const target = yield* resolve({ ...env, OPENCODE_BASE_URL: "http://base:1" }, { attach: "127.0.0.1:5151" })
      assert.strictEqual(target.url, "http://127.0.0.1:5151")
      assert.strictEqual(target.rule, "--attach")
      assert.strictEqual((yield* resolve(env, { attach: "my-host:80" })).url, "http://my-host")
    }))

  live("refuses anything that is not host:port", () =>
    Effect.gen(function* () {
      const { env } = yield* isolatedEnv
      for (const bad of ["5151", "host", "http://host:5151", "host:", ":5151", "host:port", "host:123456", "a b:1"]) {
        const error = yield* failure(env, { attach: bad })
        assert.include(error.message, "--attach", bad)
      }
    }))

  live("refuses --url together with --attach", () =>
    Effect.gen(function* () {
      const { env } = yield* isolatedEnv
      const error = yield* failure(env, { url: "http://a:1", attach: "b:2" })
      assert.include(error.message, "--url")
      assert.include(error.message, "--attach")
    }))
})

describe("resolveServerTarget: environment", () => {
  live("OPENCODE_BASE_URL comes before OPENCODE_SERVER_HOST/PORT", () =>
    Effect.gen(function* () {
      const { env } = yield* isolatedEnv
      const target = yield* resolve({
        ...env,
        OPENCODE_BASE_URL: "https://remote.test:9443/",
        OPENCODE_SERVER_HOST: "other",
        OPENCODE_SERVER_PORT: "1234"
      })
      assert.strictEqual(target.url, "https://remote.test:9443")
      assert.strictEqual(target.rule, "OPENCODE_BASE_URL")
    }))

  live("a blank OPENCODE_BASE_URL counts as unset", () =>
    Effect.gen(function* () {
      const { env } = yield* isolatedEnv
      const target = yield* resolve({ ...env, OPENCODE_BASE_URL: "  ", OPENCODE_SERVER_PORT: "7000" })
      assert.strictEqual(target.rule, "OPENCODE_SERVER_HOST/PORT")
      assert.strictEqual(target.url, "http://127.0.0.1:7000")
    }))

  live("OPENCODE_BASE_URL with credentials is refused without echoing the password", () =>
    Effect.gen(function* () {
      const { env } = yield* isolatedEnv
      const error = yield* failure({ ...env, OPENCODE_BASE_URL: "http://u:t0ps3cret@remote.test" })
      assert.include(error.message, "OPENCODE_BASE_URL")
      assert.notInclude(error.message, "t0ps3cret")
    }))

  live("OPENCODE_SERVER_HOST and OPENCODE_SERVER_PORT default each other to 127.0.0.1 and 4096", () =>
    Effect.gen(function* () {
      const { env } = yield* isolatedEnv
      const both = yield* resolve({ ...env, OPENCODE_SERVER_HOST: "10.0.0.5", OPENCODE_SERVER_PORT: "5000" })
      assert.strictEqual(both.url, "http://10.0.0.5:5000")
      assert.strictEqual(both.rule, "OPENCODE_SERVER_HOST/PORT")
      const hostOnly = yield* resolve({ ...env, OPENCODE_SERVER_HOST: "10.0.0.5" })
      assert.strictEqual(hostOnly.url, "http://10.0.0.5:4096")
      assert.strictEqual(hostOnly.rule, "OPENCODE_SERVER_HOST/PORT")
      const portOnly = yield* resolve({ ...env, OPENCODE_SERVER_PORT: "5001" })
      assert.strictEqual(portOnly.url, "http://127.0.0.1:5001")
      assert.strictEqual(portOnly.rule, "OPENCODE_SERVER_HOST/PORT")
    }))

  live("a non-numeric OPENCODE_SERVER_PORT is invalid input", () =>
    Effect.gen(function* () {
      const { env } = yield* isolatedEnv
      for (const port of ["http", "40 96", "-1", "4096x"]) {
        const error = yield* failure({ ...env, OPENCODE_SERVER_PORT: port })
        assert.include(error.message, "OPENCODE_SERVER_PORT", port)
      }
    }))
})

describe("resolveServerTarget: sandbox state file", () => {
  live("uses a running sandbox's URL when no flag or variable names a server", () =>
    Effect.gen(function* () {
      const { dir, env } = yield* isolatedEnv
      const path = yield* withEnv(env, writeSandboxState(sandboxState(process.pid, 45678)))
      assert.strictEqual(path, `${dir}/ocm/sandbox.json`)
      const target = yield* resolve(env)
      assert.strictEqual(target.rule, "sandbox")
      assert.strictEqual(target.url, "http://127.0.0.1:45678")
      assert.strictEqual(target.detail, path)
    }))

  live("the sandbox comes after the environment variables", () =>
    Effect.gen(function* () {
      const { env } = yield* isolatedEnv
      yield* withEnv(env, writeSandboxState(sandboxState(process.pid, 45678)))
      const byPort = yield* resolve({ ...env, OPENCODE_SERVER_PORT: "5002" })
      assert.strictEqual(byPort.rule, "OPENCODE_SERVER_HOST/PORT")
      assert.strictEqual(byPort.url, "http://127.0.0.1:5002")
      const byBase = yield* resolve({ ...env, OPENCODE_BASE_URL: "http://base.test:1" })
      assert.strictEqual(byBase.rule, "OPENCODE_BASE_URL")
    }))

  live("finds the state file under HOME/.local/state when XDG_STATE_HOME is unset", () =>
    Effect.gen(function* () {
      const { dir } = yield* isolatedEnv
      const env = { HOME: dir }
      const path = yield* withEnv(env, writeSandboxState(sandboxState(process.pid, 45679)))
      assert.strictEqual(path, `${dir}/.local/state/ocm/sandbox.json`)
      const target = yield* resolve(env)
      assert.strictEqual(target.rule, "sandbox")
      assert.strictEqual(target.url, "http://127.0.0.1:45679")
    }))

  // a sandbox that died must never be replaced quietly by whatever server discovery finds (its sessions are not there)
  const gone = (env: Env) =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(resolve(env))
      assert.instanceOf(error, SandboxError)
      return error.message
    })

  live("refuses a state file whose processes are dead: the sandbox is gone, sandbox down clears it", () =>
    Effect.gen(function* () {
      const { env } = yield* isolatedEnv
      yield* withEnv(env, writeSandboxState(sandboxState(DEAD_PID, 45680)))
      const message = yield* gone(env)
      assert.include(message, "the sandbox at http://127.0.0.1:45680 is gone")
      assert.include(message, '"ocm sandbox down" clears it')
    }))

  live("refuses a state file whose server is dead even if the supervisor lives", () =>
    Effect.gen(function* () {
      const { env } = yield* isolatedEnv
      yield* withEnv(env, writeSandboxState({ ...sandboxState(process.pid, 45681), serverPid: DEAD_PID }))
      assert.include(yield* gone(env), "is gone")
    }))

  live("refuses a state file that records how its sandbox ended, and says how", () =>
    Effect.gen(function* () {
      const { env } = yield* isolatedEnv
      const ended = { at: "2026-01-01T00:01:00.000Z", reason: "its server (pid 7) was killed by SIGKILL" }
      yield* withEnv(env, writeSandboxState({ ...sandboxState(process.pid, 45682), ended }))
      assert.include(yield* gone(env), "its server (pid 7) was killed by SIGKILL")
    }))

  live("refuses a corrupt state file instead of looking elsewhere", () =>
    Effect.gen(function* () {
      const fs = yield* FileSystem.FileSystem
      const { dir, env } = yield* isolatedEnv
      yield* fs.makeDirectory(`${dir}/ocm`, { recursive: true })
      yield* fs.writeFileString(`${dir}/ocm/sandbox.json`, "{not json")
      assert.include(yield* gone(env), `the sandbox state file ${dir}/ocm/sandbox.json cannot be read`)
    }))

  live("the named rules still win over a gone sandbox", () =>
    Effect.gen(function* () {
      const { env } = yield* isolatedEnv
      yield* withEnv(env, writeSandboxState(sandboxState(DEAD_PID, 45683)))
      assert.strictEqual((yield* resolve({ ...env, OPENCODE_BASE_URL: "http://base.test:1" })).rule, "OPENCODE_BASE_URL")
      assert.strictEqual((yield* resolve(env, { url: "http://a.test:1" })).rule, "--url")
    }))
})

describe("resolveServerTarget: discovery and default", () => {
  live("falls back to a discovered `opencode serve` or http://127.0.0.1:4096", () =>
    Effect.gen(function* () {
      const { env } = yield* isolatedEnv
      const target = yield* resolve(env)
      assert.include(["default", "discovered process"], target.rule)
      assert.match(target.url, /^http:\/\/[^/\s:]+:\d{1,5}$/)
      if (target.rule === "default") {
        assert.strictEqual(target.url, "http://127.0.0.1:4096")
        assert.isUndefined(target.detail)
      } else {
        assert.match(target.detail ?? "", /^pid \d+$/)
      }
    }))
})

describe("discovery of an `opencode serve` process", () => {
  // two listening sockets (inodes 41001 and 41002), one connection that is not listening, and the header
  const tcp = [
    "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode",
    "   0: 0100007F:1000 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 41001 1 0000 100 0 0 10 0",
    "   1: 00000000:83A5 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 41002 1 0000 100 0 0 10 0",
    "   2: 0100007F:1000 0100007F:D2F0 01 00000000:00000000 00:00000000 00000000     0        0 41003 1 0000 20 4 30 10 -1",
    ""
  ].join("\n")
  const tcp6 = [
    "  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode",
    "   0: 00000000000000000000000001000000:1F90 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 41004 1 0000 100 0 0 10 0"
  ].join("\n")

  it("reads the listening sockets of /proc/net/tcp and tcp6: inode to port", () => {
    assert.deepStrictEqual([...listeningSockets(tcp)], [["41001", 4096], ["41002", 33701]])
    assert.deepStrictEqual([...listeningSockets(tcp6)], [["41004", 8080]])
    assert.deepStrictEqual([...listeningSockets("")], [])
  })

  it("knows a server's command line: opencode serve, or the TUI, with the port and hostname it was given", () => {
    const bin = "/home/u/.npm/bin/opencode"
    assert.deepStrictEqual(serverCommandLine([bin, "serve", "--port", "4097", "--hostname=0.0.0.0"]), { port: "4097", hostname: "0.0.0.0" })
    assert.deepStrictEqual(serverCommandLine(["node", bin, "serve"]), { port: undefined, hostname: undefined })
    assert.deepStrictEqual(serverCommandLine([bin, "--port", "4098"]), { port: "4098", hostname: undefined })
    assert.deepStrictEqual(serverCommandLine([bin, "/work/app", "--port=4099"]), { port: "4099", hostname: undefined })
    assert.deepStrictEqual(serverCommandLine([bin]), { port: undefined, hostname: undefined })
    assert.isUndefined(serverCommandLine([bin, "run", "--port", "4100", "hello"]), "a one-shot run is no server to attach to")
    assert.isUndefined(serverCommandLine([bin, "export", "ses_1"]))
    assert.isUndefined(serverCommandLine(["/usr/bin/vim", "opencode.json"]))
    assert.isUndefined(serverCommandLine(["/usr/bin/grep", "serve", "opencode"]))
    assert.isUndefined(serverCommandLine(["less", "opencode"]), "a file named opencode opened by another program")
  })

  it("prefers the server started in the current directory or nearest above it, else the newest", () => {
    const servers = [
      { pid: "900", cwd: "/work" },
      { pid: "120", cwd: "/work/app" },
      { pid: "950", cwd: "/elsewhere" },
      { pid: "300", cwd: "/work/application" }
    ]
    const chosen = (cwd: string | undefined) => Option.getOrUndefined(Option.map(preferredServer(servers, cwd), (s) => s.pid))
    assert.strictEqual(chosen("/work/app"), "120")
    assert.strictEqual(chosen("/work/app/src/deep"), "120")
    assert.strictEqual(chosen("/work/other"), "900")
    assert.strictEqual(chosen("/work/applications"), "900", "a sibling whose name starts the same is not above")
    assert.strictEqual(chosen("/tmp"), "950", "none above: the newest")
    assert.strictEqual(chosen(undefined), "950")
    assert.isTrue(Option.isNone(preferredServer([], "/work")))
  })

  live("finds a server started without a port by its listening socket, and prefers the one started here", () =>
    Effect.gen(function* () {
      const fs = yield* FileSystem.FileSystem
      const { dir, env } = yield* isolatedEnv
      const project = `${dir}/project`
      yield* fs.makeDirectory(project)
      const binary = yield* resolveOpencodeBinary(undefined)
      const isolated = ["HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"].map(
        (name, i) => `${name}=${dir}/${i === 0 ? "home" : name.toLowerCase()}`
      )
      // `opencode serve` without --port: 4096 if it is free, any port otherwise
      const server = yield* Command.start(
        Command.make("env", "-i", ...isolated, "OPENCODE_DISABLE_MODELS_FETCH=1", `PATH=${process.env.PATH}`, binary.path, "serve").pipe(
          Command.workingDirectory(project)
        )
      )
      yield* Effect.addFinalizer(() => server.kill("SIGKILL").pipe(Effect.ignore))
      const said = yield* server.stdout.pipe(
        Stream.decodeText(),
        Stream.scan("", (seen, chunk) => seen + chunk),
        Stream.takeUntil((seen) => /listening on http:\/\/\S+/.test(seen)),
        Stream.runLast,
        Effect.timeout("60 seconds")
      )
      const url = /listening on (http:\/\/\S+)/.exec(Option.getOrElse(said, () => ""))?.[1]
      assert.isDefined(url)
      // other servers may run (other test files' sandboxes): the one started in this directory is chosen
      const target = yield* resolve(env).pipe(Effect.provide(ProcessHostLive.layerAt(`${project}/sub`)))
      assert.deepStrictEqual([target.rule, target.url, target.detail], ["discovered process", url, `pid ${server.pid}`])
    }), 90_000)
})

describe("resolveServerTarget: credentials", () => {
  const leaks = (target: ServerTarget, secret: string) =>
    JSON.stringify(target).includes(secret) || String(target.password).includes(secret)

  live("has no password and user opencode by default", () =>
    Effect.gen(function* () {
      const { env } = yield* isolatedEnv
      const target = yield* resolve(env, { url: "http://a.test:1" })
      assert.isUndefined(target.password)
      assert.strictEqual(target.username, "opencode")
    }))

  live("OPENCODE_SERVER_USERNAME overrides the user name", () =>
    Effect.gen(function* () {
      const { env } = yield* isolatedEnv
      const target = yield* resolve({ ...env, OPENCODE_SERVER_USERNAME: "alice" }, { url: "http://a.test:1" })
      assert.strictEqual(target.username, "alice")
    }))

  live("OPENCODE_SERVER_PASSWORD becomes a redacted password that never prints", () =>
    Effect.gen(function* () {
      const { env } = yield* isolatedEnv
      const secret = "correct-horse-battery"
      const target = yield* resolve({ ...env, OPENCODE_SERVER_PASSWORD: secret }, { url: "http://a.test:1" })
      assert.isDefined(target.password)
      assert.isTrue(Redacted.isRedacted(target.password))
      assert.strictEqual(Redacted.value(target.password!), secret)
      assert.isFalse(leaks(target, secret))
      assert.notInclude(JSON.stringify(target), secret)
      assert.notInclude(String(target.password), secret)
    }))

  live("--password-file is read, trimmed, and wins over OPENCODE_SERVER_PASSWORD", () =>
    Effect.gen(function* () {
      const fs = yield* FileSystem.FileSystem
      const { dir, env } = yield* isolatedEnv
      const file = `${dir}/password`
      yield* fs.writeFileString(file, "  from-the-file\n\n")
      const target = yield* resolve(
        { ...env, OPENCODE_SERVER_PASSWORD: "from-the-env" },
        { url: "http://a.test:1", passwordFile: file }
      )
      assert.isDefined(target.password)
      assert.strictEqual(Redacted.value(target.password!), "from-the-file")
      assert.isFalse(leaks(target, "from-the-file"))
    }))

  live("an unreadable --password-file is invalid input", () =>
    Effect.gen(function* () {
      const { dir, env } = yield* isolatedEnv
      const error = yield* failure(env, { url: "http://a.test:1", passwordFile: `${dir}/missing` })
      assert.include(error.message, "--password-file")
    }))
})
