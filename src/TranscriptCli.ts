import * as Command from "@effect/cli/Command"
import * as Effect from "effect/Effect"
import { InvalidInput } from "./Errors.js"
import { VERSION } from "./Version.js"

// The renderer arrives with the proof-contract issue; until then the bin exists, answers --help/--version,
// and says plainly that rendering is not built yet.
const transcript = Command.make("opencode-transcript", {}, () =>
  Effect.fail(new InvalidInput({ message: "transcript rendering is not implemented yet" }))
).pipe(Command.withDescription("render an OpenCode session or export file as Markdown or JSON"))

export const runTranscript = Command.run(transcript, { name: "opencode-transcript", version: VERSION })
