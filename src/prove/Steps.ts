/**
 * Running one step of a scenario: an ocm command line (in this process, through the CLI's own command tree), a
 * shell command in the project, or a file written into it. What comes back is how it ended, its document (what
 * captures and `json:` checks read) and its reply.
 */
import * as Command from "@effect/platform/Command"
import type * as CommandExecutor from "@effect/platform/CommandExecutor"
import * as FileSystem from "@effect/platform/FileSystem"
import * as Path from "@effect/platform/Path"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import { InProcessCli } from "../../services/InProcessCli.js"
import type { StepOutcome } from "./Expect.js"
import type { Step } from "./Scenario.js"
import { splitWords, substitute } from "./Template.js"

/** What a step gives its checks and captures. */
export interface StepExecution {
  readonly outcome: StepOutcome
  /** The command's `--json` document (an NDJSON stream: its documents as a list); a shell's {exitCode, stdout, stderr}. */
  readonly document: unknown
  /** The reply: the document's `reply` (or `text`), the output of a command without JSON, a shell's stdout. */
  readonly reply: string | undefined
  /** The session the step was about, when its document names one (`sessionID`). */
  readonly session: string | undefined
  /** The command line that ran, variables filled in (for the report). */
  readonly ran: string
}

/** Where a scenario's steps run. */
export interface StepWorld {
  readonly projectDir: string
  /** The environment of an ocm step (its whole world: nothing else is read). */
  readonly ocmEnvironment: Readonly<Record<string, string>>
  /** The environment of a shell step. */
  readonly shellEnvironment: Readonly<Record<string, string>>
  readonly variables: Readonly<Record<string, string>>
}

/** The words of an ocm step, before its variables are filled in. */
export const ocmWords = (ocm: NonNullable<Step["ocm"]>): ReadonlyArray<string> => {
  if (typeof ocm !== "string") return ocm
  const words = splitWords(ocm)
  // the file was checked when it was loaded
  return "problem" in words ? [] : words
}

const fill = (text: string, variables: Readonly<Record<string, string>>, keepUnknown = false) => {
  const result = substitute(text, variables, { keepUnknown })
  // every name was checked when the file was loaded (a capture that found nothing stops the scenario before here)
  return "text" in result ? result.text : text
}

