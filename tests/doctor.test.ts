import * as ProcessHostLive from "../layers/ProcessHostLive.js"
import type { ProcessHost } from "../services/ProcessHost.js"
import * as FileSystem from "@effect/platform/FileSystem"
import type * as HttpClient from "@effect/platform/HttpClient"
import * as Path from "@effect/platform/Path"
import { assert, describe, it } from "@effect/vitest"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { connector, usedEndpoints } from "../layers/OpenCodeClientLive.js"
import { PlatformLayer } from "../layers/TestLayers.js"
import {
  type ConfigDiscovery,
  discoverConfig,
  effectiveSettings,
  openCodeEnvironment,
  parseConfigText,
  parseJsonc
} from "../src/local/OpencodeConfig.js"
import type { OpenApiDocument } from "../src/domain/Domain.js"
import { DoctorFailed } from "../src/domain/Errors.js"
import { runDoctor } from "../src/cli/doctor.js"
import { doctorReport, missingEndpoints } from "../src/programs/doctor.js"
import { renderDoctorReport } from "../src/present/doctor.js"
import { writeSandboxState } from "../src/local/SandboxState.js"
import { capturingConsole } from "./support/console.js"

type Env = Record<string, string>

const withEnv = <A, E, R>(env: Env, effect: Effect.Effect<A, E, R>) =>
  effect.pipe(Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(env)))))

const discover = (cwd: string, env: Env) =>
  withEnv(env, Effect.flatMap(openCodeEnvironment(cwd), discoverConfig))

const write = (file: string, text: string) =>
  Effect.gen(function* () {
    const fs = yield* FileSystem.FileSystem
    const path = yield* Path.Path
    yield* fs.makeDirectory(path.dirname(file), { recursive: true })
    yield* fs.writeFileString(file, text)
  })

const tempDir = Effect.flatMap(FileSystem.FileSystem, (fs) => fs.makeTempDirectoryScoped({ prefix: "ocm-doctor-" }))

const existing = (discovery: ConfigDiscovery) => discovery.sources.filter((source) => source.exists)

describe("parseJsonc", () => {
  it("accepts comments and trailing commas, and leaves strings alone", () => {
    const parsed = parseJsonc(`\uFEFF{
      // a line comment, with a "quote" and a trailing comma,
      "model": "a/b", /* a block
      comment */ "url": "http://x//y/*z*/",
      "list": [1, 2, ],
      "escaped": "say \\"hi\\", }",
      "nested": { "k": "v", },
    }`)
    assert.deepStrictEqual(parsed, {
      ok: true,
      value: { model: "a/b", url: "http://x//y/*z*/", list: [1, 2], escaped: 'say "hi", }', nested: { k: "v" } }
    })
  })

  it("rejects what OpenCode rejects, with the line and column of the problem", () => {
    assert.deepStrictEqual(parseJsonc(`{\n  "model": "a",,\n}`), {
      ok: false,
      error: "expected a property name in double quotes at line 2, column 16"
    })
    assert.deepStrictEqual(parseJsonc(`{"a": 1} /* never closed`), {
      ok: false,
      error: "unterminated /* comment at line 1, column 10"
    })
    assert.deepStrictEqual(parseJsonc(`{\n  "a": \n}`), { ok: false, error: `unexpected "}", expected a value at line 3, column 1` })
    assert.deepStrictEqual(parseJsonc(`{"a": 'single'}`), { ok: false, error: `unexpected "'" at line 1, column 7` })
    assert.deepStrictEqual(parseJsonc(`{"a": 1} {}`), { ok: false, error: "unexpected text after the end at line 1, column 10" })
    assert.deepStrictEqual(parseJsonc(`[1, 2`), { ok: false, error: `expected "," or "]" at line 1, column 6` })
    assert.deepStrictEqual(parseJsonc(`{"a": "\\x"}`), { ok: false, error: "invalid escape in string at line 1, column 7" })
    assert.deepStrictEqual(parseJsonc(`// only a comment`), { ok: false, error: "unexpected end, expected a value at line 1, column 18" })
    assert.deepStrictEqual(parseJsonc(`{"a": "line\nbreak"}`), { ok: false, error: "unterminated string at line 1, column 7" })
    assert.deepStrictEqual(parseJsonc(`{"a": "bell\u0007"}`), { ok: false, error: "a control character inside a string at line 1, column 7" })
    assert.deepStrictEqual(parseJsonc(`{"a": "\\u12"}`), { ok: false, error: "invalid \\u escape in string at line 1, column 7" })
    assert.deepStrictEqual(parseJsonc(`{model: "a"}`), { ok: false, error: `unexpected "m" at line 1, column 2` })
    assert.deepStrictEqual(parseJsonc(`{"a" 1}`), { ok: false, error: `expected ":" at line 1, column 6` })
    assert.deepStrictEqual(parseJsonc(`{"a": 1\n "b": 2}`), { ok: false, error: `expected "," at line 2, column 2` })
    assert.deepStrictEqual(parseJsonc(`{"a": 1e}`), { ok: false, error: "invalid number at line 1, column 7" })
    assert.deepStrictEqual(parseJsonc(`{"a": {"b": 1}`), { ok: false, error: `expected "," or "}" at line 1, column 15` })
  })

  it("takes a byte-order mark, nested trailing commas and comments anywhere", () => {
    assert.deepStrictEqual(parseJsonc(`\uFEFF{"a": [1, [2, ], ], /* c */ "b": {"c": {}, }, } // end`), {
      ok: true,
      value: { a: [1, [2]], b: { c: {} } }
    })
    assert.deepStrictEqual(parseJsonc(`{"a": 1, "a": 2}`), { ok: true, value: { a: 2 } }, "the last of a repeated key wins, as in JSON")
  })

  it("reads values exactly as JSON does, __proto__ included as a plain key", () => {
    const text = `{"n": -1.5e3, "t": true, "f": false, "z": null, "u": "\\u00e9\\n", "__proto__": {"polluted": 1}, "a": [[], {}]}`
    const parsed = parseJsonc(text)
    assert.deepStrictEqual(parsed, { ok: true, value: JSON.parse(text) })
    if (parsed.ok) assert.isUndefined((parsed.value as { polluted?: unknown }).polluted)
  })

  it("reads a config document: empty is {}, a non-object is an error, {env:NAME} is substituted", () => {
    const lookup = (name: string) => (name === "MODEL" ? "env/model" : undefined)
    assert.deepStrictEqual(parseConfigText("", lookup), { ok: true, config: {} })
    assert.deepStrictEqual(parseConfigText("[1]", lookup), { ok: false, error: "not a JSON object" })
    assert.deepStrictEqual(parseConfigText(`{"model": "{env:MODEL}", "x": "{env:UNSET}"}`, lookup), {
      ok: true,
      config: { model: "env/model", x: "" }
    })
  })
})

