import * as ProcessHostLive from "../layers/ProcessHostLive.js"
import * as FileSystem from "@effect/platform/FileSystem"
import { assert, describe, layer } from "@effect/vitest"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as SandboxLive from "../layers/SandboxLive.js"
import { PlatformLayer, SandboxClientLayer } from "../layers/TestLayers.js"
import { OpenCodeClient } from "../services/OpenCodeClient.js"
import { Sandbox } from "../services/Sandbox.js"
import { DoctorFailed } from "../src/domain/Errors.js"
import { runDoctor as doctor } from "../src/cli/doctor.js"
import type { DoctorOptions, DoctorReport } from "../src/programs/doctor.js"
import { capturingConsole } from "./support/console.js"

const secret = "tr0ub4dor-and-3"

const hostAt = ProcessHostLive.layerAt


type Options = DoctorOptions & { readonly json: boolean }

const options = (overrides: Partial<Options> = {}): Options => ({
  json: false,
  skipServerCheck: false,
  url: Option.none(),
  attach: Option.none(),
  passwordFile: Option.none(),
  ...overrides
})

/** The sandbox's own HOME and XDG dirs, a private state dir, OPENCODE_BASE_URL pointing at the sandbox. */
const sandboxEnvironment = Effect.gen(function* () {
  const { info } = yield* Sandbox
  const fs = yield* FileSystem.FileSystem
  const stateHome = yield* fs.makeTempDirectoryScoped({ prefix: "ocm-doctor-state-" })
  return {
    HOME: info.home,
    XDG_CONFIG_HOME: `${info.home}/.config`,
    XDG_STATE_HOME: stateHome,
    OPENCODE_TEST_MANAGED_CONFIG_DIR: `${info.root}/managed-config`,
    OPENCODE_BASE_URL: info.url
  } as Record<string, string>
})

const runDoctor = (env: Record<string, string>, cwd: string, doctorOptions: Options) =>
  capturingConsole(doctor(doctorOptions)).pipe(
    Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(env)))),
    Effect.provide(hostAt(cwd))
  )

const statuses = (report: DoctorReport) => report.checks.map((check) => [check.name, check.status])

