/**
 * The package as a user gets it (issue #8): the packed tarball installed into a temporary global prefix, whose `ocm`
 * runs a sandbox, a one-shot and the demo with nothing of this checkout around it; and a project that installs the
 * tarball, compiles README's library examples under strict flags and runs what the compiler emitted.
 */
import * as FileSystem from "@effect/platform/FileSystem"
import { assert, describe, layer } from "@effect/vitest"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { readFileSync, readlinkSync, realpathSync } from "node:fs"
import { dirname } from "node:path"
import { PlatformLayer } from "../layers/TestLayers.js"
import { cleanEnvironment, repoRoot, runProgram, succeeded } from "./support/cli.js"
import { libraryExamples, testingExamples } from "./support/readme.js"

const manifest = JSON.parse(readFileSync(`${repoRoot}package.json`, "utf8")) as {
  readonly version: string
  readonly dependencies: Record<string, string>
  readonly devDependencies: Record<string, string>
}

/** npm with the runner's environment (its cache is warm after `npm ci`), minus what `npm test` exports to scripts. */
const npm = (args: ReadonlyArray<string>, cwd: string) =>
  runProgram(
    ["npm", ...args],
    Object.fromEntries(Object.entries(cleanEnvironment()).filter(([key]) => !key.toLowerCase().startsWith("npm_"))),
    cwd
  )

const installFlags = ["--prefer-offline", "--no-audit", "--no-fund"]

class Installed extends Context.Tag("tests/package/Installed")<
  Installed,
  {
    /** The temp dir holding everything below; removed at the end. */
    readonly root: string
    /** The global prefix the tarball was installed into (`npm install -g --prefix`). */
    readonly prefix: string
    /** A project whose package.json depends on the tarball, Effect, TypeScript and Node's types. */
    readonly consumer: string
  }
>() {}

/** One pack and both installs (the slow part), shared by every test here; they run side by side. */
const InstalledLive = Layer.scoped(
  Installed,
  Effect.gen(function* () {
    const fs = yield* FileSystem.FileSystem
    for (const built of ["dist/ocm.mjs", "dist/index.js", "dist/testing.js", "dist/types/src/index.d.ts", "dist/types/src/testing.d.ts"]) {
      assert.isTrue(yield* fs.exists(`${repoRoot}${built}`), `${built} is missing: npm run build first`)
    }
    const root = yield* fs.makeTempDirectoryScoped({ prefix: "ocm-package-test-" })
    // --ignore-scripts: pack what the build made, without rebuilding dist/ while other test files run it
    const packed = JSON.parse(succeeded(yield* npm(["pack", "--ignore-scripts", "--json", "--pack-destination", root], repoRoot))) as [
      { readonly filename: string; readonly files: ReadonlyArray<{ readonly path: string }> }
    ]
    const tarball = `${root}/${packed[0].filename}`
    // what ships: the bundles and the declarations, never our TypeScript sources
    const shipped = packed[0].files.map((file) => file.path)
    assert.includeMembers(shipped, [
      "dist/ocm.mjs",
      "dist/opencode-transcript.mjs",
      "dist/index.js",
      "dist/testing.js",
      "dist/types/src/index.d.ts",
      "dist/types/src/testing.d.ts"
    ])
    // the code the library and its testing entry share, once
    assert.isNotEmpty(shipped.filter((path) => /^dist\/chunks\/chunk-\w+\.js$/.test(path)))
    assert.deepStrictEqual(shipped.filter((path) => path.endsWith(".ts") && !path.endsWith(".d.ts")), [])

    const prefix = `${root}/prefix`
    const consumer = `${root}/consumer`
    yield* fs.makeDirectory(consumer)
    yield* fs.writeFileString(
      `${consumer}/package.json`,
      JSON.stringify({
        name: "ocm-consumer",
        private: true,
        type: "module",
        dependencies: { "opencode-manager": `file:${tarball}`, effect: manifest.dependencies["effect"] },
        devDependencies: { typescript: manifest.devDependencies["typescript"], "@types/node": manifest.devDependencies["@types/node"] }
      })
    )
    const [global, project] = yield* Effect.all(
      [npm(["install", "--global", "--prefix", prefix, tarball, ...installFlags], root), npm(["install", "--prefix", consumer, ...installFlags], consumer)],
      { concurrency: 2 }
    )
    succeeded(global)
    succeeded(project)
    return { root, prefix, consumer }
  })
)

