/** occtl's session commands (SPEC §5.2): create|new with stored defaults, messages|msgs, last. */
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { OpenCodeClient } from "../../services/OpenCodeClient.js"
import { ProcessHost } from "../../services/ProcessHost.js"
import { type MessageWithParts, type Session, writtenText } from "../Domain.js"
import { AssistantTurnFailed, InvalidInput } from "../Errors.js"
import { directoryFrom } from "../Directories.js"
import { formatModel } from "../Identity.js"
import { emit, note } from "../Output.js"
import { type ToolView, toolStepLine, toolView } from "../transcript/View.js"
import { writeDefaults } from "../SessionDefaults.js"
import { resolveSession } from "../SessionResolver.js"
import { errorDetail, replyText } from "../TurnEngine.js"
import { confirmedTreeState } from "../WaitEngine.js"
import { identityFlags, type IdentityOptions } from "./turns.js"

export const createSession = (
  options: IdentityOptions & {
    readonly title: Option.Option<string>
    readonly parent: Option.Option<string>
    readonly dir: Option.Option<string>
    readonly quiet: boolean
    readonly json: boolean
  }
) =>
  Effect.gen(function* () {
    const defaults = identityFlags(options)
    const client = yield* OpenCodeClient
    const host = yield* ProcessHost
    const parent = Option.isSome(options.parent) ? yield* resolveSession(options.parent.value, host.cwd) : undefined
    const session = yield* client.createSession({
      directory: yield* directoryFrom(options.dir, parent?.directory),
      title: Option.getOrUndefined(options.title),
      parentID: parent?.id
    })
    const stored = defaults.agent !== undefined || defaults.model !== undefined || defaults.variant !== undefined
    const file = stored ? yield* writeDefaults(session.id, defaults) : undefined
    yield* emit(
      options.json,
      {
        id: session.id,
        title: session.title,
        directory: session.directory,
        parentID: session.parentID ?? null,
        defaults: stored
          ? {
              agent: defaults.agent ?? null,
              model: defaults.model === undefined ? null : formatModel(defaults.model),
              variant: defaults.variant ?? null,
              file
            }
          : null
      },
      () => (options.quiet ? session.id : `${session.id}  ${session.title}  (${session.directory})`)
    )
    return session
  })

export type Role = "user" | "assistant"

/** How much of a tool's output `--verbose` shows; the rest is counted, and `transcript` has it all. */
const OUTPUT_LINES = 20

const toolLines = (view: ToolView) => {
  const error = view.error === undefined ? "" : `: ${view.error.split("\n")[0]}`
  const head = `  ${toolStepLine(view, `${JSON.stringify(view.input ?? {})}${error}`)}`
  const output = view.output === undefined ? [] : view.output.replace(/\s+$/, "").split("\n")
  if (output.length === 0 || (output.length === 1 && output[0] === "")) return [head]
  const shown = output.slice(0, OUTPUT_LINES).map((line) => `    ${line}`)
  const more = output.length - OUTPUT_LINES
  return [head, ...shown, ...(more > 0 ? [`    … ${more} more line${more === 1 ? "" : "s"} (ocm transcript shows all)`] : [])]
}

/** One message for people: a header line, then its text (and with `verbose`, reasoning and tool steps). */
const renderMessage = (message: MessageWithParts, options: { readonly textOnly: boolean; readonly verbose: boolean }) => {
  const text = writtenText(message.parts)
  if (options.textOnly) return text
  const info = message.info
  const who =
    info.role === "user"
      ? `user ${info.agent ?? ""} ${info.model ? formatModel(info.model) : ""}`
      : `assistant ${info.agent ?? ""} ${info.providerID}/${info.modelID}${info.finish ? ` finish=${info.finish}` : ""}${info.error ? ` error=${info.error.name}` : ""}`
  const lines = [`── ${info.id}  ${who.replace(/\s+/g, " ").trim()}  ${new Date(info.time.created).toISOString()}`]
  if (info.role === "user" && info.system) lines.push(`  [system] ${info.system}`)
  if (options.verbose) {
    for (const part of message.parts) {
      if (part.type === "reasoning") lines.push(`  [reasoning] ${part.text}`)
      const tool = toolView(part)
      if (tool !== undefined) lines.push(...toolLines(tool))
    }
  }
  if (text !== "") lines.push(text)
  return lines.join("\n")
}

const positiveInteger = (flag: string, value: Option.Option<number>) =>
  Option.match(value, {
    onNone: () => Effect.succeed(undefined),
    onSome: (n) =>
      Number.isInteger(n) && n >= 1
        ? Effect.succeed(n)
        : Effect.fail(new InvalidInput({ message: `${flag} must be a whole number ≥ 1, got ${n}` }))
  })

export const listMessages = (
  reference: Option.Option<string>,
  options: {
    readonly role: Option.Option<Role>
    readonly limit: Option.Option<number>
    readonly textOnly: boolean
    readonly verbose: boolean
    readonly json: boolean
  }
) =>
  Effect.gen(function* () {
    const limit = yield* positiveInteger("--limit", options.limit)
    const client = yield* OpenCodeClient
    const host = yield* ProcessHost
    const session = yield* resolveSession(Option.getOrUndefined(reference), host.cwd)
    const all = yield* client.messages(session.id, { directory: session.directory })
    const ofRole = Option.match(options.role, { onNone: () => all, onSome: (role) => all.filter((m) => m.info.role === role) })
    const shown = limit === undefined ? ofRole : ofRole.slice(-limit)
    yield* emit(options.json, shown, () =>
      shown
        .map((message) => renderMessage(message, options))
        .filter((text) => text !== "")
        .join("\n\n")
    )
  })

export const lastMessage = (
  reference: Option.Option<string>,
  options: { readonly role: Option.Option<Role>; readonly json: boolean }
) =>
  Effect.gen(function* () {
    const client = yield* OpenCodeClient
    const host = yield* ProcessHost
    const session = yield* resolveSession(Option.getOrUndefined(reference), host.cwd)
    const role = Option.getOrElse(options.role, (): Role => "assistant")
    const messages = yield* client.messages(session.id, { directory: session.directory })
    const last = [...messages].reverse().find((message) => message.info.role === role)
    if (last === undefined) {
      yield* note(`ocm: ${session.id} has no ${role} message yet`)
      return yield* emit(options.json, null, () => "")
    }
    if (last.info.role === "assistant") yield* checkReply(session, last)
    yield* emit(options.json, last, () => (role === "assistant" ? replyText(last) : writtenText(last.parts)))
  })

/**
 * The last reply is judged as the waits judge it: one that carries an error (aborted, provider failure) or that
 * the server left unfinished in an idle session (abandoned) is AssistantTurnFailed, never an empty success;
 * one still being written is printed as far as it goes, with a note.
 */
const checkReply = (session: Session, reply: MessageWithParts) =>
  Effect.gen(function* () {
    const info = reply.info
    if (info.role !== "assistant") return
    const failed = (errorName: string, detail: string) =>
      new AssistantTurnFailed({ sessionID: session.id, messageID: info.parentID, assistantMessageID: info.id, errorName, detail })
    if (info.error !== undefined) return yield* failed(info.error.name, errorDetail(info))
    if (info.time.completed !== undefined) return
    const state = yield* confirmedTreeState(session, { mainAgent: true })
    if (state.replyAbandoned && state.latestAssistant?.info.id === info.id) {
      return yield* failed("AbandonedByServer", "the server went idle leaving the reply unfinished (the turn failed on its side)")
    }
    yield* note(`ocm: the reply ${info.id} is still being written; \`ocm wait ${session.id}\` prints it whole`)
  })
