/** How a transcript reads: Markdown for people, the structured document for `--json`. */
import { markdownOf } from "../transcript/Markdown.js"
import type { TranscriptResult } from "../programs/transcript.js"
import { Verbatim, type View } from "./Presenter.js"

/** `transcript`: the rendering, or the absolute path of the file that holds it (then nothing else, even with --json). */
export const transcriptView: View<TranscriptResult> = {
  json: (result) => (result.written.output === undefined ? result.document : new Verbatim(result.written.output)),
  text: (result) => result.written.output ?? markdownOf(result.document)
}