const quoted = (word: string) => (/^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`)

/** A JSON text as its document: one document, or (NDJSON) one per line; undefined when it is neither. */
export const parseDocument = (text: string): unknown => {
  if (text.trim() === "") return undefined
  try {
    return JSON.parse(text) as unknown
  } catch {
    try {
      return text
        .split("\n")
        .filter((line) => line.trim() !== "")
        .map((line) => JSON.parse(line) as unknown)
    } catch {
      return undefined
    }
  }
}

const field = (document: unknown, name: string): string | undefined => {
  if (typeof document !== "object" || document === null || Array.isArray(document)) return undefined
  const value = (document as Record<string, unknown>)[name]
  return typeof value === "string" ? value : undefined
}

const runOcm = (words: ReadonlyArray<string>, step: Step, world: StepWorld) =>
  Effect.gen(function* () {
    const cli = yield* InProcessCli
    const filled = words.map((word) => fill(word, world.variables))
    const run = yield* cli.run(filled, {
      cwd: world.projectDir,
      environment: world.ocmEnvironment,
      stdin: step.stdin === undefined ? undefined : fill(step.stdin, world.variables)
    })
    const parsed = run.json ? parseDocument(run.output) : undefined
    // a failure under --json: the error document the bin would print
    const failed = run.code !== 0 && run.tag !== undefined ? { error: { tag: run.tag, message: run.message, exitCode: run.code } } : undefined
    const document = parsed ?? failed ?? (run.json ? undefined : run.output)
    const execution: StepExecution = {
      outcome: { code: run.code, tag: run.tag, message: run.message },
      document,
      reply: field(parsed, "reply") ?? field(parsed, "text") ?? (run.json ? undefined : run.output),
      session: field(parsed, "sessionID"),
      ran: `ocm ${run.words.map(quoted).join(" ")}`
    }
    return execution
  })

const collect = (stream: Stream.Stream<Uint8Array, unknown>) => stream.pipe(Stream.decodeText(), Stream.mkString, Effect.orElseSucceed(() => ""))

const runShell = (command: string, step: Step, world: StepWorld) =>
  Effect.scoped(
    Effect.gen(function* () {
      const filled = fill(command, world.variables, true)
      const base = Command.make(
        "env",
        "-i",
        ...Object.entries(world.shellEnvironment).map(([key, value]) => `${key}=${value}`),
        "sh",
        "-c",
        filled
      ).pipe(Command.workingDirectory(world.projectDir))
      const withInput = step.stdin === undefined ? base : Command.feed(base, fill(step.stdin, world.variables))
      const started = yield* Effect.either(Command.start(withInput))
      if (started._tag === "Left") {
        const failed: StepExecution = {
          outcome: { code: 127, message: `cannot start sh: ${started.left.message}` },
          document: undefined,
          reply: undefined,
          session: undefined,
          ran: filled
        }
        return failed
      }
      const child = started.right
      // the platform signals the whole process group; a command that ignores SIGTERM is killed
      yield* Effect.addFinalizer(() =>
        child.kill("SIGTERM").pipe(
          Effect.interruptible,
          Effect.timeout("2 seconds"),
          Effect.catchAll(() => child.kill("SIGKILL").pipe(Effect.interruptible, Effect.timeout("3 seconds"))),
          Effect.ignore
        )
      )
      const [stdout, stderr, code] = yield* Effect.all(
        [collect(child.stdout), collect(child.stderr), child.exitCode.pipe(Effect.orElseSucceed(() => 128))],
        { concurrency: "unbounded" }
      )
      const exitCode = Number(code)
      const execution: StepExecution = {
        outcome: exitCode === 0 ? { code: 0 } : { code: exitCode, message: stderr.trim().split("\n").slice(-3).join(" | ") || `sh exited with ${exitCode}` },
        document: { exitCode, stdout, stderr },
        reply: stdout,
        session: undefined,
        ran: filled
      }
      return execution
    })
  )

const runWrite = (write: NonNullable<Step["write"]>, world: StepWorld) =>
  Effect.gen(function* () {
    const fs = yield* FileSystem.FileSystem
    const path = yield* Path.Path
    const target = path.resolve(world.projectDir, fill(write.path, world.variables))
    const written = yield* Effect.either(
      fs.makeDirectory(path.dirname(target), { recursive: true }).pipe(
        Effect.zipRight(fs.writeFileString(target, fill(write.content, world.variables)))
      )
    )
    const execution: StepExecution = {
      outcome: written._tag === "Right" ? { code: 0 } : { code: 1, message: `cannot write ${target}: ${written.left.message}` },
      document: { path: target },
      reply: undefined,
      session: undefined,
      ran: `write ${target}`
    }
    return execution
  })

/** Runs one step (its variables filled in from `world`). */
export const runStep = (
  step: Step,
  world: StepWorld
): Effect.Effect<StepExecution, never, InProcessCli | CommandExecutor.CommandExecutor | FileSystem.FileSystem | Path.Path> => {
  if (step.ocm !== undefined) return runOcm(ocmWords(step.ocm), step, world)
  if (step.shell !== undefined) return runShell(step.shell, step, world)
  return runWrite(step.write!, world)
}

/** How a step reads in a report: its name, else what it runs (variables as written). */
export const stepLabel = (step: Step): string => {
  const text =
    step.name ??
    (step.ocm !== undefined
      ? `ocm ${typeof step.ocm === "string" ? step.ocm : step.ocm.map(quoted).join(" ")}`
      : step.shell !== undefined
        ? `shell: ${step.shell}`
        : `write ${step.write!.path}`)
  const line = text.replace(/\s*\n\s*/g, " ")
  return line.length > 100 ? `${line.slice(0, 99)}…` : line
}
