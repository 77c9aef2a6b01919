/** Command: run — occtl's batch job. */
import * as Args from "@effect/cli/Args"
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Ref from "effect/Ref"
import * as ProgressLive from "../../layers/ProgressLive.js"
import * as SpawnedServerLive from "../../layers/SpawnedServerLive.js"
import { writeFileAtomic } from "../local/Files.js"
import { prepareRun, run, type RunOptions } from "../programs/run.js"
import { present } from "../present/Presenter.js"
import { runView } from "../present/run.js"
import { clientLayer, type Connection, connection, identity, json, portOption, projectDir, resultFile, timeoutSeconds, titleOption } from "./common.js"

const messageOf = (error: unknown) =>
  error instanceof Error ? error.message : String((error as { message?: unknown })?.message ?? error)

/** The client: of the server the usual rules find, or of one started for this run and stopped after it (`--spawn`). */
const clientFor = (options: RunOptions & Connection) =>
  options.spawn
    ? SpawnedServerLive.clientLayer({
        opencodeBin: Option.getOrUndefined(options.opencodeBin),
        port: Option.getOrUndefined(options.spawnPort),
        dir: Option.getOrUndefined(options.dir),
        target: options.target
      })
    : clientLayer(options)

/** `--stderr FILE`: the notes of the run, and its failure if any, go to FILE instead of stderr. */
const diagnosticsTo =
  (file: string) =>
  <A, E, R>(program: Effect.Effect<A, E, R>) =>
    Effect.gen(function* () {
      const lines = yield* Ref.make<ReadonlyArray<string>>([])
      const add = (line: string) => Ref.update(lines, (all) => [...all, line])
      return yield* program.pipe(
        Effect.provide(ProgressLive.subscribe((note) => add(note.text))),
        Effect.tapError((error) => add(`ocm: ${messageOf(error)}`)),
        Effect.ensuring(
          Effect.flatMap(Ref.get(lines), (all) => writeFileAtomic(file, all.map((line) => `${line}\n`).join(""))).pipe(Effect.ignore)
        )
      )
    })

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
  (options) => {
    const runOptions: RunOptions & Connection = {
      ...options,
      target: {
        url: Option.getOrUndefined(options.url),
        attach: Option.getOrUndefined(options.attach),
        passwordFile: Option.getOrUndefined(options.passwordFile)
      }
    }
    // everything is checked before a server is contacted or started
    return prepareRun(options.words, runOptions).pipe(
      Effect.flatMap((prepared) => run(prepared, runOptions).pipe(Effect.provide(clientFor(runOptions)))),
      Effect.flatMap(present(runView, options)),
      (program) => Option.match(options.stderr, { onNone: () => program, onSome: (file) => diagnosticsTo(file)(program) })
    )
  }
).pipe(
  Command.withDescription(
    "one witnessed turn in a new session from files and words, results to files; --model is required; the turn is aborted at --timeout"
  )
)
