/** The server ocm talks to, as the rules of SPEC §3 resolved it (src/engine/ServerTarget.ts decides it). */
import type * as Redacted from "effect/Redacted"

export type TargetRule =
  | "--url"
  | "--attach"
  | "OPENCODE_BASE_URL"
  | "OPENCODE_SERVER_HOST/PORT"
  | "sandbox"
  | "discovered process"
  | "default"

export interface ServerTarget {
  readonly url: string
  readonly rule: TargetRule
  readonly username: string
  readonly password: Redacted.Redacted<string> | undefined
  /** Where the rule found the URL (the state file, the process id), for doctor. */
  readonly detail?: string
}
