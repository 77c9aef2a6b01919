/**
 * Hand-made `MessageWithParts` fixtures for tests of the pure derivations over a session's history.
 *
 * `messageBuilders(sessionID)` returns builders bound to one session with their own clock, so every
 * message built through them gets a strictly increasing `time.created`.
 */
import * as Schema from "effect/Schema"
import { type MessageWithParts, Part } from "../../src/domain/Domain.js"

export interface UserOptions {
  readonly agent?: string
  /** `provider/model`; everything after the first slash is the model id (it may contain further slashes). */
  readonly model?: string
  readonly variant?: string
  /** Visible text; `null` means no text part at all. Defaults to `prompt <id>`. */
  readonly text?: string | null
  /** Marks the text part synthetic (left off the part when not given). */
  readonly synthetic?: boolean
  readonly system?: string
}

export interface AssistantOptions {
  /** Name of the error the reply failed with. */
  readonly error?: string
  /** Fields of each part, in order; defaults to one text part `reply to <parentID>`. */
  readonly parts?: ReadonlyArray<Record<string, unknown>>
}

export interface MessageBuilders {
  readonly sessionID: string
  /** A part of `messageID` at `index`, decoded as the client decodes one; `fields` overrides the default `type: "text"`. */
  readonly part: (messageID: string, index: number, fields: Record<string, unknown>) => Part
  readonly textPart: (messageID: string, index: number, text: string, synthetic?: boolean) => Part
  readonly user: (id: string, options?: UserOptions) => MessageWithParts
  readonly assistant: (id: string, parentID: string, options?: AssistantOptions) => MessageWithParts
}

const decodePart = Schema.decodeUnknownSync(Part)

export const messageBuilders = (sessionID: string): MessageBuilders => {
  let clock = 1_700_000_000_000

  const part = (messageID: string, index: number, fields: Record<string, unknown>): Part =>
    decodePart({ id: `prt_${messageID}_${index}`, sessionID, messageID, type: "text", ...fields })

  const textPart = (messageID: string, index: number, text: string, synthetic?: boolean): Part =>
    part(messageID, index, { type: "text", text, ...(synthetic === undefined ? {} : { synthetic }) })

  const user = (id: string, options: UserOptions = {}): MessageWithParts => {
    const [providerID, ...rest] = (options.model ?? "").split("/")
    const text = options.text === undefined ? `prompt ${id}` : options.text
    return {
      info: {
        id,
        sessionID,
        role: "user",
        time: { created: clock++ },
        ...(options.agent === undefined ? {} : { agent: options.agent }),
        ...(options.model === undefined
          ? {}
          : {
              model: {
                providerID: providerID!,
                modelID: rest.join("/"),
                ...(options.variant === undefined ? {} : { variant: options.variant })
              }
            }),
        ...(options.system === undefined ? {} : { system: options.system })
      },
      parts: text === null ? [] : [textPart(id, 0, text, options.synthetic)]
    }
  }

  const assistant = (id: string, parentID: string, options: AssistantOptions = {}): MessageWithParts => {
    const created = clock++
    const parts = options.parts ?? [{ type: "text", text: `reply to ${parentID}` }]
    return {
      info: {
        id,
        sessionID,
        role: "assistant",
        time: { created, completed: created + 1 },
        parentID,
        providerID: "anthropic",
        modelID: "claude-sonnet-4",
        ...(options.error === undefined ? {} : { error: { name: options.error, data: { message: "boom" } } })
      },
      parts: parts.map((fields, index) => part(id, index, fields))
    }
  }

  return { sessionID, part, textPart, user, assistant }
}