describe("OpenCode config discovery", () => {
  /**
   * Every source OpenCode 1.18.33 reads, each setting `username` to its own name. The expected order is what
   * `opencode debug config` showed for this layout, by removing the winner until none was left.
   */
  it.scoped("layers the sources in OpenCode's order, outermost project file first, outer .opencode last", () =>
    Effect.gen(function* () {
      const root = yield* tempDir
      const home = `${root}/home`
      const project = `${root}/outer/proj`
      const sub = `${project}/sub`
      const ordered = [
        `${home}/.config/opencode/config.json`,
        `${home}/.config/opencode/opencode.json`,
        `${home}/.config/opencode/opencode.jsonc`,
        `${root}/custom.json`,
        `${project}/opencode.json`,
        `${project}/opencode.jsonc`,
        `${sub}/opencode.json`,
        `${sub}/opencode.jsonc`,
        `${sub}/.opencode/opencode.json`,
        `${sub}/.opencode/opencode.jsonc`,
        `${project}/.opencode/opencode.json`,
        `${project}/.opencode/opencode.jsonc`,
        `${home}/.opencode/opencode.json`,
        `${root}/cfgdir/opencode.json`,
        `${root}/cfgdir/opencode.jsonc`,
        "OPENCODE_CONFIG_CONTENT",
        `${root}/managed/opencode.json`
      ]
      for (const file of ordered.filter((file) => file.startsWith("/"))) {
        yield* write(file, `{\n  // ${file}\n  "username": "${file}",\n}\n`)
      }
      // above the git worktree root: OpenCode never reads it
      yield* write(`${root}/outer/opencode.json`, `{"username": "outside the worktree"}`)
      yield* write(`${project}/.git/HEAD`, "ref: refs/heads/main\n")
      const env: Env = {
        HOME: home,
        OPENCODE_CONFIG: `${root}/custom.json`,
        OPENCODE_CONFIG_DIR: `${root}/cfgdir`,
        OPENCODE_CONFIG_CONTENT: `{"username": "OPENCODE_CONFIG_CONTENT"}`,
        OPENCODE_TEST_MANAGED_CONFIG_DIR: `${root}/managed`
      }

      const discovery = yield* discover(sub, env)
      assert.strictEqual(discovery.worktree, project)
      assert.deepStrictEqual(existing(discovery).map((source) => source.path), ordered)
      assert.isTrue(discovery.sources.every((source) => source.parses))
      assert.deepStrictEqual(
        existing(discovery).map((source) => source.config["username"]),
        ordered,
        "each source read from its own file"
      )
      const [username] = effectiveSettings(discovery.sources, ["username"])
      assert.strictEqual(username!.value, `${root}/managed/opencode.json`)
      assert.deepStrictEqual(username!.overridden, ordered.slice(0, -1))
      assert.deepStrictEqual(
        [...new Set(discovery.sources.map((source) => source.kind))],
        ["global", "OPENCODE_CONFIG", "project", ".opencode", "OPENCODE_CONFIG_DIR", "OPENCODE_CONFIG_CONTENT", "managed"]
      )

      const withoutProject = yield* discover(sub, { ...env, OPENCODE_DISABLE_PROJECT_CONFIG: "TRUE" })
      assert.deepStrictEqual(
        existing(withoutProject).map((source) => source.path),
        ordered.filter((file) => !file.startsWith(project))
      )
    }).pipe(Effect.provide(PlatformLayer)))

  it.scoped("outside git walks up to the filesystem root; lists missing global files; reports the effective settings", () =>
    Effect.gen(function* () {
      const root = yield* tempDir
      const home = `${root}/home`
      const cwd = `${root}/a/b`
      yield* write(`${root}/opencode.json`, `{"small_model": "outer/small", "model": "outer/model"}`)
      yield* write(`${cwd}/opencode.jsonc`, `{"model": "{env:OCM_TEST_MODEL}", /* agent */ "default_agent": "plan",}`)
      yield* write(`${root}/a/opencode.json`, `{"model": "broken",, }`)
      const discovery = yield* discover(cwd, {
        HOME: home,
        XDG_CONFIG_HOME: `${root}/xdg`,
        OCM_TEST_MODEL: "env/model",
        OPENCODE_TEST_MANAGED_CONFIG_DIR: `${root}/no-managed-dir`
      })
      assert.deepStrictEqual(
        discovery.sources.slice(0, 3).map((source) => [source.path, source.exists]),
        ["config.json", "opencode.json", "opencode.jsonc"].map((file) => [`${root}/xdg/opencode/${file}`, false])
      )
      const projectFiles = discovery.sources.filter((source) => source.kind === "project").map((source) => source.path)
      assert.deepStrictEqual(
        projectFiles.filter((file) => file.startsWith(root)),
        [`${root}/opencode.json`, `${root}/a/opencode.json`, `${cwd}/opencode.jsonc`]
      )
      assert.isFalse(discovery.sources.some((source) => source.kind === "managed"), "no managed dir, no managed source")
      const broken = discovery.sources.find((source) => source.path === `${root}/a/opencode.json`)!
      assert.isFalse(broken.parses)
      assert.match(broken.error ?? "", /line 1, column \d+/)
      assert.deepStrictEqual(
        effectiveSettings(discovery.sources).map((setting) => [setting.key, setting.value, setting.source]),
        [
          ["model", "env/model", `${cwd}/opencode.jsonc`],
          ["small_model", "outer/small", `${root}/opencode.json`],
          ["default_agent", "plan", `${cwd}/opencode.jsonc`]
        ]
      )
    }).pipe(Effect.provide(PlatformLayer)))
})

