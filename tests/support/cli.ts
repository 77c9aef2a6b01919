/** Runs the built CLI (`dist/*.mjs`, what `npx ocm` runs) as a real process and captures what it printed. */
import * as Command from "@effect/platform/Command"
import * as FileSystem from "@effect/platform/FileSystem"
import { assert } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import { fileURLToPath } from "node:url"
import { Sandbox } from "../../services/Sandbox.js"

export const repoRoot = fileURLToPath(new URL("../..", import.meta.url))
export const ocmBin = `${repoRoot}dist/ocm.mjs`
export const transcriptBin = `${repoRoot}dist/opencode-transcript.mjs`

export interface CliResult {
  readonly code: number
  readonly stdout: string
  readonly stderr: string
}

/**
 * The environment of the test process minus everything that would point ocm at some other server (an OpenCode
 * server, or an OpenTelemetry collector).
 */
export const cleanEnvironment = (extra: Record<string, string> = {}): Record<string, string> => {
  const env: Record<string, string> = {}
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined && !/^(OPENCODE|OCM|OTEL)_/.test(key)) env[key] = value
  }
  return { ...env, ...extra }
}

const collect = (stream: Stream.Stream<Uint8Array, unknown>) =>
  stream.pipe(Stream.decodeText(), Stream.mkString, Effect.orElseSucceed(() => ""))

/** Runs `argv` (a program found on `env`'s PATH, or a path) with exactly `env`, and captures what it printed. */
export const runProgram = (
  argv: ReadonlyArray<string>,
  env: Record<string, string>,
  cwd = repoRoot,
  stdin?: string,
  prefix: ReadonlyArray<string> = []
) =>
  Effect.scoped(
    Effect.gen(function* () {
      const process = yield* Command.start(
        // `env -i`: the child gets exactly `env`, not `env` merged into the test runner's environment
        // a prefix (such as setpriv) runs `env` as another user
        Command.make(
          prefix[0] ?? "env",
          ...prefix.slice(1),
          ...(prefix.length === 0 ? [] : ["env"]),
          "-i",
          ...Object.entries(env).map(([key, value]) => `${key}=${value}`),
          ...argv
        ).pipe(Command.workingDirectory(cwd), (command) => (stdin === undefined ? command : Command.feed(command, stdin)))
      )
      const [stdout, stderr, code] = yield* Effect.all([collect(process.stdout), collect(process.stderr), process.exitCode], {
        concurrency: "unbounded"
      })
      return { code: Number(code), stdout, stderr } satisfies CliResult
    })
  )

/** Runs a JavaScript bin with this test's node. */
export const runBin = (
  bin: string,
  args: ReadonlyArray<string>,
  env: Record<string, string>,
  cwd = repoRoot,
  stdin?: string,
  prefix: ReadonlyArray<string> = []
) => runProgram([globalThis.process.execPath, bin, ...args], env, cwd, stdin, prefix)

/** The uid a test runs a bin as when it needs a user without root's powers (nobody). */
export const unprivilegedUid = 65534

/**
 * Runs a bin as a user without root's powers: as nobody through `setpriv` when the tests run as root, else as the
 * test's own (already unprivileged) user.
 */
export const runBinUnprivileged = (bin: string, args: ReadonlyArray<string>, env: Record<string, string>, cwd: string) =>
  runBin(
    bin,
    args,
    env,
    cwd,
    undefined,
    globalThis.process.getuid?.() === 0
      ? ["setpriv", `--reuid=${unprivilegedUid}`, `--regid=${unprivilegedUid}`, "--clear-groups"]
      : []
  )

export const runOcm = (args: ReadonlyArray<string>, env: Record<string, string>, cwd?: string, stdin?: string) =>
  runBin(ocmBin, args, env, cwd, stdin)

/**
 * Runs ocm against the test's sandbox: OPENCODE_BASE_URL at its server, an isolated config and state home under
 * its root (then `options.env` on top), from its project directory unless `options.cwd` says otherwise.
 */
export const ocmInSandbox = (
  args: ReadonlyArray<string>,
  options: { readonly stdin?: string; readonly env?: Record<string, string>; readonly cwd?: string } = {}
) =>
  Effect.flatMap(Sandbox, ({ info }) =>
    runOcm(
      args,
      cleanEnvironment({
        OPENCODE_BASE_URL: info.url,
        XDG_CONFIG_HOME: `${info.root}/ocm-config`,
        XDG_STATE_HOME: `${info.root}/ocm-state`,
        ...options.env
      }),
      options.cwd ?? info.projectDir,
      options.stdin
    )
  )

/** Asserts the run exited 0 (stderr in the message) and returns what it printed on stdout. */
export const succeeded = (run: CliResult): string => {
  assert.strictEqual(run.code, 0, `exit ${run.code}: ${run.stderr}`)
  return run.stdout
}

/**
 * What ocm needs to run isolated: a state home (no sandbox of the person running the tests is seen or stopped) and
 * a TMPDIR of its own (everything it leaves behind shows there). Should an assertion fail, no sandbox outlives the
 * test.
 */
export const isolatedOcm = Effect.gen(function* () {
  const fs = yield* FileSystem.FileSystem
  const stateHome = yield* fs.makeTempDirectoryScoped({ prefix: "ocm-sandbox-test-state-" })
  const tmp = yield* fs.makeTempDirectoryScoped({ prefix: "ocm-sandbox-test-tmp-" })
  const env = cleanEnvironment({ XDG_STATE_HOME: stateHome, TMPDIR: tmp })
  yield* Effect.addFinalizer(() => runOcm(["sandbox", "down"], env).pipe(Effect.ignore))
  return { stateHome, tmp, env, statePath: `${stateHome}/ocm/sandbox.json` }
})
