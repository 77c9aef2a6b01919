/**
 * A command line run as a program, wherever it runs (the bin's process, or `ocm prove`'s steps in-process): the
 * command path it names, the argv rewrites made before parsing, parsing under ocm's console with `--timeout`
 * bounding the handler, and the one mapping from how it ended to an exit code and what to print (SPEC §6).
 */
import * as Command from "@effect/cli/Command"
import * as HelpDoc from "@effect/cli/HelpDoc"
import * as ValidationError from "@effect/cli/ValidationError"
import * as Cause from "effect/Cause"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Option from "effect/Option"
import type { CommandTree } from "./CommandLine.js"
import { exitCodeForTag } from "../domain/Errors.js"
import { readableHelp } from "./Help.js"
import { plainText } from "../domain/Text.js"
import { commandLineTimeout, withCommandTimeout } from "../engine/Timeout.js"

/**
 * The command a command line runs, as the words that name it (`sandbox up`), read as @effect/cli reads them: past
 * the root's `--log-level LEVEL`, each word naming a subcommand of the one before. Arguments are never part of it.
 */
export const commandPath = (argv: ReadonlyArray<string>, tree: CommandTree): ReadonlyArray<string> => {
  const words = argv.slice(2)
  let i = 0
  while (words[i] === "--log-level") i += 2
  const path: Array<string> = []
  let level = tree
  for (; i < words.length; i++) {
    const word = words[i]!
    const next = Object.prototype.hasOwnProperty.call(level, word) ? level[word] : undefined
    if (next === undefined) break
    path.push(word)
    level = next
  }
  return path
}

export interface Outcome {
  readonly code: number
  /** The one line for stderr, if any. */
  readonly line?: string
  /** The JSON error document for stdout under --json, if any. */
  readonly json?: { readonly error: { readonly tag: string; readonly message: string; readonly exitCode: number } }
}


const messageOf = (error: unknown): string =>
  error instanceof Error || (typeof error === "object" && error !== null && "message" in error)
    ? String((error as { message: unknown }).message)
    : String(error)

/** Failures whose report (doctor's, prove's) is already the command's output on stdout, `--json` included. */
const reportsOnStdout = new Set(["DoctorFailed", "ScenarioFailed"])

/** Server and model text can hold newlines; the error is one line on stderr whatever it carries. */
const singleLine = (text: string) => text.replace(/\s*\n\s*/g, " ").trim()

/** Decides the exit code and what to print for how a program ended. Pure, so it is unit-tested. */
export const outcomeOf = (
  exit: Exit.Exit<unknown, unknown>,
  context: { readonly program: string; readonly signal?: "SIGINT" | "SIGTERM" | undefined }
): Outcome => {
  if (Exit.isSuccess(exit)) return { code: 0 }
  const cause = exit.cause
  if (Cause.isInterruptedOnly(cause)) return { code: context.signal === "SIGTERM" ? 143 : 130 }
  const failure = Cause.failureOption(cause)
  if (Option.isSome(failure)) {
    const error = failure.value as { readonly _tag?: unknown }
    const tag = typeof error?._tag === "string" ? error._tag : undefined
    if (tag === "ExitWith") return { code: (error as unknown as { code: number }).code }
    if (ValidationError.isValidationError(error)) {
      const message = singleLine(plainText(HelpDoc.toAnsiText(error.error)))
      // help asked for (and printed) by the command line itself is not an error worth a line
      if (message === "") return { code: 2 }
      return {
        code: 2,
        line: `${context.program}: ${message}`,
        json: { error: { tag: "ValidationError", message, exitCode: 2 } }
      }
    }
    const code = tag === undefined ? undefined : exitCodeForTag(tag)
    if (tag !== undefined && code !== undefined) {
      const message = singleLine(messageOf(error))
      const line = `${context.program}: ${message}`
      // a report that already went to stdout as the command's JSON document must stay the only one
      if (reportsOnStdout.has(tag)) return { code, line }
      return { code, line, json: { error: { tag, message, exitCode: code } } }
    }
  }
  const defect = Option.getOrElse(
    Option.orElse(Cause.dieOption(cause), () => Cause.failureOption(cause)),
    () => Cause.squash(cause)
  )
  const message = singleLine(messageOf(defect))
  return {
    code: 1,
    line: `${context.program}: unexpected failure (a bug, please report it): ${message}`,
    json: { error: { tag: "Defect", message, exitCode: 1 } }
  }
}