const docWith = (paths: OpenApiDocument["paths"]): OpenApiDocument => ({ paths })

describe("missingEndpoints", () => {
  const everything = () => {
    const paths: Record<string, Record<string, unknown>> = {}
    for (const endpoint of usedEndpoints) paths[endpoint.path] = { ...paths[endpoint.path], [endpoint.method]: {} }
    return paths
  }

  it("finds nothing missing when /doc lists every endpoint ocm uses", () => {
    assert.deepStrictEqual(missingEndpoints(docWith(everything())), [])
  })

  it("lists an endpoint whose path or method is absent; parameter names do not matter", () => {
    const paths = everything()
    delete paths["/session/{sessionID}/abort"]
    const { delete: _removed, ...rest } = paths["/session/{sessionID}"]!
    paths["/session/{sessionID}"] = rest
    paths["/session/{id}/message/{msg}"] = paths["/session/{sessionID}/message/{messageID}"]!
    delete paths["/session/{sessionID}/message/{messageID}"]
    assert.deepStrictEqual(missingEndpoints(docWith(paths)), [
      { method: "delete", path: "/session/{sessionID}" },
      { method: "post", path: "/session/{sessionID}/abort" }
    ])
    assert.deepStrictEqual(missingEndpoints(docWith({ "/global/health": { GET: {} } }), [{ method: "get", path: "/global/health" }]), [])
  })
})

