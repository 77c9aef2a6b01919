/** Runs an effect with its Console's `log` and `error` captured instead of printed. */
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"

export interface Captured {
  readonly stdout: Array<string>
  readonly stderr: Array<string>
}

export const capturingConsole = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Console.consoleWith((current) => {
    const captured: Captured = { stdout: [], stderr: [] }
    const line = (args: ReadonlyArray<unknown>) => args.map(String).join(" ")
    const console: Console.Console = {
      ...current,
      log: (...args) => Effect.sync(() => void captured.stdout.push(line(args))),
      error: (...args) => Effect.sync(() => void captured.stderr.push(line(args)))
    }
    return effect.pipe(
      Effect.exit,
      Effect.map((exit) => ({ exit, captured })),
      Console.withConsole(console)
    )
  })
