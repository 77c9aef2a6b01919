import * as Context from "effect/Context"
import type * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"

/**
 * One request the scripted model received, as recorded for tests and proofs.
 * `system` is every system message of the request joined by a blank line; `lastUserText` is the text of the
 * last user message (the one whose markers decided the answer).
 */
export const ModelRequest = Schema.Struct({
  index: Schema.Number,
  receivedAt: Schema.Number,
  path: Schema.String,
  model: Schema.String,
  stream: Schema.Boolean,
  kind: Schema.Literal("title", "chat"),
  /** What the model did: "reply", "tool", "fail", "title". */
  action: Schema.String,
  system: Schema.String,
  lastUserText: Schema.String,
  messageCount: Schema.Number,
  toolNames: Schema.Array(Schema.String),
  body: Schema.Unknown
})
export type ModelRequest = typeof ModelRequest.Type

export interface ScriptedModelShape {
  /** Base URL of the OpenAI-compatible API, ending in `/v1`. */
  readonly url: string
  readonly port: number
  /** Every request received so far, oldest first. */
  readonly requests: Effect.Effect<ReadonlyArray<ModelRequest>>
  readonly clear: Effect.Effect<void>
}

export class ScriptedModel extends Context.Tag("opencode-manager/ScriptedModel")<ScriptedModel, ScriptedModelShape>() {}
