/**
 * Running a CLI program as a process: platform layers, logging to stderr, the tracing exporter, and the exit code
 * and one line on stderr that the one mapping (`outcomeOf`, in CommandRun.ts) decides for how it ended (SPEC §6).
 */
import * as Command from "@effect/cli/Command"
import * as OtlpSerialization from "@effect/opentelemetry/OtlpSerialization"
import * as OtlpTracer from "@effect/opentelemetry/OtlpTracer"
import * as PlatformLive from "../../layers/PlatformLive.js"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import { keepAliveHttpClient } from "../../layers/OpenCodeClientLive.js"
import * as OtlpTracing from "../../layers/OtlpTracing.js"
import * as ProcessHostLive from "../../layers/ProcessHostLive.js"
import * as ProgressLive from "../../layers/ProgressLive.js"
import { markChildCommand } from "./ChildCommand.js"
import { cliProgram, commandPath, helpAsFlag, hoistLogLevel, outcomeOf } from "./CommandRun.js"
import { commandLineProblem, commandTree } from "./CommandLine.js"
import { InvalidInput } from "../domain/Errors.js"
import { ResultWriter } from "../present/Presenter.js"

export { cliProgram, commandPath, helpAsFlag, hoistLogLevel, type Outcome, outcomeOf, parsingConsole } from "./CommandRun.js"

/** The CLI's results: the process's stdout (through Node's console, which ignores a closed pipe), never the Effect Console. */
const stdoutResults = Layer.succeed(ResultWriter, {
  line: (text: string) => Effect.sync(() => globalThis.console.log(text))
})

/**
 * What a command's handler runs with besides the platform: HTTP (one keep-alive agent), this process, progress on
 * stderr, results on stdout. Provided to the handler (`Command.provide`), so it is built only when a command runs:
 * never for `--help`, `--version`, or a command line refused before anything starts.
 */
export const CommandLayer = Layer.mergeAll(keepAliveHttpClient, ProcessHostLive.layer, ProgressLive.stderr, stdoutResults)

/** Everything a command line needs: the platform (which @effect/cli itself needs to parse) and `CommandLayer`. */
export const MainLayer = Layer.mergeAll(PlatformLive.node, CommandLayer)

/**
 * Spans leave the process only when the OTEL_* variables ask for it (README, Observability), over an HttpClient of
 * their own (the collector is not the OpenCode server), made only then. The exporter is built into the bin, so an
 * installed ocm needs no @effect/opentelemetry of its own.
 */
export const tracingLayer = (program: string): Layer.Layer<never> =>
  OtlpTracing.fromChoice(
    OtlpTracing.tracingChoice((name) => process.env[name], program),
    NodeHttpClient.layer,
    Effect.succeedSome(OtlpTracing.tracerMaker({ OtlpTracer, OtlpSerialization }))
  )

/** Colour only on a terminal, and never when NO_COLOR is set (https://no-color.org). */
const colorsWanted = () => process.stdout.isTTY === true && (process.env.NO_COLOR ?? "") === ""

export const runCli = <Name extends string, E, A, R extends Layer.Layer.Success<typeof MainLayer>>(
  program: string,
  command: Command.Command<Name, R, E, A>,
  version: string,
  options: { readonly helpCommand?: boolean } = {}
) => {
  const run = cliProgram(Command.provide(command, CommandLayer), { name: program, version }, colorsWanted())
  const hoisted = hoistLogLevel(process.argv)
  const argv = markChildCommand(options.helpCommand === true ? helpAsFlag(hoisted) : hoisted)
  // a child command's own --json (after `--`) is not ocm's
  const json = argv.slice(0, argv.indexOf("--") === -1 ? undefined : argv.indexOf("--")).includes("--json")
  const debug = argv.some((arg, i) => arg === "--log-level=debug" || (arg === "--log-level" && argv[i + 1] === "debug"))
  let signal: "SIGINT" | "SIGTERM" | undefined
  process.once("SIGINT", () => (signal = "SIGINT"))
  process.once("SIGTERM", () => (signal = "SIGTERM"))

  const tree = commandTree(command)
  const problem = commandLineProblem(argv, { program, tree, interactive: process.stdin.isTTY === true })
  const checked: Effect.Effect<void, unknown, Layer.Layer.Success<typeof PlatformLive.node>> =
    problem === undefined ? run(argv) : Effect.fail(new InvalidInput({ message: problem }))
  const path = commandPath(argv, tree)
  const main = checked.pipe(
    Effect.onExit((exit) => Effect.annotateCurrentSpan("process.exit.code", outcomeOf(exit, { program, signal }).code)),
    // the root of a command's span tree; the exporter, when there is one, sends it as the layer below closes
    Effect.withSpan([program, ...path].join(" "), { kind: "internal", attributes: { "ocm.command": path.join(" ") } }),
    Effect.provide(PlatformLive.node),
    Effect.provide(tracingLayer(program)),
    Effect.provide(Logger.replace(Logger.defaultLogger, Logger.prettyLogger({ stderr: true, colors: false })))
  )
  NodeRuntime.runMain(main as Effect.Effect<void, E>, {
    disableErrorReporting: true,
    disablePrettyLogger: true,
    teardown: (exit, onExit) => {
      const outcome = outcomeOf(exit, { program, signal })
      if (outcome.json && json) process.stdout.write(`${JSON.stringify(outcome.json)}\n`)
      if (outcome.line) process.stderr.write(`${outcome.line}\n`)
      if (debug && Exit.isFailure(exit)) process.stderr.write(`${Cause.pretty(exit.cause, { renderErrorCause: true })}\n`)
      onExit(outcome.code)
    }
  })
}
