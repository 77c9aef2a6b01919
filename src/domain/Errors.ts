import * as Data from "effect/Data"
import { redactUrl, redactUrlsIn } from "./Text.js"

export class InvalidInput extends Data.TaggedError("InvalidInput")<{
  readonly message: string
}> {}

/** Two flags that cannot both hold: bad input naming both, instead of quietly ignoring one. */
export const flagsContradict = (first: string, second: string, why: string) =>
  new InvalidInput({ message: `${first} and ${second} cannot be used together: ${why}` })

export class ServerUnreachable extends Data.TaggedError("ServerUnreachable")<{
  readonly url: string
  readonly reason: string
  /** What to do about it, when the way the URL was chosen suggests something. */
  readonly hint?: string
}> {
  override get message() {
    const hint = this.hint === undefined ? "" : `; ${redactUrlsIn(this.hint)}`
    return `OpenCode server at ${redactUrl(this.url)} is unreachable: ${redactUrlsIn(this.reason)}${hint}`
  }
}

export class Unauthorized extends Data.TaggedError("Unauthorized")<{
  readonly url: string
}> {
  override get message() {
    return `OpenCode server at ${redactUrl(this.url)} answered 401 Unauthorized: set OPENCODE_SERVER_PASSWORD (or --password-file) to the server's password`
  }
}

export class SessionNotFound extends Data.TaggedError("SessionNotFound")<{
  readonly reference: string
  readonly detail?: string
}> {
  override get message() {
    return `session not found: ${this.reference}${this.detail ? ` (${this.detail})` : ""}`
  }
}

/** A `models` search (PROVIDER[/MODEL] or --grep) that matched nothing. */
export class ModelNotFound extends Data.TaggedError("ModelNotFound")<{
  readonly search: string
  readonly detail?: string
}> {
  override get message() {
    return `no model matches ${this.search}${this.detail ? ` (${this.detail})` : ""}`
  }
}

export interface SessionCandidate {
  readonly id: string
  readonly title: string
  readonly directory: string
}

export class AmbiguousSession extends Data.TaggedError("AmbiguousSession")<{
  readonly reference: string
  readonly candidates: ReadonlyArray<SessionCandidate>
}> {
  override get message() {
    const listed = this.candidates.map((c) => `${c.id} "${c.title}" (${c.directory})`).join("; ")
    return `"${this.reference}" matches ${this.candidates.length} sessions: ${listed}`
  }
}

export class ServerRejected extends Data.TaggedError("ServerRejected")<{
  readonly method: string
  readonly path: string
  readonly status: number
  readonly detail: string
}> {
  override get message() {
    return `${this.method} ${this.path} was rejected with HTTP ${this.status}: ${redactUrlsIn(this.detail)}`
  }
}

export class PromptNotRecorded extends Data.TaggedError("PromptNotRecorded")<{
  readonly sessionID: string
  readonly messageID: string
  readonly detail: string
}> {
  override get message() {
    return `prompt ${this.messageID} was sent to session ${this.sessionID} but never recorded: ${this.detail}`
  }
}

export class NoAssistantTurn extends Data.TaggedError("NoAssistantTurn")<{
  readonly sessionID: string
  readonly messageID: string
  readonly detail: string
}> {
  override get message() {
    return `prompt ${this.messageID} was recorded in session ${this.sessionID} but no assistant turn followed: ${this.detail}`
  }
}

export class AssistantTurnFailed extends Data.TaggedError("AssistantTurnFailed")<{
  readonly sessionID: string
  readonly messageID: string
  readonly assistantMessageID: string
  readonly errorName: string
  readonly detail: string
}> {
  override get message() {
    const what = this.errorName === "MessageAbortedError" ? "was aborted" : "failed"
    return `the assistant turn ${this.assistantMessageID} in session ${this.sessionID} ${what}: ${this.errorName}: ${this.detail}`
  }
}

export class TranscriptDecodeError extends Data.TaggedError("TranscriptDecodeError")<{
  readonly source: string
  readonly detail: string
}> {
  override get message() {
    return `${this.source} does not have the expected shape: ${this.detail}`
  }
}

export class SandboxError extends Data.TaggedError("SandboxError")<{
  readonly reason: string
}> {
  override get message() {
    return `sandbox: ${this.reason}`
  }
}

export class DoctorFailed extends Data.TaggedError("DoctorFailed")<{
  readonly failed: ReadonlyArray<string>
}> {
  override get message() {
    return `doctor found ${this.failed.length === 1 ? "a problem" : `${this.failed.length} problems`}: ${this.failed.join("; ")}`
  }
}

/** `ocm prove`: an expectation of a scenario did not hold (the report says which, expected against actual). */
export class ScenarioFailed extends Data.TaggedError("ScenarioFailed")<{
  /** The scenarios that failed, by name. */
  readonly failed: ReadonlyArray<string>
  readonly total: number
}> {
  override get message() {
    return `${this.failed.length} of ${this.total} scenario${this.total === 1 ? "" : "s"} failed: ${this.failed.join(", ")}`
  }
}

export class WaitTimeout extends Data.TaggedError("WaitTimeout")<{
  readonly waitingFor: string
  readonly seconds: number
  readonly hint: string
}> {
  override get message() {
    return `timed out after ${this.seconds}s waiting for ${this.waitingFor}${this.hint ? `; ${this.hint}` : ""}`
  }
}

/** Transport-class failures any server call can produce. */
export type TransportError = ServerUnreachable | Unauthorized | ServerRejected

/** Every failure ocm reports on purpose; anything else is a defect. */
export type OcmError =
  | InvalidInput
  | ServerUnreachable
  | Unauthorized
  | SessionNotFound
  | ModelNotFound
  | AmbiguousSession
  | ServerRejected
  | PromptNotRecorded
  | NoAssistantTurn
  | AssistantTurnFailed
  | TranscriptDecodeError
  | SandboxError
  | DoctorFailed
  | ScenarioFailed
  | WaitTimeout

export const exitCodes = {
  InvalidInput: 2,
  ServerUnreachable: 3,
  Unauthorized: 4,
  SessionNotFound: 5,
  ModelNotFound: 5,
  AmbiguousSession: 6,
  ServerRejected: 7,
  PromptNotRecorded: 10,
  NoAssistantTurn: 11,
  AssistantTurnFailed: 12,
  TranscriptDecodeError: 13,
  SandboxError: 14,
  DoctorFailed: 15,
  ScenarioFailed: 16,
  WaitTimeout: 124
} as const satisfies Record<OcmError["_tag"], number>

export const exitCodeForTag = (tag: string): number | undefined =>
  Object.prototype.hasOwnProperty.call(exitCodes, tag) ? exitCodes[tag as OcmError["_tag"]] : undefined

/**
 * Not a failure: a command that finished and wants a specific exit code (a predicate answering "no",
 * `sandbox run` passing on its child's code). Printed by nobody.
 */
export class ExitWith extends Data.TaggedError("ExitWith")<{
  readonly code: number
}> {}
