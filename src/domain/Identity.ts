/**
 * Who answers a prompt: agent, model and variant. Each field comes from the first source that has it:
 * explicit flags → the session's stored defaults → the identity observed in the session (SPEC §4) → the
 * server's default (the field is left out of the request).
 */
import * as Effect from "effect/Effect"
import { type AssistantMessage, type MessageWithParts, type UserMessage, writtenTextParts } from "./Domain.js"
import { InvalidInput } from "./Errors.js"

export interface ModelId {
  readonly providerID: string
  readonly modelID: string
}

export interface IdentityFields {
  readonly agent?: string | undefined
  readonly model?: ModelId | undefined
  readonly variant?: string | undefined
}

export type IdentitySource = "flag" | "stored defaults" | "observed" | "server default"

export interface Identity extends IdentityFields {
  readonly source: {
    readonly agent: IdentitySource
    readonly model: IdentitySource
    readonly variant: IdentitySource
  }
}

/** `provider/model`, where the model id may itself contain slashes (`openrouter/openai/gpt-5`). */
export const parseModel = (raw: string, flag = "--model"): Effect.Effect<ModelId, InvalidInput> => {
  const slash = raw.indexOf("/")
  if (slash <= 0 || slash === raw.length - 1 || /\s/.test(raw)) {
    return Effect.fail(new InvalidInput({ message: `${flag} expects provider/model (e.g. anthropic/claude-sonnet-4), got "${raw}"` }))
  }
  return Effect.succeed({ providerID: raw.slice(0, slash), modelID: raw.slice(slash + 1) })
}

export const formatModel = (model: ModelId): string => `${model.providerID}/${model.modelID}`

const hasVisibleText = (message: MessageWithParts) =>
  writtenTextParts(message.parts).some((part) => part.text.trim() !== "")

/**
 * The agent and model of the newest user message that has visible text, both fields, and a successful assistant
 * reply parented to it. The server itself defaults a prompt to the last user message's model, so one prompt with
 * a bad model poisons later default prompts; re-sending the last identity that worked heals that.
 */
export const observedIdentity = (messages: ReadonlyArray<MessageWithParts>): IdentityFields | undefined => {
  const succeeded = new Set(
    messages
      .map((message) => message.info)
      .filter((info): info is AssistantMessage => info.role === "assistant" && info.error === undefined)
      .map((info) => info.parentID)
  )
  for (let i = messages.length - 1; i >= 0; i--) {
    const message = messages[i]!
    const info = message.info
    if (info.role !== "user" || info.agent === undefined || info.model === undefined) continue
    if (!hasVisibleText(message) || !succeeded.has(info.id)) continue
    const user: UserMessage = info
    return {
      agent: user.agent,
      model: { providerID: user.model!.providerID, modelID: user.model!.modelID },
      variant: user.model!.variant
    }
  }
  return undefined
}

export const chooseIdentity = (
  flags: IdentityFields,
  stored: IdentityFields | undefined,
  observed: IdentityFields | undefined
): Identity => {
  const pick = <K extends keyof IdentityFields>(key: K): [IdentityFields[K], IdentitySource] =>
    flags[key] !== undefined
      ? [flags[key], "flag"]
      : stored?.[key] !== undefined
        ? [stored[key], "stored defaults"]
        : observed?.[key] !== undefined
          ? [observed[key], "observed"]
          : [undefined, "server default"]
  const [agent, agentSource] = pick("agent")
  const [model, modelSource] = pick("model")
  // a variant belongs to a model: it comes from a flag, or from the same source as the model
  const [variant, variantSource]: [string | undefined, IdentitySource] =
    flags.variant !== undefined
      ? [flags.variant, "flag"]
      : modelSource === "stored defaults" && stored?.variant !== undefined
        ? [stored.variant, "stored defaults"]
        : modelSource === "observed" && observed?.variant !== undefined
          ? [observed.variant, "observed"]
          : [undefined, "server default"]
  return {
    agent,
    model,
    variant,
    source: { agent: agentSource, model: modelSource, variant: variantSource }
  }
}
