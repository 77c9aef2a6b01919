import * as Context from "effect/Context"
import type * as Effect from "effect/Effect"
import type { AmbiguousSession, InvalidInput, TranscriptDecodeError } from "../src/domain/Errors.js"
import type { Transcript } from "../src/transcript/Decode.js"
import type { TranscriptDocument } from "../src/transcript/View.js"
import type { SessionCallError } from "./OpenCodeClient.js"

/** Where a transcript comes from: a live session (resolved per SPEC §5.4; omitted → latest here) or an export file. */
export type TranscriptSource =
  | { readonly _tag: "Session"; readonly reference?: string | undefined }
  | { readonly _tag: "File"; readonly path: string }

export type TranscriptLoadError = InvalidInput | TranscriptDecodeError | SessionCallError | AmbiguousSession

export interface TranscriptRenderOptions {
  /** Add the time of rendering; without it the same transcript always renders to the same text. */
  readonly stamp?: boolean | undefined
}

export interface TranscriptWriteOptions {
  /** Write here atomically (a temp file in the same directory, then a rename). */
  readonly output?: string | undefined
  /** Also write to a fresh temp file. */
  readonly teeTemp: boolean
  /** File name ending of the temp file, e.g. `.md`. */
  readonly suffix?: string | undefined
}

export interface WrittenTranscript {
  /** Absolute path of `output`, when it was given. */
  readonly output?: string
  /** Absolute path of the temp copy, when asked for. */
  readonly teeTemp?: string
}

export interface TranscriptStoreShape {
  /** Reads and validates a transcript; a payload of the wrong shape is a TranscriptDecodeError. */
  readonly load: (source: TranscriptSource) => Effect.Effect<Transcript, TranscriptLoadError>
  /**
   * The transcript as one structured document (session, counts, turns with their user and assistant messages), not
   * the raw export: what a presenter shows as Markdown or as JSON.
   */
  readonly document: (transcript: Transcript, options?: TranscriptRenderOptions) => Effect.Effect<TranscriptDocument>
  /** Writes a rendering; a path that cannot be written is an InvalidInput. */
  readonly write: (text: string, options: TranscriptWriteOptions) => Effect.Effect<WrittenTranscript, InvalidInput>
}

export class TranscriptStore extends Context.Tag("opencode-manager/TranscriptStore")<
  TranscriptStore,
  TranscriptStoreShape
>() {}
