import { runTranscript } from "../TranscriptCli.js"
import { runCli } from "../Main.js"

runCli("opencode-transcript", runTranscript)
