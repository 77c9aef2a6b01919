import * as Context from "effect/Context"
import type * as Effect from "effect/Effect"
import type { SandboxError } from "../src/domain/Errors.js"
import type { ModelRequest } from "./ScriptedModel.js"

export interface SandboxInfo {
  /** Base URL of the sandbox's `opencode serve`. */
  readonly url: string
  readonly port: number
  readonly serverPid: number
  readonly opencodeBin: string
  readonly opencodeVersion: string
  /** Base URL (ending in /v1) of the scripted model the server uses as its provider. */
  readonly modelUrl: string
  /** The temp dir that holds everything below; removed on release unless kept. */
  readonly root: string
  /** The fresh git repository the server runs in (the default directory of its sessions). */
  readonly projectDir: string
  /** The isolated HOME; XDG dirs live under it. */
  readonly home: string
  /** The server's stdout and stderr. */
  readonly logFile: string
  /** Whether the server requires a password (HTTP Basic). */
  readonly passwordProtected: boolean
}

export interface SandboxShape {
  readonly info: SandboxInfo
  /** What the scripted model received so far, oldest first. */
  readonly modelRequests: Effect.Effect<ReadonlyArray<ModelRequest>, SandboxError>
  readonly clearModelRequests: Effect.Effect<void, SandboxError>
  /** Completes when the sandbox's server process ends on its own, saying how ("was killed by SIGKILL"). */
  readonly serverExited: Effect.Effect<string>
}

/** A hermetic, real OpenCode server with the scripted model as its only provider. */
export class Sandbox extends Context.Tag("opencode-manager/Sandbox")<Sandbox, SandboxShape>() {}
