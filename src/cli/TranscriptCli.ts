/** The `opencode-transcript` bin: render a live session or an export file as Markdown or JSON. */
import * as Command from "@effect/cli/Command"
import { runTranscriptCommand, input, stamp } from "./transcript.js"
import { connection, json, output, sessionArg } from "./common.js"

export const opencodeTranscript = Command.make(
  "opencode-transcript",
  { session: sessionArg, input, ...connection, json, ...output, stamp },
  runTranscriptCommand
).pipe(
  Command.withDescription(
    "render an OpenCode session (SESSION, or the latest here) or an export file (--input) as Markdown or JSON"
  )
)

