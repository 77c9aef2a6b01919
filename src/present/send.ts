/** How send, stream and watch read: the reply; the turn as it is written; the events as they come. */
import * as Terminal from "@effect/platform/Terminal"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import { eventSessionID, type OpenCodeEvent } from "../domain/Domain.js"
import type { SentPrompt, TurnStreamItem, WatchItem } from "../programs/send.js"
import { type ToolView, toolStepLine, toolView } from "../transcript/View.js"
import { type Presentation, presentStream, type View } from "./Presenter.js"
import { turnJson } from "./turns.js"

/** `send`: the reply; without a turn to wait for, the session, the prompt's id and what became of it. */
export const sentView: View<SentPrompt> = {
  json: (sent) => ({ ...turnJson(sent), reply: sent.reply }),
  text: ({ session, turn, reply }) =>
    turn.mode === "turn"
      ? reply
      : `${session.id} ${turn.proof.userMessageID} (${turn.mode === "sent" ? "sent, running" : "recorded, no reply requested"})`
}

/** The NDJSON form of an event: its type, the directory, and the event's own properties. */
export const eventJson = (event: OpenCodeEvent) =>
  event.payload.type === "other"
    ? { type: event.payload.name, directory: event.directory, properties: event.payload.properties }
    : { type: event.payload.type, directory: event.directory, ...event.payload.properties }

/** What a step is doing, before it has a title: the description the model gave it, or its input, shortened. */
const inputBrief = (input: unknown) => {
  if (input === undefined || input === null) return ""
  const described = (input as { description?: unknown }).description
  const text = typeof described === "string" ? described : JSON.stringify(input)
  return text.length > 80 ? `${text.slice(0, 79)}…` : text
}

/** A tool step in one line: its error, else its title, else what it was asked to do. */
export const toolLine = (view: ToolView) =>
  toolStepLine(
    view,
    view.error !== undefined ? view.error.split("\n")[0]! : view.title !== undefined && view.title !== "" ? view.title : inputBrief(view.input)
  )

// ---------------------------------------------------------------------------------------------------------
// stream

/** `stream --json`: every event as a line, then `{"type":"result",…}`. */
export const turnStreamJsonView: View<TurnStreamItem> = {
  json: (item) => (item._tag === "Event" ? eventJson(item.event) : { type: "result", ...turnJson(item) }),
  text: () => undefined
}

/**
 * `stream` for a person: the turn's text as it is written and its tool steps when they start running and when they
 * end, then a line end; a reply that came without text deltas is printed whole. Returns the exact text for each
 * item (often part of a line), so it is stateful: one per stream.
 */
export const turnStreamText = () => {
  const partKinds = new Map<string, string>()
  const toolStates = new Map<string, string>()
  let wroteText = false
  return (item: TurnStreamItem): string => {
    if (item._tag === "Result") return wroteText ? "\n" : `${item.turn.reply}\n`
    const payload = item.event.payload
    if (payload.type === "message.part.updated") {
      const part = payload.properties.part
      partKinds.set(part.id, part.type)
      const tool = toolView(part)
      // "pending" (the model still writing the call's input) says nothing yet
      if (tool !== undefined && tool.status !== "pending" && toolStates.get(part.id) !== tool.status) {
        toolStates.set(part.id, tool.status)
        const line = `${wroteText ? "\n" : ""}${toolLine(tool)}\n`
        wroteText = false
        return line
      }
      return ""
    }
    if (payload.type === "message.part.delta" && payload.properties.field === "text" && partKinds.get(payload.properties.partID) === "text") {
      wroteText = true
      return payload.properties.delta
    }
    return ""
  }
}

/** Writes a streamed turn: text as it comes (on the terminal, without waiting for line ends), or NDJSON. */
export const presentTurnStream =
  (options: Presentation) =>
  <E, R>(items: Stream.Stream<TurnStreamItem, E, R>): Effect.Effect<void, E, R | Terminal.Terminal> =>
    options.json
      ? presentStream(turnStreamJsonView, options)(items)
      : Effect.flatMap(Terminal.Terminal, (terminal) => {
          const text = turnStreamText()
          return Stream.runForEach(items, (item) => {
            const shown = text(item)
            return shown === "" ? Effect.void : terminal.display(shown).pipe(Effect.ignore)
          })
        })

// ---------------------------------------------------------------------------------------------------------
// watch

const timeOfDay = (millis: number) => new Date(millis).toISOString().slice(11, 19)

/** An event in a few words; undefined for one not worth a line (text deltas, parts with nothing to show). */
export const describeEvent = (event: OpenCodeEvent): string | undefined => {
  const payload = event.payload
  switch (payload.type) {
    case "session.status": {
      const status = payload.properties.status
      return `status ${status.type}${status.type === "retry" ? ` (attempt ${status.attempt}: ${status.message})` : ""}`
    }
    case "session.idle":
      return "idle"
    case "session.error":
      return `error ${payload.properties.error?.name ?? ""}`
    case "message.updated": {
      const info = payload.properties.info
      return `message ${info.role} ${info.id}${info.role === "assistant" && info.time.completed ? " completed" : ""}`
    }
    case "message.part.updated": {
      const part = payload.properties.part
      const tool = toolView(part)
      if (tool !== undefined) return toolLine(tool)
      if (part.type === "text" && part.text !== "") return `text ${part.text.slice(0, 200)}`
      return undefined
    }
    case "permission.asked":
      return `permission asked ${payload.properties.permission} (${payload.properties.id})`
    case "permission.replied":
      return `permission replied ${payload.properties.reply ?? ""}`
    case "message.part.delta":
      return undefined
    default:
      return payload.type === "other" ? payload.name : payload.type
  }
}

/** `watch`: a line per event (time, session, what happened), or the text; `--json`: each event as NDJSON. */
export const watchView: View<WatchItem> = {
  json: (item) => (item._tag === "Event" ? eventJson(item.event) : { type: "text", text: item.text }),
  text: (item) => {
    if (item._tag === "Text") return item.text
    const line = describeEvent(item.event)
    return line === undefined ? undefined : `${timeOfDay(item.receivedAt)}  ${eventSessionID(item.event.payload) ?? "-"}  ${line}`
  }
}
