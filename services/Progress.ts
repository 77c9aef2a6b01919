import * as Context from "effect/Context"
import * as Effect from "effect/Effect"

/**
 * What a program says while it works, apart from its result: progress ("turn done …"), provider retries, a kept
 * session, warnings. Programs never print; they tell this service. The CLI backs it with stderr (and a spinner on
 * a terminal while a turn or a wait runs); a library user gets the silent default, or subscribes
 * (`ProgressLive.subscribe`).
 */
export type NoteKind =
  /** a step of the command completed: "turn done …", "recorded …" */
  | "progress"
  /** the server is retrying the provider: attempt and message */
  | "retry"
  /** a failed command kept something (a session, a file) and says where it is */
  | "kept"
  /** something the user should know that is not a failure: a discovered server, a fallback taken */
  | "warning"

export interface Note {
  readonly kind: NoteKind
  /** One line, ready for a person: `ocm: turn done (…)`. */
  readonly text: string
}

export interface ProgressShape {
  readonly note: (note: Note) => Effect.Effect<void>
  /** Runs `self` while showing that the command is waiting for `label` (the CLI's spinner; nothing elsewhere). */
  readonly waiting: <A, E, R>(label: string, self: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
}

export const silentProgress: ProgressShape = { note: () => Effect.void, waiting: (_label, self) => self }

/** A Reference: a program that says nothing needs no layer for it, and a library user hears nothing by default. */
export class Progress extends Context.Reference<Progress>()("opencode-manager/Progress", {
  defaultValue: (): ProgressShape => silentProgress
}) {}

/** Tells the current Progress one note. */
export const note = (kind: NoteKind, text: string): Effect.Effect<void> =>
  Effect.flatMap(Progress, (progress) => progress.note({ kind, text }))

/** Runs `self` as a wait the user may watch (spinner on a terminal). */
export const waiting =
  (label: string) =>
  <A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
    Effect.flatMap(Progress, (progress) => progress.waiting(label, self))
