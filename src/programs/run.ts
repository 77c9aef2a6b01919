/**
 * `ocm run` (occtl's batch job, SPEC §5.2): build a prompt from files and words, run one witnessed turn in a new
 * session, write the results where asked — optionally on a server started just for this run (`--spawn`).
 */
import * as FileSystem from "@effect/platform/FileSystem"
import * as Path from "@effect/platform/Path"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { OpenCodeClient } from "../../services/OpenCodeClient.js"
import { ProcessHost } from "../../services/ProcessHost.js"
import { note } from "../../services/Progress.js"
import { InvalidInput } from "../domain/Errors.js"
import { directoryFrom } from "../local/Directories.js"
import { writeFileAtomic } from "../local/Files.js"
import type { TargetFlags } from "../engine/ServerTarget.js"
import { redactUrl } from "../domain/Text.js"
import { type IdentityOptions, type PromptedTurn, promptTurn } from "../engine/PromptTurn.js"
import { turnReasoning, withThinking } from "../engine/TurnEngine.js"
import { deleteWitnessed } from "./turns.js"

export interface RunOptions extends IdentityOptions {
  readonly files: ReadonlyArray<string>
  readonly message: Option.Option<string>
  readonly out: Option.Option<string>
  readonly raw: Option.Option<string>
  readonly timeout: Duration.Duration
  readonly spawn: boolean
  readonly spawnPort: Option.Option<number>
  readonly opencodeBin: Option.Option<string>
  readonly ephemeral: boolean
  readonly dir: Option.Option<string>
  readonly title: Option.Option<string>
  readonly thinking: boolean
  readonly target: TargetFlags
}

const reason = (error: unknown) => (error instanceof Error ? error.message : String((error as { message?: unknown })?.message ?? error))

/** A checked batch job: the prompt text it sends. */
export interface PreparedRun {
  readonly text: string
}

/**
 * Everything is read and checked before a server is contacted or started: the CLI runs this first, then `run` with
 * the client of the server the usual rules find, or of one started for this run (`--spawn`) and stopped after it.
 */
export const prepareRun = (words: ReadonlyArray<string>, options: RunOptions): Effect.Effect<PreparedRun, InvalidInput, FileSystem.FileSystem> =>
  Effect.gen(function* () {
    if (Option.isNone(options.model)) return yield* new InvalidInput({ message: "run needs --model provider/model" })
    if (!options.spawn && Option.isSome(options.spawnPort)) return yield* new InvalidInput({ message: "--spawn-port needs --spawn" })
    const named = options.target.url !== undefined ? "--url" : options.target.attach !== undefined ? "--attach" : undefined
    if (options.spawn && named !== undefined) {
      return yield* new InvalidInput({ message: `--spawn starts a server of its own; it cannot be combined with ${named}` })
    }
    const fs = yield* FileSystem.FileSystem
    const files = yield* Effect.forEach(options.files, (file) =>
      fs.readFileString(file).pipe(Effect.mapError((error) => new InvalidInput({ message: `--file ${file}: ${reason(error)}` })))
    )
    const text = [...files.map((content) => content.trim()), words.join(" ").trim(), Option.getOrElse(options.message, () => "").trim()]
      .filter((part) => part !== "")
      .join("\n\n")
    if (text === "") return yield* new InvalidInput({ message: "nothing to send: give MESSAGE words, --file or --message" })
    return { text }
  })

/** A finished batch job: the turn, what was shown of it, and where it was written. */
export interface RunResult extends PromptedTurn {
  /** The turn's reasoning, with `thinking`. */
  readonly reasoning: ReadonlyArray<string> | undefined
  /** The reply, after the reasoning's `<thinking>` blocks when asked for. */
  readonly shown: string
  /** Absolute paths of the files written. */
  readonly out: string | undefined
  readonly raw: string | undefined
  /** The session was deleted after the turn (`ephemeral`). */
  readonly deleted: boolean
}

/** The batch job on the OpenCodeClient in context, once `prepareRun` has checked it. */
export const run = (prepared: PreparedRun, options: RunOptions) =>
  Effect.gen(function* () {
    const client = yield* OpenCodeClient
    const host = yield* ProcessHost
    const path = yield* Path.Path
    const session = yield* client.createSession({
      directory: yield* directoryFrom(options.dir),
      title: Option.getOrElse(options.title, () => "ocm run")
    })
    yield* note("progress", `ocm: session ${session.id} (${redactUrl(client.target.url)})`)
    const prompted = yield* promptTurn(
      session,
      // a batch job that overruns is stopped, not left running (occtl's --timeout did the same)
      { ...options, text: prepared.text, abortOnTimeout: true },
      { sayKept: true }
    )
    const { turn } = prompted
    const reasoning = options.thinking ? turnReasoning(turn.replies) : undefined
    const shown = withThinking(reasoning ?? [], turn.reply)
    let out: string | undefined
    let raw: string | undefined
    if (Option.isSome(options.out)) {
      out = path.resolve(host.cwd, options.out.value)
      yield* writeFileAtomic(out, shown.endsWith("\n") ? shown : `${shown}\n`)
      yield* writeFileAtomic(`${out}.session`, `${session.id}\n`)
    }
    if (Option.isSome(options.raw)) {
      raw = path.resolve(host.cwd, options.raw.value)
      yield* writeFileAtomic(raw, `${JSON.stringify(turn.assistant ?? null, null, 2)}\n`)
    }
    if (options.ephemeral) yield* deleteWitnessed(session)
    return { ...prompted, reasoning, shown, out, raw, deleted: options.ephemeral } satisfies RunResult
  }).pipe(
    Effect.mapError((error) =>
      error._tag === "SystemError" || error._tag === "BadArgument" ? new InvalidInput({ message: `cannot write a result: ${error.message}` }) : error
    )
  )
