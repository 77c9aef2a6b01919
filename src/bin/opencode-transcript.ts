import { opencodeTranscript } from "../TranscriptCli.js"
import { runCli } from "../Main.js"
import { VERSION } from "../Version.js"

runCli("opencode-transcript", opencodeTranscript, VERSION)
