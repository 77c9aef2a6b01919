/** `ocm transcript` and `opencode-transcript`: a live session or an export file as a transcript (SPEC §5.1). */
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { note } from "../../services/Progress.js"
import { type TranscriptSource, TranscriptStore, type WrittenTranscript } from "../../services/TranscriptStore.js"
import { InvalidInput } from "../domain/Errors.js"
import { markdownOf } from "../transcript/Markdown.js"
import type { TranscriptDocument } from "../transcript/View.js"

/** The two renderings of a transcript: Markdown for people, the document as JSON for programs. */
export type TranscriptFormat = "markdown" | "json"

/** The text of a transcript file. */
export const transcriptText = (document: TranscriptDocument, format: TranscriptFormat): string =>
  format === "json" ? JSON.stringify(document, null, 2) : markdownOf(document)

export interface TranscriptOptions {
  readonly source: TranscriptSource
  /** The rendering written to `output` and the temp copy. */
  readonly format: TranscriptFormat
  readonly output?: string | undefined
  readonly teeTemp: boolean
  readonly stamp: boolean
}

export interface TranscriptResult {
  readonly document: TranscriptDocument
  /** The files that hold the rendering (absolute paths), when asked for. */
  readonly written: WrittenTranscript
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

/** The transcript document; with an output file or `teeTemp`, the rendering is written there too (the temp copy's path is a note). */
export const transcript = (options: TranscriptOptions) =>
  Effect.gen(function* () {
    const store = yield* TranscriptStore
    const document = yield* store.document(yield* store.load(options.source), { stamp: options.stamp })
    const written =
      options.output === undefined && !options.teeTemp
        ? {}
        : yield* store.write(transcriptText(document, options.format), {
            output: options.output,
            teeTemp: options.teeTemp,
            suffix: options.format === "json" ? ".json" : ".md"
          })
    if (written.teeTemp !== undefined) yield* note("progress", written.teeTemp)
    return { document, written } satisfies TranscriptResult
  })
