/** Commands of the proof contract: one-shot, begin-session, chat, final, wait, delete|rm. */
import * as Args from "@effect/cli/Args"
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as TranscriptStoreLive from "../../layers/TranscriptStoreLive.js"
import { flagsContradict, InvalidInput } from "../domain/Errors.js"
import { beginSession, chat, deleteSession, final, oneShot, waitIdle } from "../programs/turns.js"
import { present } from "../present/Presenter.js"
import { begunView, chatView, deletedView, finishedView, idleView } from "../present/turns.js"
import {
  abortOnTimeout,
  clientLayer,
  connection,
  identity,
  json,
  projectDir,
  requiredSessionArg,
  sessionArg,
  timeoutSeconds,
  titleOption
} from "./common.js"
import { removeOrphans } from "./inspect.js"

const prompt = Args.text({ name: "prompt" }).pipe(Args.withDescription("the prompt text"))


const turnOptions = {
  ...connection,
  ...identity,
  json,
  timeout: timeoutSeconds(600),
  abortOnTimeout
}

const withTranscript = {
  transcript: Options.boolean("transcript").pipe(
    Options.withDescription("print the session's transcript (read before the session is deleted) instead of the reply")
  )
}

/** The client, plus the transcript store on top of it. */
const clientAndTranscripts = (options: Parameters<typeof clientLayer>[0]) =>
  Layer.provideMerge(TranscriptStoreLive.layer, clientLayer(options))

const placement = {
  dir: projectDir("project directory of the new session (default: here)"),
  title: titleOption("title of the new session")
}

export const oneShotCommand = Command.make("one-shot", { ...turnOptions, ...placement, ...withTranscript, prompt }, (options) =>
  oneShot(options.prompt, options).pipe(Effect.flatMap(present(finishedView, options)), Effect.provide(clientAndTranscripts(options)))
).pipe(Command.withDescription("create a session, run one witnessed turn, print the reply, delete the session"))

export const beginSessionCommand = Command.make("begin-session", { ...turnOptions, ...placement, prompt }, (options) =>
  beginSession(options.prompt, options).pipe(Effect.flatMap(present(begunView, options)), Effect.provide(clientLayer(options)))
).pipe(
  Command.withDescription(
    "create a persistent session and complete its opening turn; print the session id (--json: id, directory, reply, proof)"
  )
)

export const chatCommand = Command.make(
  "chat",
  {
    ...turnOptions,
    noReply: Options.boolean("no-reply").pipe(Options.withDescription("queue only: record the prompt, run no turn")),
    system: Options.boolean("system").pipe(
      Options.withDescription("PROMPT is an agent-only system prompt (not a visible prompt line); with --no-reply it is carried into the next turn")
    ),
    session: requiredSessionArg,
    prompt
  },
  (options) =>
    chat(options.session, options.prompt, options).pipe(Effect.flatMap(present(chatView, options)), Effect.provide(clientLayer(options)))
).pipe(Command.withDescription("continue a session with a witnessed turn (default resumes the agent)"))

export const finalCommand = Command.make("final", { ...turnOptions, ...withTranscript, session: requiredSessionArg, prompt }, (options) =>
  final(options.session, options.prompt, options).pipe(
    Effect.flatMap(present(finishedView, options)),
    Effect.provide(clientAndTranscripts(options))
  )
).pipe(
  Command.withDescription("a witnessed last turn, then delete the session; if the turn was not witnessed, keep it and fail")
)

export const waitCommand = Command.make("wait", { ...connection, json, timeout: timeoutSeconds(600), session: sessionArg }, (options) =>
  waitIdle(Option.getOrUndefined(options.session), options).pipe(
    Effect.flatMap(present(idleView, options)),
    Effect.provide(clientLayer(options))
  )
).pipe(Command.withDescription("wait until the session is idle with nothing pending; print the latest reply"))

const deleteOptions = {
  ...connection,
  json,
  keepDefaults: Options.boolean("keep-defaults").pipe(
    Options.withDescription("keep the session's stored defaults file (removed by default)")
  ),
  orphans: Options.boolean("orphans").pipe(
    Options.withDescription("instead of a session: remove the stored defaults files whose session is gone (the server reads it 404)")
  ),
  // required, except with --orphans (checked below): delete never defaults to the latest session
  session: Args.optional(requiredSessionArg)
}

const deleteHandler = (options: Command.Command.ParseConfig<typeof deleteOptions>) =>
  Effect.gen(function* () {
    if (options.orphans) {
      if (Option.isSome(options.session)) {
        return yield* new InvalidInput({ message: "rm --orphans takes no SESSION: give either a SESSION or --orphans" })
      }
      if (options.keepDefaults) return yield* flagsContradict("--orphans", "--keep-defaults", "--orphans removes defaults files")
      return yield* removeOrphans(options)
    }
    if (Option.isNone(options.session)) {
      return yield* new InvalidInput({ message: "Missing argument <session>: name the session to delete (or pass --orphans)" })
    }
    return yield* deleteSession(options.session.value, options).pipe(
      Effect.flatMap(present(deletedView, options)),
      Effect.provide(clientLayer(options))
    )
  })

export const deleteCommand = Command.make("delete", deleteOptions, deleteHandler).pipe(
  Command.withDescription(
    "delete a session and its stored defaults; witnessed: it then reads 404 (--orphans: remove the defaults files of sessions that are gone)"
  )
)
export const rmCommand = Command.make("rm", deleteOptions, deleteHandler).pipe(
  Command.withDescription("alias of delete")
)
