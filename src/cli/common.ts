/** Options and wiring shared by every command: one definition of each flag, used everywhere. */
import * as Args from "@effect/cli/Args"
import * as Command from "@effect/cli/Command"
import * as HelpDoc from "@effect/cli/HelpDoc"
import * as Options from "@effect/cli/Options"
import * as ValidationError from "@effect/cli/ValidationError"
import * as FileSystem from "@effect/platform/FileSystem"
import * as Path from "@effect/platform/Path"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as OpenCodeClientLive from "../../layers/OpenCodeClientLive.js"
import { parseModel } from "../domain/Identity.js"
import { present, type View } from "../present/Presenter.js"
import { announceDiscoveredServer, resolveServerTarget } from "../engine/ServerTarget.js"
import { MIN_SEARCH_LENGTH } from "../engine/SessionResolver.js"

export const json = Options.boolean("json").pipe(Options.withDescription("print one JSON document on stdout"))

/** A number of seconds (decimals allowed) parsed into a Duration; positive and finite, else bad input. */
function seconds(option: Options.Options<number>, flag: string): Options.Options<Duration.Duration> {
  return Options.mapEffect(option, (value) =>
    Number.isFinite(value) && value > 0
      ? Effect.succeed(Duration.millis(Math.round(value * 1000)))
      : Effect.fail(ValidationError.invalidValue(HelpDoc.p(`${flag} must be a positive number of seconds, got ${value}`)))
  )
}

/** How to reach the server (SPEC §3); every command that talks to a server takes these. */
export const connection = {
  url: Options.text("url").pipe(
    Options.withDescription("base URL of the OpenCode server (wins over every other rule)"),
    Options.optional
  ),
  attach: Options.text("attach").pipe(
    Options.withDescription("host:port of a running OpenCode server (same as --url http://host:port)"),
    Options.optional
  ),
  passwordFile: Options.file("password-file", { exists: "yes" }).pipe(
    Options.withDescription("file holding the server password (instead of OPENCODE_SERVER_PASSWORD)"),
    Options.optional
  ),
  // a command that waits replaces this with its own `timeoutSeconds(default)`; either bounds the whole command
  timeout: Options.float("timeout").pipe(
    Options.withDescription("seconds the whole command may take before giving up with exit 124 (default: no limit)"),
    (option) => seconds(option, "--timeout"),
    Options.optional
  )
}

export interface Connection {
  readonly url: Option.Option<string>
  readonly attach: Option.Option<string>
  readonly passwordFile: Option.Option<string>
}

/** The OpenCodeClient for the server the connection options (or the environment) resolve to. */
export const clientLayer = (options: Connection) =>
  Layer.unwrapEffect(
    Effect.map(
      resolveServerTarget({
        url: Option.getOrUndefined(options.url),
        attach: Option.getOrUndefined(options.attach),
        passwordFile: Option.getOrUndefined(options.passwordFile)
      }),
      (target) => OpenCodeClientLive.layer(target)
    )
  )

/**
 * Declares a command (or a group of them) as one that changes state on the server: when the server was found by
 * discovery, it is named on stderr before the command acts there. Reading commands stay quiet.
 */
export const changesState = <Name extends string, R, E, A>(command: Command.Command<Name, R, E, A>) =>
  Command.transformHandler(command, (handler) => Effect.locally(handler, announceDiscoveredServer, true))

/** Why VALUE cannot be a reference: blank (an unset shell variable must never mean "the latest" or "all"). */
const blankValue = (what: string, value: string) =>
  value.trim() === "" ? `${what} is empty or blank (${JSON.stringify(value)}): it must name something` : undefined

/**
 * A positional argument that names something (a session, a directory, a worktree, a model): never blank, and never
 * starting with "-", so a mistyped option (`ocm transcript --bogus`) is bad input instead of a reference that
 * matches nothing.
 */
export const referenceArg = (name: string) =>
  Args.text({ name }).pipe(
    Args.mapEffect((value) => {
      const blank = blankValue(`the ${name}`, value)
      if (blank !== undefined) return Effect.fail(HelpDoc.p(blank))
      return value.startsWith("-")
        ? Effect.fail(HelpDoc.p(`Received unknown option '${value}' (a ${name} never starts with '-')`))
        : Effect.succeed(value)
    })
  )

const sessionDescription = `session id, unique id prefix, exact title, or a substring of id or title (at least ${MIN_SEARCH_LENGTH} characters)`

/** A session that must be named: commands that destroy or publish never default to the latest one. */
export const requiredSessionArg = referenceArg("session").pipe(Args.withDescription(sessionDescription))

/** A session, omitted → the most recently updated root session of the current directory. */
export const sessionArg = Args.optional(
  referenceArg("session").pipe(Args.withDescription(`${sessionDescription}; omitted: the latest root session here`))
)

/** A text option that, when given, must not be blank (`--title "$UNSET"` is a mistake, not a title). */
export const nonBlankText = (name: string) =>
  Options.text(name).pipe(
    Options.mapEffect((value) => {
      const blank = blankValue(`--${name}`, value)
      return blank === undefined ? Effect.succeed(value) : Effect.fail(ValidationError.invalidValue(HelpDoc.p(blank)))
    })
  )

/** `--NAME provider/model`, parsed into a model reference (bad input otherwise). */
export const modelOption = (name: string) =>
  Options.text(name).pipe(
    Options.mapEffect((raw) =>
      parseModel(raw, `--${name}`).pipe(Effect.mapError((error) => ValidationError.invalidValue(HelpDoc.p(error.message))))
    )
  )

/** `--title T` of a session a command creates. */
export const titleOption = (description: string) =>
  nonBlankText("title").pipe(Options.withDescription(description), Options.optional)

