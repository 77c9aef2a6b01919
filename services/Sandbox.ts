import * as Context from "effect/Context"
import type * as Effect from "effect/Effect"
import type * as Redacted from "effect/Redacted"
import type * as Scope from "effect/Scope"
import type { InvalidInput, SandboxError } from "../src/domain/Errors.js"
import type { ModelRequest, ModelScript, ScriptStatus } from "./ScriptedModel.js"

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
  /**
   * The directory the server runs in (the default directory of its sessions): a fresh git repository, a copy of
   * `projectSource` (a fresh repository with its files), or `projectSource` itself when `inPlace`.
   */
  readonly projectDir: string
  /** The user's project directory the sandbox took (`--project`), if any. */
  readonly projectSource?: string | undefined
  /** Whether the server runs in `projectSource` itself (`--in-place`) rather than in a copy. */
  readonly inPlace: boolean
  /** The isolated HOME; XDG dirs live under it. */
  readonly home: string
  /** The server's stdout and stderr. */
  readonly logFile: string
  /** Whether the server requires a password (HTTP Basic). */
  readonly passwordProtected: boolean
  /** What the sandbox overrode in the user's configs (a real provider's model it does not use), one line each. */
  readonly warnings: ReadonlyArray<string>
}

export interface SandboxShape {
  readonly info: SandboxInfo
  /** What the scripted model received so far, oldest first. */
  readonly modelRequests: Effect.Effect<ReadonlyArray<ModelRequest>, SandboxError>
  readonly clearModelRequests: Effect.Effect<void, SandboxError>
  /** Puts a model script in force (replacing the one in force, or appended to it). */
  readonly setModelScript: (
    script: ModelScript,
    options?: { readonly append?: boolean }
  ) => Effect.Effect<ScriptStatus, SandboxError>
  /** The model script in force and how far its rules are used. */
  readonly modelScript: Effect.Effect<ScriptStatus, SandboxError>
  /** No script any more: the model answers by markers, then echoes. */
  readonly clearModelScript: Effect.Effect<void, SandboxError>
  /** Completes when the sandbox's server process ends on its own, saying how ("was killed by SIGKILL"). */
  readonly serverExited: Effect.Effect<string>
}

/** A hermetic, real OpenCode server with the scripted model as its only provider. */
export class Sandbox extends Context.Tag("opencode-manager/Sandbox")<Sandbox, SandboxShape>() {}

/** How a sandbox is started (`ocm sandbox up`'s flags). */
export interface SandboxStart {
  /** Port for the server; a free one when absent. */
  readonly port?: number | undefined
  /** Require this password (HTTP Basic, user `opencode`) on every route. */
  readonly password?: Redacted.Redacted<string> | undefined
  /** Keep the temp dirs after release (for inspection). */
  readonly keep?: boolean | undefined
  readonly opencodeBin?: string | undefined
  /** A real provider's model (`provider/model`) as the default instead of the scripted one. */
  readonly realModel?: string | undefined
  /** The user's project directory: the sandbox works on a copy of it (`--project`). */
  readonly project?: string | undefined
  /** Work in `project` itself instead of a copy (`--in-place`). */
  readonly inPlace?: boolean | undefined
  /** An OpenCode config merged over the sandbox's own: a JSON or JSONC file (`--config`), or a parsed object. */
  readonly config?: string | Readonly<Record<string, unknown>> | undefined
  /** Local plugin files or directories the server loads (`--plugin`). */
  readonly plugins?: ReadonlyArray<string> | undefined
  /** The model script in force from the start. */
  readonly script?: ModelScript | undefined
}

export interface SandboxStarterShape {
  /** Starts a sandbox that lives as long as the scope. */
  readonly start: (options: SandboxStart) => Effect.Effect<SandboxShape, SandboxError | InvalidInput, Scope.Scope>
}

/** Starts sandboxes: what `ocm sandbox up --foreground` and `ocm sandbox run` supervise. */
export class SandboxStarter extends Context.Tag("opencode-manager/SandboxStarter")<SandboxStarter, SandboxStarterShape>() {}

/** The base-URL environment that points ocm (and anything else) at a sandbox. */
export const sandboxEnvironment = (info: SandboxInfo): Record<string, string> => ({
  OPENCODE_BASE_URL: info.url,
  OCM_SANDBOX_MODEL_URL: info.modelUrl,
  OCM_SANDBOX_PROJECT_DIR: info.projectDir
})
