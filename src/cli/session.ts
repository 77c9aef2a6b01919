/** Commands: create|new, messages|msgs, last. */
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as Effect from "effect/Effect"
import { createSession, lastMessage, listMessages } from "../programs/session.js"
import { present } from "../present/Presenter.js"
import { createdSessionView, lastMessageView, messagesView } from "../present/session.js"
import {
  clientLayer,
  connection,
  identity,
  json,
  nonBlankText,
  projectDir,
  sessionArg,
  titleOption
} from "./common.js"

const createOptions = {
  ...connection,
  ...identity,
  json,
  title: titleOption("title of the new session"),
  parent: nonBlankText("parent").pipe(Options.withDescription("parent session (reference), making this a child"), Options.optional),
  dir: projectDir("project directory (default: here, or the parent's)"),
  quiet: Options.boolean("quiet").pipe(Options.withAlias("q"), Options.withDescription("print only the new session's id"))
}

const createHandler = (options: Command.Command.ParseConfig<typeof createOptions>) =>
  createSession(options).pipe(Effect.flatMap(present(createdSessionView(options), options)), Effect.provide(clientLayer(options)))

const createDescription =
  "create a session; --agent/--model/--variant become its stored defaults, used by every later prompt (flags win)"
export const createCommand = Command.make("create", createOptions, createHandler).pipe(Command.withDescription(createDescription))
export const newCommand = Command.make("new", createOptions, createHandler).pipe(Command.withDescription("alias of create"))

const role = Options.choice("role", ["user", "assistant"]).pipe(Options.withDescription("only messages of this role"), Options.optional)

const messagesOptions = {
  ...connection,
  json,
  role,
  limit: Options.integer("limit").pipe(Options.withDescription("only the last N messages"), Options.optional),
  textOnly: Options.boolean("text-only").pipe(Options.withDescription("only the text, no headers")),
  verbose: Options.boolean("verbose").pipe(Options.withDescription("also reasoning and tool steps")),
  session: sessionArg
}

const messagesHandler = (options: Command.Command.ParseConfig<typeof messagesOptions>) =>
  listMessages(options.session, options).pipe(Effect.flatMap(present(messagesView(options), options)), Effect.provide(clientLayer(options)))

export const messagesCommand = Command.make("messages", messagesOptions, messagesHandler).pipe(
  Command.withDescription("list a session's messages")
)
export const msgsCommand = Command.make("msgs", messagesOptions, messagesHandler).pipe(Command.withDescription("alias of messages"))

export const lastCommand = Command.make("last", { ...connection, json, role, session: sessionArg }, (options) =>
  lastMessage(options.session, options).pipe(Effect.flatMap(present(lastMessageView, options)), Effect.provide(clientLayer(options)))
).pipe(Command.withDescription("print the last message (by default the assistant's reply) as text"))
