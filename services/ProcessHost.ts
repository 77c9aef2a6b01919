import * as Context from "effect/Context"
import type * as Effect from "effect/Effect"

/**
 * The few things about the current OS process that the sandbox supervisor needs and the platform layers do
 * not offer: our pid, re-running ourselves detached, and signalling a process (group) by id.
 */
export interface ProcessHostShape {
  readonly pid: number
  /** The directory ocm was started in: the default directory of sessions and the "current directory" of §5.4. */
  readonly cwd: string
  /** All of standard input as text (for `--stdin`); fails when stdin is a terminal, which would only wait. */
  readonly readStdin: Effect.Effect<string, Error>
  /** Starts `ocm ARGS…` (this same CLI) detached from us, output appended to `logFile`; returns its pid. */
  readonly spawnSelfDetached: (args: ReadonlyArray<string>, logFile: string) => Effect.Effect<number, Error>
  /** Sends a signal; `group` signals the whole process group led by `pid`. False when no such process. */
  readonly signal: (pid: number, signal: "SIGTERM" | "SIGKILL", options?: { readonly group?: boolean }) => Effect.Effect<boolean>
}

export class ProcessHost extends Context.Tag("opencode-manager/ProcessHost")<ProcessHost, ProcessHostShape>() {}
