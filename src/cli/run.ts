/** Command: run — occtl's batch job. */
import * as Args from "@effect/cli/Args"
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as Option from "effect/Option"
import { run } from "../programs/run.js"
import { connection, identity, json, portOption, projectDir, resultFile, timeoutSeconds, titleOption } from "./common.js"

export const runCommand = Command.make(
  "run",
  {
    ...connection,
    ...identity,
    json,
    files: Options.file("file", { exists: "either" }).pipe(
      Options.withAlias("f"),
      Options.withDescription("read prompt text from this file (repeat to concatenate, in order)"),
      Options.repeated
    ),
    message: Options.text("message").pipe(Options.withDescription("text appended after the files and words"), Options.optional),
    out: resultFile("out").pipe(
      Options.withAlias("o"),
      Options.withDescription("write the reply here (and the session id to OUT.session), atomically; prints the path"),
      Options.optional
    ),
    raw: resultFile("raw").pipe(Options.withDescription("write the final assistant message as JSON here"), Options.optional),
    stderr: resultFile("stderr").pipe(Options.withDescription("write diagnostics here instead of to stderr"), Options.optional),
    timeout: timeoutSeconds(600),
    spawn: Options.boolean("spawn").pipe(
      Options.withDescription("start an opencode serve (your own config and credentials) for this run; stop it afterwards")
    ),
    spawnPort: portOption("spawn-port", "port for --spawn (default: a free one)"),
    opencodeBin: Options.text("opencode-bin").pipe(Options.withDescription("opencode binary for --spawn"), Options.optional),
    ephemeral: Options.boolean("ephemeral").pipe(Options.withDescription("delete the session after a successful run")),
    dir: projectDir("project directory of the session (default: here)"),
    title: titleOption("title of the session (default: ocm run)"),
    thinking: Options.boolean("thinking").pipe(
      Options.withDescription("show the model's reasoning as <thinking> blocks before the reply (stdout and --out; --json: reasoning)")
    ),
    words: Args.text({ name: "message" }).pipe(Args.withDescription("prompt words"), Args.repeated)
  },
  (options) =>
    run(options.words, {
      ...options,
      target: {
        url: Option.getOrUndefined(options.url),
        attach: Option.getOrUndefined(options.attach),
        passwordFile: Option.getOrUndefined(options.passwordFile)
      }
    })
).pipe(
  Command.withDescription(
    "one witnessed turn in a new session from files and words, results to files; --model is required; the turn is aborted at --timeout"
  )
)
