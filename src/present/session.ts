/** How the session commands read: create|new, messages|msgs, last. */
import { type MessageWithParts, writtenText } from "../domain/Domain.js"
import { formatModel } from "../domain/Identity.js"
import type { CreatedSession, LastMessage } from "../programs/session.js"
import { type ToolView, toolStepLine, toolView } from "../transcript/View.js"
import { replyText } from "../engine/TurnEngine.js"
import type { View } from "./Presenter.js"

/** `create`: the new session's id, title and directory (`quiet`: only its id). */
export const createdSessionView = (options: { readonly quiet: boolean }): View<CreatedSession> => ({
  json: ({ session, defaults }) => ({
    id: session.id,
    title: session.title,
    directory: session.directory,
    parentID: session.parentID ?? null,
    defaults:
      defaults === undefined
        ? null
        : {
            agent: defaults.agent ?? null,
            model: defaults.model === undefined ? null : formatModel(defaults.model),
            variant: defaults.variant ?? null,
            file: defaults.file
          }
  }),
  text: ({ session }) => (options.quiet ? session.id : `${session.id}  ${session.title}  (${session.directory})`)
})

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

export interface MessagesLayout {
  /** Only the text, no headers. */
  readonly textOnly: boolean
  /** Also reasoning and tool steps. */
  readonly verbose: boolean
}

/** One message for people: a header line, then its text (and with `verbose`, reasoning and tool steps). */
const renderMessage = (message: MessageWithParts, layout: MessagesLayout) => {
  const text = writtenText(message.parts)
  if (layout.textOnly) return text
  const info = message.info
  const who =
    info.role === "user"
      ? `user ${info.agent ?? ""} ${info.model ? formatModel(info.model) : ""}`
      : `assistant ${info.agent ?? ""} ${info.providerID}/${info.modelID}${info.finish ? ` finish=${info.finish}` : ""}${info.error ? ` error=${info.error.name}` : ""}`
  const lines = [`── ${info.id}  ${who.replace(/\s+/g, " ").trim()}  ${new Date(info.time.created).toISOString()}`]
  if (info.role === "user" && info.system) lines.push(`  [system] ${info.system}`)
  if (layout.verbose) {
    for (const part of message.parts) {
      if (part.type === "reasoning") lines.push(`  [reasoning] ${part.text}`)
      const tool = toolView(part)
      if (tool !== undefined) lines.push(...toolLines(tool))
    }
  }
  if (text !== "") lines.push(text)
  return lines.join("\n")
}

/** `messages`: the messages as the server gives them (`--json`), or each with a header line. */
export const messagesView = (layout: MessagesLayout): View<ReadonlyArray<MessageWithParts>> => ({
  json: (messages) => messages,
  text: (messages) =>
    messages
      .map((message) => renderMessage(message, layout))
      .filter((text) => text !== "")
      .join("\n\n")
})

/** `last`: the message's text (a reply as the turn commands print it); `null` and an empty line when there is none. */
export const lastMessageView: View<LastMessage> = {
  json: ({ message }) => message ?? null,
  text: ({ role, message }) => (message === undefined ? "" : role === "assistant" ? replyText(message) : writtenText(message.parts))
}
