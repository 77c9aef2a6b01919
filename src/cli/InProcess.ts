/**
 * ocm's command tree run in this process for one command line, as `ocm prove` runs a scenario's `ocm:` steps: the
 * same parsing, the same handlers and the same exit-code mapping as the bin, with the command's result captured
 * through the presenter's ResultWriter (its `--json` document), its notes through Progress, and its view of the
 * world given per run — the working directory, and an environment (a ConfigProvider) of its own, so that parallel
 * scenarios never share a server, session defaults or state, and none reads or writes the user's.
 */
import type * as CliApp from "@effect/cli/CliApp"
import type * as Command from "@effect/cli/Command"
import * as Cause from "effect/Cause"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Console from "effect/Console"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import { ProcessHost } from "../../services/ProcessHost.js"
import { InProcessCli, type CliRun, type CliRunContext } from "../../services/InProcessCli.js"
import { Progress } from "../../services/Progress.js"
import { InvalidInput } from "../domain/Errors.js"
import { VERSION } from "../domain/Version.js"
import { ResultWriter } from "../present/Presenter.js"
import { markChildCommand } from "./ChildCommand.js"
import { commandLineProblem, commandsTakingJson, commandTree } from "./CommandLine.js"
import { cliProgram, commandPath, hoistLogLevel, outcomeOf } from "./CommandRun.js"

/** Commands a step does not run: each scenario has its sandbox already, and a proof does not start another. */
const notSteps: Readonly<Record<string, string>> = {
  sandbox: "each scenario runs on its own sandbox already",
  demo: "it starts a sandbox of its own",
  prove: "a scenario does not run scenarios"
}

/** A console that prints nothing: help and parse errors of a step are its outcome, not output. */
const quietConsole = (base: Console.Console): Console.Console => ({
  ...base,
  log: () => Effect.void,
  error: () => Effect.void,
  info: () => Effect.void,
  warn: () => Effect.void,
  unsafe: { ...base.unsafe, log: () => {}, error: () => {}, info: () => {}, warn: () => {} }
})

/** The InProcessCli of a command tree (given as a thunk: the tree holds the command that uses it). */
export const layer = <R>(root: () => Command.Command<"ocm", R, unknown, any>) =>
  Layer.effect(
    InProcessCli,
    Effect.map(Effect.context<R | CliApp.CliApp.Environment | ProcessHost>(), (context) => {
      let built: { readonly command: Command.Command<"ocm", R, unknown, any>; readonly tree: ReturnType<typeof commandTree>; readonly json: ReadonlySet<string> } | undefined
      const tree = () => {
        if (built === undefined) {
          const command = root()
          built = { command, tree: commandTree(command), json: commandsTakingJson(command) }
        }
        return built
      }
      const argvOf = (words: ReadonlyArray<string>) => markChildCommand(hoistLogLevel(["node", "ocm", ...words]))

      const problem = (words: ReadonlyArray<string>): string | undefined => {
        const { tree: names } = tree()
        const path = commandPath(argvOf(words), names)
        const first = path[0]
        if (first === undefined) {
          const word = words.find((candidate) => !candidate.startsWith("-")) ?? words[0] ?? ""
          return `"${word}" is not an ocm command; the commands: ${Object.keys(names).filter((name) => !(name in notSteps)).join(", ")}`
        }
        if (first in notSteps) return `a step cannot run "ocm ${first}": ${notSteps[first]}`
        return undefined
      }

      const run = (words: ReadonlyArray<string>, runContext: CliRunContext): Effect.Effect<CliRun> =>
        Effect.gen(function* () {
          const { command, tree: names, json: takingJson } = tree()
          const end = words.indexOf("--")
          const own = end === -1 ? words : words.slice(0, end)
          const path = commandPath(argvOf(words), names).join(" ")
          const addJson = takingJson.has(path) && !own.includes("--json")
          const ran = addJson ? [...own, "--json", ...(end === -1 ? [] : words.slice(end))] : words
          const json = addJson || (takingJson.has(path) && own.includes("--json"))
          const argv = argvOf(ran)
          const output: Array<string> = []
          const notes: Array<string> = []
          const host = Context.get(context, ProcessHost)
          const base = yield* Effect.console
          const checked = commandLineProblem(argv, { program: "ocm", tree: names, interactive: false })
          const program =
            checked === undefined
              ? cliProgram(command, { name: "ocm", version: VERSION }, false)(argv)
              : Effect.fail(new InvalidInput({ message: checked }))
          const exit = yield* program.pipe(
            Effect.provideService(ResultWriter, { line: (text: string) => Effect.sync(() => void output.push(text)) }),
            Effect.provideService(Progress, {
              note: (note) => Effect.sync(() => void notes.push(note.text)),
              waiting: (_label, self) => self
            }),
            Effect.provideService(ProcessHost, {
              ...host,
              cwd: runContext.cwd,
              readStdin:
                runContext.stdin === undefined
                  ? Effect.fail(new Error("the step gives no standard input (stdin:)"))
                  : Effect.succeed(runContext.stdin)
            }),
            Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(runContext.environment)))),
            Console.withConsole(quietConsole(base)),
            Effect.provide(context),
            Effect.exit
          )
          const outcome = outcomeOf(exit, { program: "ocm" })
          const failure = exit._tag === "Failure" ? outcome.json?.error.tag ?? failureTag(exit.cause) : undefined
          const result: CliRun = {
            words: ran,
            code: outcome.code,
            tag: failure,
            message: outcome.line?.replace(/^ocm: /, ""),
            output: output.join("\n"),
            json,
            notes
          }
          return result
        })
      return { problem, run }
    })
  )

/** The tag of a failure outcomeOf prints no JSON for (a report already on stdout, ExitWith). */
const failureTag = (cause: Cause.Cause<unknown>): string | undefined => {
  const failure = Option.getOrUndefined(Cause.failureOption(cause))
  return typeof failure === "object" && failure !== null && "_tag" in failure && typeof failure._tag === "string" ? failure._tag : undefined
}
