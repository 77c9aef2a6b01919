/**
 * The one presenter: a program returns a typed result; its View says how that result reads as text for a person
 * and as the `--json` document. This is the only place that chooses between them and writes a result to stdout.
 * (Notes and progress are not results: they go through the Progress service, to stderr in the CLI.)
 */
import * as Console from "effect/Console"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import { note } from "../../services/Progress.js"

export interface View<A> {
  /** The `--json` document (one per result; one per line for a stream). */
  readonly json: (result: A) => unknown
  /** The text for a person; `undefined` prints nothing. */
  readonly text: (result: A) => string | undefined
  /**
   * A line for a person that is not the result, told to Progress (stderr in the CLI) before the text, only when the
   * text is shown: "no sessions in …" where the text of an empty list is nothing and its JSON is `[]`.
   */
  readonly note?: (result: A) => string | undefined
}

export interface Presentation {
  readonly json: boolean
}

export const toJson = (value: unknown): string => JSON.stringify(value, null, 2)

/**
 * Where results are written, a text at a time (each ends a line): the Console by default, so a library's own
 * Console sees them; the CLI writes them to the process's stdout itself, past the console it gives @effect/cli.
 */
export class ResultWriter extends Context.Reference<ResultWriter>()("opencode-manager/ResultWriter", {
  defaultValue: () => ({ line: (text: string): Effect.Effect<void> => Console.log(text) })
}) {}

/** Writes one line of a result (for a view that shows a result piece by piece as it is proved). */
export const writeLine = (text: string): Effect.Effect<void> => Effect.flatMap(ResultWriter, (writer) => writer.line(text))

/**
 * What a View's `json` returns when the `--json` output is text already, printed as it is: the path of a file that
 * holds the JSON document (`transcript --json --output FILE`).
 */
export class Verbatim {
  constructor(readonly text: string) {}
}

const jsonText = (value: unknown, stringify: (value: unknown) => string | undefined) =>
  value instanceof Verbatim ? value.text : stringify(value)

/** The text that goes to stdout for one result. `undefined`: nothing. */
export const render = <A>(view: View<A>, options: Presentation, result: A): string | undefined =>
  options.json ? jsonText(view.json(result), toJson) : view.text(result)

/** The view's note for this result, if it has one and the text is shown. */
const noteOf = <A>(view: View<A>, options: Presentation, result: A): Effect.Effect<void> => {
  const line = options.json ? undefined : view.note?.(result)
  return line === undefined ? Effect.void : note("warning", line)
}

/** Writes one result to stdout (and, for the text, the view's note through Progress). */
export const present =
  <A>(view: View<A>, options: Presentation) =>
  (result: A): Effect.Effect<void> =>
    Effect.suspend(() => {
      const text = render(view, options, result)
      return Effect.zipRight(noteOf(view, options, result), text === undefined ? Effect.void : writeLine(text))
    })

/** Writes each element of a stream as it comes: a line of text, or (`--json`) one compact JSON document per line. */
export const presentStream =
  <A>(view: View<A>, options: Presentation) =>
  <E, R>(stream: Stream.Stream<A, E, R>): Effect.Effect<void, E, R> =>
    Stream.runForEach(stream, (item) =>
      Effect.suspend(() => {
        const text = options.json ? jsonText(view.json(item), (value) => JSON.stringify(value)) : view.text(item)
        return Effect.zipRight(noteOf(view, options, item), text === undefined ? Effect.void : writeLine(text))
      })
    )

/**
 * Writes a result that is proved step by step: the text of each step as it comes; `--json`: only the last step's
 * document (the whole result), once the stream has ended.
 */
export const presentSteps =
  <A>(view: View<A>, options: Presentation) =>
  <E, R>(stream: Stream.Stream<A, E, R>): Effect.Effect<void, E, R> =>
    options.json
      ? Effect.flatMap(Stream.runLast(stream), (last) => (last._tag === "Some" ? present(view, options)(last.value) : Effect.void))
      : presentStream(view, options)(stream)

/** Aligned `key  value` lines for human output. */
export const table = (rows: ReadonlyArray<readonly [string, string | number | undefined]>, indent = "  "): string => {
  const present = rows.filter(([, value]) => value !== undefined && value !== "")
  const width = Math.max(0, ...present.map(([key]) => key.length))
  return present.map(([key, value]) => `${indent}${key.padEnd(width)}  ${value}`).join("\n")
}
