import { opencodeTranscript } from "../cli/TranscriptCli.js"
import { runCli } from "../cli/Main.js"
import { VERSION } from "../domain/Version.js"

runCli("opencode-transcript", opencodeTranscript, VERSION)