/**
 * @effect/cli reads its built-in `--log-level` only before the subcommand; users put it anywhere, so it is moved
 * to the front (after node and the script). Nothing after a `--` is touched: that belongs to a child command.
 */
export const hoistLogLevel = (argv: ReadonlyArray<string>): ReadonlyArray<string> => {
  const [node, script, ...rest] = argv
  const end = rest.indexOf("--")
  const own = end === -1 ? rest : rest.slice(0, end)
  const tail = end === -1 ? [] : rest.slice(end)
  const hoisted: Array<string> = []
  const others: Array<string> = []
  for (let i = 0; i < own.length; i++) {
    const arg = own[i]!
    if (arg.startsWith("--log-level=")) hoisted.push("--log-level", arg.slice("--log-level=".length))
    else if (arg === "--log-level" && i + 1 < own.length) hoisted.push(arg, own[++i]!)
    else others.push(arg)
  }
  return [node!, script!, ...hoisted, ...others, ...tail]
}

/**
 * `ocm help [COMMAND…]` is `ocm [COMMAND…] --help` (occtl's `help` command), rewritten before parsing; a later
 * word "help" is an argument like any other.
 */
export const helpAsFlag = (argv: ReadonlyArray<string>): ReadonlyArray<string> => {
  let first = 2
  while (argv[first] === "--log-level") first += 2
  return argv[first] === "help" ? [...argv.slice(0, first), ...argv.slice(first + 1), "--help"] : argv
}

/**
 * The console @effect/cli writes to while it parses the command line and answers `--help`, `--version` and
 * `--completions`. Help is made readable (`readableHelp`: one line per command, no generic lines) and loses its
 * ANSI styling when it is not shown on a colour terminal. The explanation of a bad command line is not printed
 * here: the exit-code mapping prints it as the one `ocm: …` line (and the JSON error document under `--json`)
 * from the ValidationError that follows it. Logs (`--log-level`, written with `unsafe.error`) pass through.
 */
export const parsingConsole = (
  base: Console.Console,
  colors: boolean,
  commandLine: { readonly program: string; readonly words: ReadonlyArray<string> }
): Console.Console => {
  const help = (text: string) => readableHelp(text, commandLine.program, commandLine.words)
  const shown = (args: ReadonlyArray<unknown>) =>
    args.map((arg) => (typeof arg === "string" ? help(colors ? arg : plainText(arg)) : arg))
  return {
    ...base,
    log: (...args) => base.log(...shown(args)),
    error: () => Effect.void,
    unsafe: { ...base.unsafe, log: (...args) => base.unsafe.log(...shown(args)) }
  }
}

/**
 * Runs a command line program under `parsingConsole`. A command's results do not go through it: programs return
 * them and the presenter writes them with the ResultWriter (the process's stdout in the CLI), and notes go to
 * Progress (stderr), so nothing a command prints needs the console put back.
 */
export const cliProgram = <Name extends string, R, E, A>(
  command: Command.Command<Name, R, E, A>,
  config: { readonly name: string; readonly version: string },
  colors: boolean
) =>
(argv: ReadonlyArray<string>) =>
  Effect.flatMap(Effect.console, (base) => {
    // `--timeout` bounds the whole handler of the command that has one: resolution, requests, waits (one place)
    const bounded = Command.transformHandler(command, (handler, parsed) => {
      const timeout = commandLineTimeout(parsed)
      return timeout === undefined ? handler : withCommandTimeout(timeout)(handler)
    })
    const app = Command.run(bounded, config)
    // the words that can lead to a subcommand: not options, nor the value of a (hoisted) --log-level
    const words = argv.slice(2).filter((word, i, all) => !word.startsWith("-") && all[i - 1] !== "--log-level")
    const commandLine = { program: config.name, words }
    return Effect.withConsole(app(argv), parsingConsole(base, colors, commandLine))
  })

