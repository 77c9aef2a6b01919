import * as Context from "effect/Context"
import type * as Effect from "effect/Effect"

/** Where a command line runs: its working directory, its whole environment (nothing else is read), its stdin. */
export interface CliRunContext {
  readonly cwd: string
  readonly environment: Readonly<Record<string, string>>
  readonly stdin?: string | undefined
}

/** How a command line ended, and what it printed as its result. */
export interface CliRun {
  /** The words it ran, `--json` included when it was added. */
  readonly words: ReadonlyArray<string>
  /** Its exit code, from the one mapping of SPEC §6 (0: success). */
  readonly code: number
  /** The failure's tag (`WaitTimeout`, `ValidationError`, `Defect`), when it failed. */
  readonly tag?: string | undefined
  /** The one line it would print on stderr, when it failed. */
  readonly message?: string | undefined
  /** What it wrote as its result (stdout): its `--json` document when `json`. */
  readonly output: string
  readonly json: boolean
  /** The notes it told Progress (stderr in the CLI). */
  readonly notes: ReadonlyArray<string>
}

export interface InProcessCliShape {
  /** Why these words are not a command a scenario step can run, or undefined. */
  readonly problem: (words: ReadonlyArray<string>) => string | undefined
  /** Runs one ocm command line in this process, with `--json` when the command has it, and captures its result. */
  readonly run: (words: ReadonlyArray<string>, context: CliRunContext) => Effect.Effect<CliRun>
}

/** ocm's own command tree, run in-process: what a scenario's `ocm:` step runs (the CLI provides it). */
export class InProcessCli extends Context.Tag("opencode-manager/InProcessCli")<InProcessCli, InProcessCliShape>() {}
