/** `ocm transcript` and `opencode-transcript`: render a live session or an export file (SPEC §5.1). */
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { type TranscriptSource, TranscriptStore } from "../../services/TranscriptStore.js"
import { InvalidInput } from "../Errors.js"
import { note } from "../Output.js"

export interface TranscriptOptions {
  readonly source: TranscriptSource
  readonly json: boolean
  readonly output?: string | undefined
  readonly teeTemp: boolean
  readonly stamp: boolean
}

/** A session reference or an export file, never both: which one would be rendered is not for us to guess. */
export const transcriptSource = (session: Option.Option<string>, input: Option.Option<string>) =>
  Option.match(input, {
    onNone: (): Effect.Effect<TranscriptSource, InvalidInput> =>
      Effect.succeed({ _tag: "Session", reference: Option.getOrUndefined(session) }),
    onSome: (path) =>
      Option.isSome(session)
        ? Effect.fail(
            new InvalidInput({ message: `give either a session (${session.value}) or --input ${path}, not both` })
          )
        : Effect.succeed({ _tag: "File", path })
  })

/**
 * Prints the rendering on stdout; with an output file, its absolute path instead (the file holds the rendering);
 * with `teeTemp`, also a temp copy whose path goes to stderr.
 */
export const transcript = (options: TranscriptOptions) =>
  Effect.gen(function* () {
    const store = yield* TranscriptStore
    const loaded = yield* store.load(options.source)
    const render = options.json ? store.renderJson : store.renderMarkdown
    const text = yield* render(loaded, { stamp: options.stamp })
    const written = yield* store.write(text, {
      output: options.output,
      teeTemp: options.teeTemp,
      suffix: options.json ? ".json" : ".md"
    })
    yield* Console.log(written.output ?? text)
    if (written.teeTemp !== undefined) yield* note(written.teeTemp)
  })