/**
 * A user of the installed package with nothing of this checkout: a private HOME, XDG dirs and TMPDIR, a working
 * directory outside the checkout, and a PATH of the prefix's bin, node and the system (no node_modules/.bin).
 */
const userIn = (name: string) =>
  Effect.gen(function* () {
    const fs = yield* FileSystem.FileSystem
    const { root, prefix } = yield* Installed
    const base = `${root}/${name}`
    const dirs = { home: `${base}/home`, state: `${base}/state`, tmp: `${base}/tmp`, cwd: `${base}/work` }
    yield* Effect.forEach(Object.values(dirs), (dir) => fs.makeDirectory(dir, { recursive: true }))
    const env: Record<string, string> = {
      PATH: [`${prefix}/bin`, dirname(process.execPath), "/usr/bin", "/bin"].join(":"),
      HOME: dirs.home,
      XDG_STATE_HOME: dirs.state,
      XDG_CONFIG_HOME: `${dirs.home}/.config`,
      XDG_DATA_HOME: `${dirs.home}/.local/share`,
      XDG_CACHE_HOME: `${dirs.home}/.cache`,
      TMPDIR: dirs.tmp
    }
    const run = (argv: ReadonlyArray<string>, extra: Record<string, string> = {}) => runProgram(argv, { ...env, ...extra }, dirs.cwd)
    return { ...dirs, env, run }
  })

/** The server a sandbox runs is the opencode binary installed under `dir`, not the checkout's or one on PATH. */
const assertServerFrom = (serverPid: number, dir: string) => {
  const exe = readlinkSync(`/proc/${serverPid}/exe`)
  assert.isTrue(exe.startsWith(`${realpathSync(dir)}/node_modules/opencode-`), `the server runs ${exe}`)
}

const password = "package-test-secret"

