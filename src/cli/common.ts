/** Options and wiring shared by every command: one definition of each flag, used everywhere. */
import * as Args from "@effect/cli/Args"
import * as Command from "@effect/cli/Command"
import * as HelpDoc from "@effect/cli/HelpDoc"
import * as Options from "@effect/cli/Options"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as OpenCodeClientLive from "../../layers/OpenCodeClientLive.js"
import { resolveServerTarget } from "../ServerTarget.js"

export const json = Options.boolean("json").pipe(Options.withDescription("print one JSON document on stdout"))

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

/** A session reference: full id, unique id prefix/substring, or title substring; omitted → latest here. */
/**
 * A positional argument that names something (a session, a directory, a worktree, a model): it never starts with
 * "-", so a mistyped option (`ocm transcript --bogus`) is bad input instead of a reference that matches nothing.
 */
export const referenceArg = (name: string) =>
  Args.text({ name }).pipe(
    Args.mapEffect((value) =>
      value.startsWith("-")
        ? Effect.fail(HelpDoc.p(`Received unknown option '${value}' (a ${name} never starts with '-')`))
        : Effect.succeed(value)
    )
  )

export const requiredSessionArg = referenceArg("session").pipe(
  Args.withDescription("session id, unique id prefix or substring, or title substring")
)

export const sessionArg = Args.optional(requiredSessionArg)

/** The project directory of a session a command creates (`-d` as in occtl). */
export const projectDir = (description: string) =>
  Options.directory("dir").pipe(Options.withAlias("d"), Options.withDescription(description), Options.optional)

/** Durations are seconds everywhere (`--timeout 90`, `--timeout 1.5`). */
export const timeoutSeconds = (defaultSeconds: number) =>
  Options.float("timeout").pipe(
    Options.withDescription(`seconds to wait before giving up with exit 124 (default ${defaultSeconds})`),
    Options.withDefault(defaultSeconds)
  )

export const output = {
  output: Options.text("output").pipe(
    Options.withDescription("write the result to this file (atomically) and print its absolute path"),
    Options.optional
  ),
  teeTemp: Options.boolean("tee-temp").pipe(
    Options.withDescription("also write the result to a temp file and print its path on stderr")
  )
}

/** A command about one session (omitted → the latest root session here) whose program takes `{json}`. */
export const sessionCommand = <E, R>(
  name: string,
  description: string,
  program: (reference: string | undefined, options: { readonly json: boolean }) => Effect.Effect<void, E, R>
) =>
  Command.make(name, { ...connection, json, session: sessionArg }, (options) =>
    program(Option.getOrUndefined(options.session), options).pipe(Effect.provide(clientLayer(options)))
  ).pipe(Command.withDescription(description))

/** Who answers: agent, model and variant; each falls back to the session's defaults, then what it last used. */
export const identity = {
  agent: Options.text("agent").pipe(Options.withDescription("agent to answer (default: the session's own)"), Options.optional),
  model: Options.text("model").pipe(
    Options.withDescription("provider/model, e.g. anthropic/claude-sonnet-4 or openrouter/openai/gpt-5"),
    Options.optional
  ),
  variant: Options.text("variant").pipe(Options.withDescription("model variant, e.g. high"), Options.optional)
}

export const abortOnTimeout = Options.boolean("abort-on-timeout").pipe(
  Options.withDescription("abort the turn when --timeout runs out (default: leave it running)")
)
