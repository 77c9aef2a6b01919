/**
 * The one wrapper around the turn engine that every prompt-bearing command uses (one-shot, begin-session, chat,
 * final, send, stream, run, wt run): identity flags and the session's stored defaults become the engine's input,
 * explicit identity may become the session's stored defaults, the wait shows as such, and a failed turn may say
 * that its session was kept.
 */
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { note, waiting } from "../../services/Progress.js"
import type { Session } from "../domain/Domain.js"
import type { IdentityFields, ModelId } from "../domain/Identity.js"
import { readDefaults, writeDefaults } from "../local/SessionDefaults.js"
import { runTurn, type TurnInput, type TurnResult } from "./TurnEngine.js"

/** The identity flags, validated where they were parsed. */
export interface IdentityOptions {
  readonly agent: Option.Option<string>
  readonly model: Option.Option<ModelId>
  readonly variant: Option.Option<string>
}

/** The identity flags as the turn engine's fields. */
export const identityFlags = (options: IdentityOptions): IdentityFields => ({
  agent: Option.getOrUndefined(options.agent),
  model: Option.getOrUndefined(options.model),
  variant: Option.getOrUndefined(options.variant)
})

const explicit = (flags: IdentityFields) => flags.agent !== undefined || flags.model !== undefined || flags.variant !== undefined

/** What to send, and how long to wait for it. */
export interface Prompt extends IdentityOptions {
  /** The visible prompt text; empty for a pure system prompt. */
  readonly text: string
  /** This prompt's own system text (`--system`). */
  readonly system?: string | undefined
  /** Queue-only: record the prompt, run no turn. */
  readonly noReply?: boolean | undefined
  /** Return once the prompt is recorded and leave the turn running. */
  readonly detach?: boolean | undefined
  readonly timeout: Duration.Duration
  readonly abortOnTimeout: boolean
  /** Sees every event of the session while the turn runs (a command that shows the turn as it happens). */
  readonly onEvent?: TurnInput["onEvent"]
}

/** What the command does around the turn, by what the session is to it. */
export interface PromptPolicy {
  /** A session the command made to keep: explicit identity becomes its stored defaults, so later prompts keep it. */
  readonly storeIdentity?: boolean | undefined
  /** A session the command made, or would delete: a failed turn says where the session was kept. */
  readonly sayKept?: boolean | undefined
}

/** A witnessed turn and the session it ran in. */
export interface PromptedTurn {
  readonly session: Session
  readonly turn: TurnResult
}

const waitLabel = (session: Session, prompt: Prompt) =>
  prompt.noReply === true || prompt.detach === true
    ? `recording the prompt in ${session.id}`
    : `waiting for the turn in ${session.id}`

/** Sends `prompt` to `session` through the turn engine. */
export const promptTurn = (session: Session, prompt: Prompt, policy: PromptPolicy = {}) => {
  const turn = Effect.gen(function* () {
    const flags = identityFlags(prompt)
    if (policy.storeIdentity === true && explicit(flags)) yield* writeDefaults(session.id, flags)
    const run = runTurn({
      sessionID: session.id,
      directory: session.directory,
      text: prompt.text,
      system: prompt.system,
      noReply: prompt.noReply ?? false,
      detach: prompt.detach,
      flags,
      storedDefaults: yield* readDefaults(session.id),
      timeout: prompt.timeout,
      abortOnTimeout: prompt.abortOnTimeout,
      onEvent: prompt.onEvent
    })
    // a command that shows the turn as it happens needs no spinner over it
    return yield* prompt.onEvent === undefined ? waiting(waitLabel(session, prompt))(run) : run
  })
  return Effect.map(
    policy.sayKept === true ? Effect.tapError(turn, () => note("kept", `ocm: session ${session.id} was kept (${session.directory})`)) : turn,
    (turn): PromptedTurn => ({ session, turn })
  )
}

/** The progress note of a finished turn: what was recorded and what answered it. */
export const noteTurn = ({ session, turn }: PromptedTurn) =>
  note(
    "progress",
    turn.mode === "queue-only"
      ? `ocm: recorded ${turn.proof.userMessageID} (queue-only: no turn ran)`
      : turn.mode === "sent"
        ? `ocm: recorded ${turn.proof.userMessageID}; the turn runs on (ocm wait ${session.id} picks up the reply)`
        : `ocm: turn done (${turn.proof.completedBy}, ${turn.proof.elapsedMs} ms): ${turn.proof.assistantMessageIDs.join(", ")} answered ${turn.proof.userMessageID}`
  )