describe("the packed package", () => {
  layer(InstalledLive.pipe(Layer.provideMerge(PlatformLayer)), { timeout: 600_000, excludeTestServices: true })((it) => {
    it.effect(
      "installed globally, ocm starts a sandbox with a password, runs a one-shot against it and stops it",
      () =>
        Effect.gen(function* () {
          const fs = yield* FileSystem.FileSystem
          const { prefix } = yield* Installed
          const user = yield* userIn("cli")
          const ocm = (args: ReadonlyArray<string>, extra?: Record<string, string>) => user.run(["ocm", ...args], extra)
          assert.strictEqual(succeeded(yield* ocm(["--version"])).trim(), manifest.version)

          const passwordFile = `${user.home}/password`
          yield* fs.writeFileString(passwordFile, `${password}\n`)
          yield* Effect.addFinalizer(() => ocm(["sandbox", "down"]).pipe(Effect.ignore))
          const up = JSON.parse(succeeded(yield* ocm(["sandbox", "up", "--json", "--password-file", passwordFile]))) as {
            readonly url: string
            readonly serverPid: number
            readonly statePath: string
          }
          assert.strictEqual(up.statePath, `${user.state}/ocm/sandbox.json`)
          assertServerFrom(up.serverPid, `${prefix}/lib/node_modules/opencode-manager`)

          // found through the sandbox's state file, as a user finds it
          const reply = yield* ocm(["one-shot", "Reply with ONLY INSTALLED."], { OPENCODE_SERVER_PASSWORD: password })
          assert.strictEqual(succeeded(reply), "INSTALLED\n")

          succeeded(yield* ocm(["sandbox", "down"]))
          assert.isFalse(yield* fs.exists(up.statePath))
        }).pipe(Effect.scoped),
      { timeout: 600_000 }
    )

    it.effect(
      "installed globally, ocm demo proves every witness and leaves nothing in TMPDIR",
      () =>
        Effect.gen(function* () {
          const fs = yield* FileSystem.FileSystem
          const user = yield* userIn("demo")
          const run = yield* user.run(["ocm", "demo", "--json"])
          const result = JSON.parse(succeeded(run)) as { passed: boolean; witnesses: Array<{ step: string }> }
          assert.isTrue(result.passed)
          assert.deepStrictEqual(
            result.witnesses.map((w) => w.step),
            ["sandbox", "begin-session", "chat", "chat --no-reply", "chat --system --no-reply", "chat (carries it)", "transcript", "final"]
          )
          assert.deepStrictEqual(yield* fs.readDirectory(user.tmp), [])
        }),
      { timeout: 600_000 }
    )

    it.effect(
      "a project that installs it compiles README's library and testing examples (strict, NodeNext, noPropertyAccessFromIndexSignature, no skipLibCheck) and runs them",
      () =>
        Effect.gen(function* () {
          const fs = yield* FileSystem.FileSystem
          const { consumer } = yield* Installed
          const user = yield* userIn("library")
          const { sandbox, existingServer } = libraryExamples()
          yield* fs.writeFileString(`${consumer}/sandbox-example.ts`, sandbox)
          yield* fs.writeFileString(`${consumer}/existing-server.ts`, existingServer)
          yield* fs.writeFileString(`${consumer}/testing-example.ts`, testingExamples().script)
          const compilerOptions = {
            strict: true,
            module: "NodeNext",
            moduleResolution: "NodeNext",
            noPropertyAccessFromIndexSignature: true,
            skipLibCheck: false,
            target: "ES2022",
            types: ["node"],
            rootDir: ".",
            outDir: "out"
          }
          yield* fs.writeFileString(`${consumer}/tsconfig.json`, JSON.stringify({ compilerOptions, include: ["*.ts"] }))
          // the resolution that reads no `exports`: the top-level "types" serves it
          yield* fs.writeFileString(
            `${consumer}/tsconfig.node10.json`,
            JSON.stringify({ extends: "./tsconfig.json", compilerOptions: { module: "ES2022", moduleResolution: "node10", noEmit: true } })
          )
          const tsc = (args: ReadonlyArray<string>) =>
            runProgram([process.execPath, `${consumer}/node_modules/typescript/bin/tsc`, ...args], { PATH: user.env["PATH"]! }, consumer)

          const compiled = yield* tsc(["-p", "tsconfig.json", "--listFiles"])
          assert.strictEqual(compiled.code, 0, compiled.stdout)
          // the compiler read our emitted declarations, and no TypeScript source of ours
          const read = compiled.stdout.split("\n").filter((file) => file.includes("/node_modules/opencode-manager/"))
          assert.include(read, `${realpathSync(consumer)}/node_modules/opencode-manager/dist/types/src/index.d.ts`)
          assert.include(read, `${realpathSync(consumer)}/node_modules/opencode-manager/dist/types/src/testing.d.ts`)
          assert.deepStrictEqual(read.filter((file) => !file.endsWith(".d.ts")), [])
          const node10 = yield* tsc(["-p", "tsconfig.node10.json"])
          assert.strictEqual(node10.code, 0, node10.stdout)

          const node = (file: string, extra?: Record<string, string>) => user.run([process.execPath, `${consumer}/out/${file}`], extra)
          assert.deepStrictEqual(JSON.parse(succeeded(yield* node("sandbox-example.js"))), ["READY", "RESUMED", 1, "proof"])
          assert.deepStrictEqual(JSON.parse(succeeded(yield* node("testing-example.js"))), ["passed", ["passed", "passed"]])

          // an existing server with a password: a sandbox started by the project's own installed bin
          const passwordFile = `${user.home}/password`
          yield* fs.writeFileString(passwordFile, `${password}\n`)
          const ocm = (args: ReadonlyArray<string>) => user.run([`${consumer}/node_modules/.bin/ocm`, ...args])
          yield* Effect.addFinalizer(() => ocm(["sandbox", "down"]).pipe(Effect.ignore))
          const up = JSON.parse(succeeded(yield* ocm(["sandbox", "up", "--json", "--password-file", passwordFile]))) as {
            readonly url: string
            readonly serverPid: number
          }
          assertServerFrom(up.serverPid, consumer)
          const asked = yield* node("existing-server.js", { OPENCODE_BASE_URL: up.url, OPENCODE_SERVER_PASSWORD: password })
          assert.deepStrictEqual(JSON.parse(succeeded(asked)), ["HELLO", 0, 1])
          succeeded(yield* ocm(["sandbox", "down"]))
        }).pipe(Effect.scoped),
      { timeout: 600_000 }
    )
  })
})