/**
 * The project directory of a session a command creates (`-d` as in occtl). It must be a directory on this machine
 * (relative: against ocm's working directory): a server given one that does not exist makes the session, then
 * abandons its first turn. (That an existing path is a directory, @effect/cli's `directory` checks itself.)
 */
export const projectDir = (description: string) =>
  Options.directory("dir").pipe(
    Options.withAlias("d"),
    Options.withDescription(description),
    Options.mapEffect((dir) =>
      Effect.gen(function* () {
        const blank = blankValue("--dir", dir)
        if (blank !== undefined) return yield* Effect.fail(ValidationError.invalidValue(HelpDoc.p(blank)))
        const fs = yield* FileSystem.FileSystem
        const exists = yield* fs.exists(dir).pipe(Effect.orElseSucceed(() => false))
        if (!exists) return yield* Effect.fail(ValidationError.invalidValue(HelpDoc.p(`--dir ${dir}: no such directory`)))
        return dir
      })
    ),
    Options.optional
  )

/**
 * A file a command writes its result to: checked before anything is sent, so a turn never runs only to find that
 * its result cannot be kept. The directory it goes in must exist and be writable, and the path must not be one.
 */
export const resultFile = (name: string) =>
  Options.text(name).pipe(
    Options.mapEffect((file) =>
      Effect.gen(function* () {
        const refuse = (why: string) => Effect.fail(ValidationError.invalidValue(HelpDoc.p(`--${name} ${file}: ${why}`)))
        const blank = blankValue(`--${name}`, file)
        if (blank !== undefined) return yield* Effect.fail(ValidationError.invalidValue(HelpDoc.p(blank)))
        const fs = yield* FileSystem.FileSystem
        const path = yield* Path.Path
        const target = path.resolve(file)
        const existing = yield* Effect.either(fs.stat(target))
        if (Either.isRight(existing) && existing.right.type === "Directory") return yield* refuse("is a directory")
        const parent = path.dirname(target)
        const folder = yield* Effect.either(fs.stat(parent))
        if (Either.isLeft(folder)) return yield* refuse(`no such directory ${parent}`)
        if (folder.right.type !== "Directory") return yield* refuse(`${parent} is not a directory`)
        const writable = yield* Effect.either(fs.access(parent, { writable: true }))
        if (Either.isLeft(writable)) return yield* refuse(`cannot write in ${parent}`)
        return file
      })
    )
  )

/** A TCP port to listen on (`sandbox up --port`, `run --spawn-port`): 1-65535, checked before anything starts. */
export const portOption = (name: string, description: string) =>
  Options.integer(name).pipe(
    Options.mapEffect((port) =>
      port >= 1 && port <= 65535
        ? Effect.succeed(port)
        : Effect.fail(ValidationError.invalidValue(HelpDoc.p(`--${name} must be a port number 1-65535, got ${port}`)))
    ),
    Options.withDescription(description),
    Options.optional
  )

/** Durations are seconds everywhere (`--timeout 90`, `--timeout 1.5`); the program receives a Duration. */
export const timeoutSeconds = (defaultSeconds: number) =>
  Options.float("timeout").pipe(
    Options.withDescription(`seconds the whole command may take before giving up with exit 124 (default ${defaultSeconds})`),
    Options.withDefault(defaultSeconds),
    (option) => seconds(option, "--timeout")
  )

export const output = {
  output: resultFile("output").pipe(
    Options.withDescription("write the result to this file (atomically) and print its absolute path"),
    Options.optional
  ),
  teeTemp: Options.boolean("tee-temp").pipe(
    Options.withDescription("also write the result to a temp file and print its path on stderr")
  )
}

/** The options of a command about one session: the connection, `--json`, and SESSION (omitted → the latest here). */
export const sessionConfig = { ...connection, json, session: sessionArg }

/**
 * A command about one session (omitted → the latest root session of the current directory): the program's result
 * is presented by its view. (Transitional, issue #8: without a view, the program prints itself, given `{json}`.)
 */
export const sessionCommand = <A, E, R, Extra extends { readonly [key: string]: Options.Options<unknown> } = {}>(
  name: string,
  description: string,
  program: (
    reference: string | undefined,
    options: Command.Command.ParseConfig<typeof sessionConfig & Extra>
  ) => Effect.Effect<A, E, R>,
  view: View<A>,
  /** The command's own options, beside the session and connection ones. */
  extra?: Extra
) =>
  Command.make(name, { ...sessionConfig, ...(extra ?? ({} as Extra)) }, (parsed) => {
    // what @effect/cli parses from the merged config, seen through its two halves
    const options = parsed as Command.Command.ParseConfig<typeof sessionConfig & Extra>
    const common = parsed as Command.Command.ParseConfig<typeof sessionConfig>
    return program(Option.getOrUndefined(common.session), options).pipe(
      Effect.flatMap(present(view, common)),
      Effect.provide(clientLayer(common))
    )
  }).pipe(Command.withDescription(description))

/** Who answers: agent, model and variant; each falls back to the session's defaults, then what it last used. */
export const identity = {
  agent: nonBlankText("agent").pipe(Options.withDescription("agent to answer (default: the session's own)"), Options.optional),
  model: modelOption("model").pipe(
    Options.withDescription("provider/model, e.g. anthropic/claude-sonnet-4 or openrouter/openai/gpt-5"),
    Options.optional
  ),
  variant: nonBlankText("variant").pipe(Options.withDescription("model variant, e.g. high"), Options.optional)
}

export const abortOnTimeout = Options.boolean("abort-on-timeout").pipe(
  Options.withDescription("abort the turn when --timeout runs out (default: leave it running)")
)