describe("doctor without a server", () => {
  const host = ProcessHostLive.layerAt


  const options = { skipServerCheck: true, url: Option.none(), attach: Option.none(), passwordFile: Option.none() }

  it.scoped("skips the server checks, reports config and auth, and fails on a stale sandbox state file", () =>
    Effect.gen(function* () {
      const root = yield* tempDir
      const env: Env = {
        HOME: `${root}/home`,
        XDG_STATE_HOME: `${root}/state`,
        OPENCODE_BASE_URL: "http://127.0.0.1:9",
        OPENCODE_SERVER_PASSWORD: "s3cret-unit",
        OPENCODE_TEST_MANAGED_CONFIG_DIR: `${root}/managed`
      }
      yield* write(`${root}/home/.config/opencode/opencode.json`, `{"model": "p/m"}`)
      yield* write(`${root}/project/.git/HEAD`, "ref: refs/heads/main\n")
      const run = <A, E>(
        effect: Effect.Effect<A, E, ProcessHost | FileSystem.FileSystem | Path.Path | HttpClient.HttpClient>,
        environment: Env = env
      ) => withEnv(environment, effect).pipe(Effect.provide(host(`${root}/project`)))

      const report = yield* run(doctorReport(options).pipe(Effect.provide(connector)))
      assert.isTrue(report.ok)
      assert.deepStrictEqual(
        report.checks.map((check) => [check.name, check.status]),
        [["config", "pass"], ["base-url", "pass"], ["auth", "pass"], ["reachability", "skip"], ["endpoints", "skip"], ["sandbox", "pass"]]
      )
      assert.deepStrictEqual([report.server.rule, report.server.url], ["OPENCODE_BASE_URL", "http://127.0.0.1:9"])
      assert.strictEqual(report.server.password, "set (from OPENCODE_SERVER_PASSWORD)")
      assert.deepStrictEqual(report.config.effective[0], {
        key: "model",
        value: "p/m",
        source: `${root}/home/.config/opencode/opencode.json`,
        overridden: []
      })
      const missingNamedFile = yield* run(doctorReport(options).pipe(Effect.provide(connector)), { ...env, OPENCODE_CONFIG: `${root}/nowhere.json` })
      assert.deepStrictEqual(missingNamedFile.checks[0], {
        name: "config",
        status: "fail",
        detail: `OPENCODE_CONFIG names ${root}/nowhere.json, which does not exist (OpenCode ignores it)`
      })
      // skipped checks are counted as skipped, never as passed
      assert.deepStrictEqual(report.summary, { total: 6, passed: 4, failed: 0, skipped: 2 })
      assert.isUndefined(report.server.effective, "the server's settings are not read when its checks are skipped")
      const text = renderDoctorReport(report)
      assert.include(text, "\n4 of 6 checks passed, 2 skipped (reachability, endpoints)")
      assert.notInclude(text, "all 6 checks passed")
      assert.include(text, "effective settings from the local config files")
      assert.include(text, "server's effective settings: not read")
      assert.notInclude(text + JSON.stringify(report), "s3cret-unit")

      yield* withEnv(
        env,
        writeSandboxState({
          version: 1,
          url: "http://127.0.0.1:1",
          port: 1,
          supervisorPid: 2147483646,
          serverPid: 2147483646,
          modelUrl: "http://127.0.0.1:2/v1",
          root: `${root}/sandbox`,
          projectDir: `${root}/sandbox/project`,
          home: `${root}/sandbox/home`,
          logFile: `${root}/sandbox/server.log`,
          opencodeVersion: "1.18.33",
          startedAt: "2026-01-01T00:00:00.000Z"
        })
      )
      const { exit, captured } = yield* capturingConsole(run(runDoctor({ ...options, json: false })))
      assert.include(
        captured.stdout.join("\n"),
        "1 of 6 checks failed: sandbox; 3 passed, 2 skipped (reachability, endpoints)",
        "the report is printed before failing"
      )
      const failed = yield* Effect.flip(exit)
      assert.instanceOf(failed, DoctorFailed)
      assert.lengthOf(failed.failed, 1)
      assert.match(failed.failed[0]!, /^sandbox: stale state file .*sandbox\.json/)
    }).pipe(Effect.provide(PlatformLayer)))
})
