/** Runs the built CLI (`dist/*.mjs`, what `npx ocm` runs) as a real process and captures what it printed. */
import * as Command from "@effect/platform/Command"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import { fileURLToPath } from "node:url"

export const repoRoot = fileURLToPath(new URL("../..", import.meta.url))
export const ocmBin = `${repoRoot}dist/ocm.mjs`
export const transcriptBin = `${repoRoot}dist/opencode-transcript.mjs`

export interface CliResult {
  readonly code: number
  readonly stdout: string
  readonly stderr: string
}

/** The environment of the test process minus everything that would point ocm at some other server. */
export const cleanEnvironment = (extra: Record<string, string> = {}): Record<string, string> => {
  const env: Record<string, string> = {}
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined && !key.startsWith("OPENCODE_") && !key.startsWith("OCM_")) env[key] = value
  }
  return { ...env, ...extra }
}

const collect = (stream: Stream.Stream<Uint8Array, unknown>) =>
  stream.pipe(Stream.decodeText(), Stream.mkString, Effect.orElseSucceed(() => ""))

export const runBin = (
  bin: string,
  args: ReadonlyArray<string>,
  env: Record<string, string>,
  cwd = repoRoot,
  stdin?: string
) =>
  Effect.scoped(
    Effect.gen(function* () {
      const process = yield* Command.start(
        // `env -i`: the child gets exactly `env`, not `env` merged into the test runner's environment
        Command.make(
          "env",
          "-i",
          ...Object.entries(env).map(([key, value]) => `${key}=${value}`),
          globalThis.process.execPath,
          bin,
          ...args
        ).pipe(Command.workingDirectory(cwd), (command) => (stdin === undefined ? command : Command.feed(command, stdin)))
      )
      const [stdout, stderr, code] = yield* Effect.all([collect(process.stdout), collect(process.stderr), process.exitCode], {
        concurrency: "unbounded"
      })
      return { code: Number(code), stdout, stderr } satisfies CliResult
    })
  )

export const runOcm = (args: ReadonlyArray<string>, env: Record<string, string>, cwd?: string, stdin?: string) =>
  runBin(ocmBin, args, env, cwd, stdin)