describe("ocm doctor against a real sandbox", () => {
  layer(SandboxClientLayer(), { timeout: 300_000, excludeTestServices: true })((it) => {
    it.scoped("passes every check, and its effective settings are the ones the server itself reports", () =>
      Effect.gen(function* () {
        const { info } = yield* Sandbox
        const client = yield* OpenCodeClient
        const fs = yield* FileSystem.FileSystem
        const sub = `${info.projectDir}/doctor-sub`
        yield* fs.makeDirectory(`${sub}/.opencode`, { recursive: true })
        yield* fs.makeDirectory(`${info.projectDir}/.opencode`, { recursive: true })
        // OpenCode installs @opencode-ai/plugin into each config dir that lacks it, and reads the config only after:
        // these dirs say it is there, as the sandbox's own does, so the check is of precedence, not of npm's speed
        yield* Effect.forEach([`${sub}/.opencode`, `${info.projectDir}/.opencode`], (dir) =>
          Effect.zipRight(
            fs.makeDirectory(`${dir}/node_modules`, { recursive: true }),
            fs.writeFileString(
              `${dir}/package-lock.json`,
              JSON.stringify({ name: "opencode", lockfileVersion: 3, packages: { "": { dependencies: { "@opencode-ai/plugin": "*" } } } })
            )
          ))
        yield* fs.writeFileString(`${info.projectDir}/opencode.json`, `{"small_model": "scripted/from-root"}`)
        yield* fs.writeFileString(`${sub}/opencode.jsonc`, `{\n  // the innermost project file wins\n  "small_model": "scripted/from-sub",\n}\n`)
        yield* fs.writeFileString(`${sub}/.opencode/opencode.json`, `{"default_agent": "asker"}`)
        yield* fs.writeFileString(`${info.projectDir}/.opencode/opencode.jsonc`, `{"default_agent": "proof", /* outer wins */}`)

        const { exit, captured } = yield* runDoctor(yield* sandboxEnvironment, sub, options({ json: true }))
        assert.isTrue(Exit.isSuccess(exit), `doctor failed: ${captured.stdout.join("\n")}`)
        const report = JSON.parse(captured.stdout.join("\n")) as DoctorReport
        assert.deepStrictEqual(
          statuses(report),
          [["config", "pass"], ["base-url", "pass"], ["auth", "pass"], ["reachability", "pass"], ["endpoints", "pass"], ["sandbox", "pass"]]
        )
        assert.deepStrictEqual([report.server.url, report.server.rule, report.server.version], [info.url, "OPENCODE_BASE_URL", info.opencodeVersion])
        assert.strictEqual(report.server.password, "not set")
        assert.strictEqual(report.config.worktree, info.projectDir)

        const effective = Object.fromEntries(report.config.effective.map((setting) => [setting.key, setting.value]))
        assert.deepStrictEqual(effective, { model: "scripted/scripted", small_model: "scripted/from-sub", default_agent: "proof" })
        const server = yield* client.config({ directory: sub })
        assert.deepStrictEqual(
          { model: server.model, small_model: server.small_model, default_agent: server["default_agent"] },
          effective,
          "the server resolved the same sources to the same settings"
        )
        assert.deepStrictEqual(report.server.effective, { directory: sub, settings: effective }, "and doctor reports the server's own")
        assert.deepStrictEqual(report.summary, { total: 6, passed: 6, failed: 0, skipped: 0 })
      }))

    it.scoped("reports the server's effective settings (GET /config), labelled apart from the local config files", () =>
      Effect.gen(function* () {
        const { info } = yield* Sandbox
        const fs = yield* FileSystem.FileSystem
        // this shell's own global config names another model than the server runs with
        const localConfig = yield* fs.makeTempDirectoryScoped({ prefix: "ocm-doctor-config-" })
        yield* fs.makeDirectory(`${localConfig}/opencode`, { recursive: true })
        yield* fs.writeFileString(`${localConfig}/opencode/opencode.json`, `{"model": "scripted/local-only", "default_agent": "proof"}`)
        const env = { ...(yield* sandboxEnvironment), XDG_CONFIG_HOME: localConfig }
        // a directory of its own, away from the project files other tests write
        const here = `${info.root}/doctor-elsewhere-${Date.now()}`
        yield* fs.makeDirectory(here, { recursive: true })

        const json = yield* runDoctor(env, here, options({ json: true }))
        assert.isTrue(Exit.isSuccess(json.exit), json.captured.stdout.join("\n"))
        const report = JSON.parse(json.captured.stdout.join("\n")) as DoctorReport
        const local = Object.fromEntries(report.config.effective.map((setting) => [setting.key, setting.value ?? null]))
        assert.deepStrictEqual(local, { model: "scripted/local-only", small_model: null, default_agent: "proof" })
        assert.deepStrictEqual(report.server.effective, {
          directory: here,
          settings: { model: "scripted/scripted", small_model: "scripted/scripted", default_agent: null }
        })

        const text = yield* runDoctor(env, here, options())
        const printed = text.captured.stdout.join("\n")
        assert.include(printed, "effective settings from the local config files")
        assert.include(printed, "model          scripted/local-only  from ")
        assert.include(printed, `server's effective settings (GET /config for ${here}: what sessions here get)`)
        assert.include(printed, "model          scripted/scripted  (differs from the local config files: scripted/local-only)")
        assert.include(printed, "default_agent  not set (the server's default applies)  (differs from the local config files: proof)")
        assert.include(printed, "\nall 6 checks passed")
      }))

    it.scoped("never prints the password, from the environment or from --password-file", () =>
      Effect.gen(function* () {
        const { info } = yield* Sandbox
        const fs = yield* FileSystem.FileSystem
        const env = { ...(yield* sandboxEnvironment), OPENCODE_SERVER_PASSWORD: secret }
        const passwordFile = yield* fs.makeTempFileScoped({ prefix: "ocm-doctor-password-" })
        yield* fs.writeFileString(passwordFile, `${secret}-file\n`)

        const text = yield* runDoctor(env, info.projectDir, options())
        const json = yield* runDoctor(env, info.projectDir, options({ json: true }))
        const fromFile = yield* runDoctor(env, info.projectDir, options({ passwordFile: Option.some(passwordFile) }))
        for (const run of [text, json, fromFile]) {
          assert.isTrue(Exit.isSuccess(run.exit), run.captured.stdout.join("\n"))
          assert.notInclude([...run.captured.stdout, ...run.captured.stderr].join("\n"), secret)
        }
        assert.include(text.captured.stdout.join("\n"), "password  set (from OPENCODE_SERVER_PASSWORD)")
        assert.strictEqual((JSON.parse(json.captured.stdout.join("\n")) as DoctorReport).server.password, "set (from OPENCODE_SERVER_PASSWORD)")
        assert.include(fromFile.captured.stdout.join("\n"), "password  set (from --password-file)")

        // a failing run: neither the report nor the error carries it
        const failing = yield* runDoctor(env, info.projectDir, options({ url: Option.some("http://127.0.0.1:9") }))
        assert.isTrue(Exit.isFailure(failing.exit))
        assert.notInclude(JSON.stringify(failing.exit) + failing.captured.stdout.join("\n"), secret)
      }))

    it.scoped("an unreachable server is a failed check: the whole report is printed, then DoctorFailed (exit 15)", () =>
      Effect.gen(function* () {
        const { info } = yield* Sandbox
        const env = yield* sandboxEnvironment
        const unreachable = options({ url: Option.some("http://127.0.0.1:9") })

        const text = yield* runDoctor(env, info.projectDir, unreachable)
        assert.isTrue(Exit.isFailure(text.exit))
        const error = yield* Effect.flip(text.exit)
        assert.instanceOf(error, DoctorFailed)
        assert.lengthOf(error.failed, 1)
        assert.match(error.failed[0]!, /^reachability: OpenCode server at http:\/\/127\.0\.0\.1:9 is unreachable/)
        const printed = text.captured.stdout.join("\n")
        for (const expected of ["OpenCode config for", "effective settings", "rule      --url", "fail  reachability:", "skip  endpoints:", "pass  sandbox:", "1 of 6 checks failed: reachability"]) {
          assert.include(printed, expected)
        }

        const json = yield* runDoctor(env, info.projectDir, { ...unreachable, json: true })
        assert.isTrue(Exit.isFailure(json.exit))
        const report = JSON.parse(json.captured.stdout.join("\n")) as DoctorReport
        assert.isFalse(report.ok)
        assert.deepStrictEqual(
          statuses(report),
          [["config", "pass"], ["base-url", "pass"], ["auth", "pass"], ["reachability", "fail"], ["endpoints", "skip"], ["sandbox", "pass"]]
        )
        assert.isUndefined(report.server.version)
        assert.isUndefined(report.server.effective)
        assert.deepStrictEqual(report.summary, { total: 6, passed: 4, failed: 1, skipped: 1 })

        const skipped = yield* runDoctor(env, info.projectDir, { ...unreachable, skipServerCheck: true })
        assert.isTrue(Exit.isSuccess(skipped.exit), "--skip-server-check: the unreachable server is not a failure")
      }))
  })
})

