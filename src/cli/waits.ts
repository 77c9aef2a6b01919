/** Commands: wait-for-idle, wait-any, wait-all, is-idle, wait-for-text. */
import * as Args from "@effect/cli/Args"
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { ExitWith } from "../domain/Errors.js"
import { isIdle, waitAll, waitAny, waitForIdle, waitForText } from "../programs/waits.js"
import { present } from "../present/Presenter.js"
import { allWaitView, anyWaitView, idleCheckView, idleWaitView, textFoundView } from "../present/waits.js"
import { clientLayer, connection, json, referenceArg, sessionArg, timeoutSeconds } from "./common.js"

const requireBusy = Options.boolean("require-busy").pipe(
  Options.withDescription(
    "only count idle once the work has happened: busy was seen during the wait, or the newest prompt already has its reply"
  )
)
const mainAgent = Options.boolean("main-agent").pipe(
  Options.withDescription("only the session itself: do not wait for its sub-agent sessions")
)
const sessions = referenceArg("session").pipe(Args.withDescription("session references"), Args.atLeast(1))
const waitOptions = { ...connection, json, requireBusy, mainAgent, timeout: timeoutSeconds(600) }

export const waitForIdleCommand = Command.make("wait-for-idle", { ...waitOptions, session: sessionArg }, (options) =>
  waitForIdle(Option.getOrUndefined(options.session), options).pipe(
    Effect.flatMap(present(idleWaitView, options)),
    Effect.provide(clientLayer(options))
  )
).pipe(Command.withDescription("wait until the session and its sub-agent sessions are idle with nothing pending"))

export const waitAnyCommand = Command.make("wait-any", { ...waitOptions, sessions }, (options) =>
  waitAny(options.sessions, options).pipe(Effect.flatMap(present(anyWaitView, options)), Effect.provide(clientLayer(options)))
).pipe(Command.withDescription("wait until the first of the sessions is idle; print its id (one event subscription for all)"))

export const waitAllCommand = Command.make("wait-all", { ...waitOptions, sessions }, (options) =>
  waitAll(options.sessions, options).pipe(Effect.flatMap(present(allWaitView, options)), Effect.provide(clientLayer(options)))
).pipe(Command.withDescription("wait until every one of the sessions is idle (a barrier; one event subscription for all)"))

/** A predicate: exit 0 when settled, 1 when not, after printing which (errors keep their codes, all ≥ 2). */
export const isIdleCommand = Command.make("is-idle", { ...connection, json, requireBusy, mainAgent, session: sessionArg }, (options) =>
  isIdle(Option.getOrUndefined(options.session), options).pipe(
    Effect.tap(present(idleCheckView, options)),
    Effect.flatMap(({ idle }) => (idle ? Effect.void : new ExitWith({ code: 1 }))),
    Effect.provide(clientLayer(options))
  )
).pipe(Command.withDescription("exit 0 if the session is idle with nothing pending, 1 if not (errors: 2 and above)"))

export const waitForTextCommand = Command.make(
  "wait-for-text",
  {
    ...connection,
    json,
    timeout: timeoutSeconds(600),
    noCheckExisting: Options.boolean("no-check-existing").pipe(
      Options.withDescription("only assistant messages created after the wait began")
    ),
    text: Args.text({ name: "text" }).pipe(Args.withDescription("text to find in an assistant message (never the prompt)")),
    session: sessionArg
  },
  (options) =>
    waitForText(options.text, Option.getOrUndefined(options.session), options).pipe(
      Effect.flatMap(present(textFoundView, options)),
      Effect.provide(clientLayer(options))
    )
).pipe(Command.withDescription("wait until an assistant message contains TEXT; print that message's text"))
