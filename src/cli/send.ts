/** Commands: send|prompt, stream, watch. */
import * as Args from "@effect/cli/Args"
import * as Command from "@effect/cli/Command"
import * as HelpDoc from "@effect/cli/HelpDoc"
import * as Options from "@effect/cli/Options"
import * as ValidationError from "@effect/cli/ValidationError"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import { parseEventFilter } from "../domain/EventTypes.js"
import { flagsContradict } from "../domain/Errors.js"
import { send, stream, watch } from "../programs/send.js"
import { present, presentStream } from "../present/Presenter.js"
import { presentTurnStream, sentView, watchView } from "../present/send.js"
import { abortOnTimeout, clientLayer, connection, identity, json, nonBlankText, sessionArg, timeoutSeconds } from "./common.js"

const message = Args.text({ name: "message" }).pipe(Args.withDescription("the prompt (words are joined by spaces)"), Args.repeated)

const promptOptions = {
  ...connection,
  ...identity,
  json,
  session: nonBlankText("session").pipe(
    Options.withAlias("s"),
    Options.withDescription("the session (default: the latest root session here)"),
    Options.optional
  ),
  stdin: Options.boolean("stdin").pipe(Options.withDescription("read the prompt (or more of it) from standard input")),
  timeout: timeoutSeconds(600),
  abortOnTimeout,
  message
}

const sendOptions = {
  ...promptOptions,
  async: Options.boolean("async").pipe(Options.withDescription("return once the prompt is recorded; the turn runs on")),
  wait: Options.boolean("wait").pipe(
    Options.withAlias("w"),
    Options.withDescription("after the turn, also wait for its sub-agent sessions")
  ),
  noReply: Options.boolean("no-reply").pipe(Options.withDescription("record the prompt only; no turn runs"))
}

const sendHandler = (
  options: Parameters<typeof send>[1] & Parameters<typeof clientLayer>[0] & { readonly message: ReadonlyArray<string>; readonly json: boolean }
) => send(options.message, options).pipe(Effect.flatMap(present(sentView, options)), Effect.provide(clientLayer(options)))

export const sendCommand = Command.make("send", sendOptions, sendHandler).pipe(
  Command.withDescription("send a prompt to a session and print the reply of the witnessed turn")
)
export const promptCommand = Command.make("prompt", sendOptions, sendHandler).pipe(Command.withDescription("alias of send"))

export const streamCommand = Command.make("stream", promptOptions, (options) =>
  presentTurnStream(options)(stream(options.message, options)).pipe(Effect.provide(clientLayer(options)))
).pipe(
  Command.withDescription(
    "send a prompt and print the reply as it is written, with tool steps; --json: NDJSON events, then a result line"
  )
)

export const watchCommand = Command.make(
  "watch",
  {
    ...connection,
    json,
    all: Options.boolean("all").pipe(Options.withDescription("every session on the server")),
    events: Options.text("events").pipe(
      Options.mapEffect((list) =>
        Either.match(parseEventFilter(list), {
          onLeft: (message) => Effect.fail(ValidationError.invalidValue(HelpDoc.p(message))),
          onRight: Effect.succeed
        })
      ),
      Options.withDescription("only these event types, comma-separated; `prefix.*` takes a family (e.g. session.status,message.*)"),
      Options.optional
    ),
    textOnly: Options.boolean("text-only").pipe(Options.withDescription("only assistant text, as each text part completes")),
    session: sessionArg
  },
  (options) =>
    options.json && options.textOnly
      ? flagsContradict("--json", "--text-only", "--json prints every event as NDJSON, --text-only only the assistant's text")
      : presentStream(watchView, options)(watch(options.session, options)).pipe(Effect.provide(clientLayer(options)))
).pipe(Command.withDescription("print a session's events as they happen, until Ctrl-C"))