describe("ocm doctor against a sandbox with a server password", () => {
  layer(SandboxLive.layer({ password: Redacted.make(secret) }).pipe(Layer.provideMerge(PlatformLayer)), {
    timeout: 300_000,
    excludeTestServices: true
  })((it) => {
    it.scoped("fails auth on the server's 401 without the password or with a wrong one, passes with it", () =>
      Effect.gen(function* () {
        const { info } = yield* Sandbox
        const env = yield* sandboxEnvironment
        const reportOf = (run: { readonly captured: { readonly stdout: ReadonlyArray<string> } }) =>
          JSON.parse(run.captured.stdout.join("\n")) as DoctorReport

        const without = yield* runDoctor(env, info.projectDir, options({ json: true }))
        assert.isTrue(Exit.isFailure(without.exit))
        assert.deepStrictEqual(statuses(reportOf(without)).slice(2, 5), [["auth", "fail"], ["reachability", "fail"], ["endpoints", "skip"]])
        assert.match(reportOf(without).checks[2]!.detail, /401: it wants a password/)

        const wrong = yield* runDoctor({ ...env, OPENCODE_SERVER_PASSWORD: "not-the-password" }, info.projectDir, options({ json: true }))
        assert.isTrue(Exit.isFailure(wrong.exit))
        assert.match(reportOf(wrong).checks[2]!.detail, /refused the password \(from OPENCODE_SERVER_PASSWORD\)/)
        assert.notInclude(wrong.captured.stdout.join("\n"), "not-the-password")

        const right = yield* runDoctor({ ...env, OPENCODE_SERVER_PASSWORD: secret }, info.projectDir, options({ json: true }))
        assert.isTrue(Exit.isSuccess(right.exit), right.captured.stdout.join("\n"))
        assert.deepStrictEqual(statuses(reportOf(right)).slice(2, 5), [["auth", "pass"], ["reachability", "pass"], ["endpoints", "pass"]])
        assert.notInclude(right.captured.stdout.join("\n"), secret)
      }))
  })
})
