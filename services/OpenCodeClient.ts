import * as Context from "effect/Context"
import type * as Duration from "effect/Duration"
import type * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import type * as Stream from "effect/Stream"
import type {
  Agent,
  ConfigProviders,
  Health,
  MessageWithParts,
  OpenApiDocument,
  OpenCodeEvent,
  FileDiff,
  PermissionReply,
  PermissionRequest,
  PromptBody,
  ProviderCatalog,
  ServerConfig,
  Session,
  SessionStatusMap,
  Todo,
  Worktree
} from "../src/domain/Domain.js"
import type { SessionNotFound, TranscriptDecodeError, TransportError, WaitTimeout } from "../src/domain/Errors.js"
import type { ServerTarget } from "../src/domain/ServerTarget.js"

/** Failures of a call that does not name a session. */
/** WaitTimeout: the command's `--timeout` ran out while a call was unanswered. */
export type ClientError = TransportError | TranscriptDecodeError | WaitTimeout
/** Failures of a call about one session: its 404 is a SessionNotFound. */
export type SessionCallError = ClientError | SessionNotFound

export interface Scoped {
  /** The directory instance the call is about; session-scoped calls pass the session's own directory. */
  readonly directory?: string | undefined
}

export interface ListSessionsOptions extends Scoped {
  readonly limit?: number | undefined
  readonly roots?: boolean | undefined
  readonly search?: string | undefined
}

export interface CreateSessionOptions extends Scoped {
  readonly title?: string | undefined
  readonly parentID?: string | undefined
}

export interface EventSubscription {
  /** Every event after the subscription was confirmed by the server's `server.connected`. */
  readonly events: Stream.Stream<OpenCodeEvent, ClientError>
}

export interface OpenCodeClientShape {
  /** Where this client talks to, and which resolution rule chose it (never the password). */
  readonly target: ServerTarget
  readonly health: Effect.Effect<Health, ClientError>
  readonly openApi: Effect.Effect<OpenApiDocument, ClientError>
  readonly config: (options?: Scoped) => Effect.Effect<ServerConfig, ClientError>
  readonly agents: (options?: Scoped) => Effect.Effect<ReadonlyArray<Agent>, ClientError>
  readonly providers: (options?: Scoped) => Effect.Effect<ConfigProviders, ClientError>
  readonly providerCatalog: (options?: Scoped) => Effect.Effect<ProviderCatalog, ClientError>

  /** Sessions of the server's project (or of one directory with `directory`). */
  readonly listSessions: (options?: ListSessionsOptions) => Effect.Effect<ReadonlyArray<Session>, ClientError>
  /** Sessions of every project the server knows, newest first (`GET /experimental/session`). */
  readonly listAllSessions: (options?: Omit<ListSessionsOptions, "directory">) => Effect.Effect<ReadonlyArray<Session>, ClientError>
  readonly getSession: (sessionID: string, options?: Scoped) => Effect.Effect<Session, SessionCallError>
  readonly createSession: (options?: CreateSessionOptions) => Effect.Effect<Session, ClientError>
  readonly updateSession: (
    sessionID: string,
    patch: { readonly title: string },
    options?: Scoped
  ) => Effect.Effect<Session, SessionCallError>
  readonly deleteSession: (sessionID: string, options?: Scoped) => Effect.Effect<boolean, SessionCallError>

  readonly messages: (
    sessionID: string,
    options?: Scoped & { readonly limit?: number | undefined }
  ) => Effect.Effect<ReadonlyArray<MessageWithParts>, SessionCallError>
  readonly message: (
    sessionID: string,
    messageID: string,
    options?: Scoped
  ) => Effect.Effect<MessageWithParts, SessionCallError>

  /** `POST /session/{id}/message`: blocks until the turn ends and returns the final assistant message. */
  readonly prompt: (
    sessionID: string,
    body: PromptBody,
    options?: Scoped & { readonly timeout?: Duration.DurationInput | undefined }
  ) => Effect.Effect<MessageWithParts, SessionCallError>
  /** `POST /session/{id}/prompt_async`: answers as soon as the prompt is accepted. */
  readonly promptAsync: (sessionID: string, body: PromptBody, options?: Scoped) => Effect.Effect<void, SessionCallError>
  readonly abort: (sessionID: string, options?: Scoped) => Effect.Effect<boolean, SessionCallError>
  /** Sessions whose parent is this one (sub-agent sessions made by the `task` tool). */
  readonly children: (sessionID: string, options?: Scoped) => Effect.Effect<ReadonlyArray<Session>, SessionCallError>
  readonly todo: (sessionID: string, options?: Scoped) => Effect.Effect<ReadonlyArray<Todo>, SessionCallError>
  /** Pending permission requests of one directory instance. */
  readonly permissions: (options?: Scoped) => Effect.Effect<ReadonlyArray<PermissionRequest>, ClientError>
  /** Answers a permission request; an unknown or already answered id is a ServerRejected 404. */
  readonly replyPermission: (
    requestID: string,
    reply: { readonly reply: PermissionReply; readonly message?: string | undefined },
    options?: Scoped
  ) => Effect.Effect<boolean, ClientError>
  /** File changes of a session, or of the turn of one user message (`messageID`). */
  readonly diff: (
    sessionID: string,
    options?: Scoped & { readonly messageID?: string | undefined }
  ) => Effect.Effect<ReadonlyArray<FileDiff>, SessionCallError>
  readonly share: (sessionID: string, options?: Scoped) => Effect.Effect<Session, SessionCallError>
  readonly unshare: (sessionID: string, options?: Scoped) => Effect.Effect<Session, SessionCallError>
  /** Directories of the worktrees the server made for a project (`GET /experimental/worktree`). */
  readonly worktrees: (options?: Scoped) => Effect.Effect<ReadonlyArray<string>, ClientError>
  readonly createWorktree: (input: { readonly name?: string | undefined }, options?: Scoped) => Effect.Effect<Worktree, ClientError>
  /**
   * Removes a worktree. The server deletes ANY directory it is given: pass only a directory that `worktrees`
   * listed (the worktree programs enforce this).
   */
  readonly removeWorktree: (directory: string, options?: Scoped) => Effect.Effect<void, ClientError>
  /**
   * `POST /tui/show-toast`: publishes a `tui.toast.show` event (a TUI attached to the server shows it; without one,
   * the event is all it does).
   */
  readonly showToast: (
    toast: { readonly title?: string | undefined; readonly message: string; readonly variant: "info" | "success" | "warning" | "error" },
    options?: Scoped
  ) => Effect.Effect<boolean, ClientError>
  /** Busy and retrying sessions of one directory instance; idle sessions are absent. */
  readonly sessionStatus: (options?: Scoped) => Effect.Effect<SessionStatusMap, ClientError>

  /** The raw event stream of every directory (`GET /global/event`), unwrapped and decoded. */
  readonly events: Stream.Stream<OpenCodeEvent, ClientError>
  /** Connects to the event stream and returns once the server confirmed the subscription. */
  readonly subscribe: Effect.Effect<EventSubscription, ClientError, Scope.Scope>
}

export class OpenCodeClient extends Context.Tag("opencode-manager/OpenCodeClient")<
  OpenCodeClient,
  OpenCodeClientShape
>() {}

/** Every endpoint the client calls, as the server's OpenAPI document (`/doc`) names them; doctor checks them. */
export const usedEndpoints: ReadonlyArray<{ readonly method: "get" | "post" | "patch" | "delete"; readonly path: string }> = [
  { method: "get", path: "/global/health" },
  { method: "get", path: "/global/event" },
  { method: "get", path: "/config" },
  { method: "get", path: "/agent" },
  { method: "get", path: "/config/providers" },
  { method: "get", path: "/provider" },
  { method: "get", path: "/session" },
  { method: "get", path: "/experimental/session" },
  { method: "post", path: "/session" },
  { method: "get", path: "/session/status" },
  { method: "get", path: "/session/{sessionID}" },
  { method: "patch", path: "/session/{sessionID}" },
  { method: "delete", path: "/session/{sessionID}" },
  { method: "get", path: "/session/{sessionID}/message" },
  { method: "post", path: "/session/{sessionID}/message" },
  { method: "get", path: "/session/{sessionID}/message/{messageID}" },
  { method: "post", path: "/session/{sessionID}/prompt_async" },
  { method: "post", path: "/session/{sessionID}/abort" },
  { method: "get", path: "/session/{sessionID}/children" },
  { method: "get", path: "/session/{sessionID}/todo" },
  { method: "get", path: "/session/{sessionID}/diff" },
  { method: "post", path: "/session/{sessionID}/share" },
  { method: "delete", path: "/session/{sessionID}/share" },
  { method: "get", path: "/permission" },
  { method: "post", path: "/permission/{requestID}/reply" },
  { method: "get", path: "/experimental/worktree" },
  { method: "post", path: "/experimental/worktree" },
  { method: "delete", path: "/experimental/worktree" },
  { method: "post", path: "/tui/show-toast" }
]

/** Makes a client of a server a program resolved itself: doctor probes the server the rules find, check by check. */
export interface OpenCodeConnectorShape {
  readonly connect: (target: ServerTarget) => Effect.Effect<OpenCodeClientShape>
}

export class OpenCodeConnector extends Context.Tag("opencode-manager/OpenCodeConnector")<OpenCodeConnector, OpenCodeConnectorShape>() {}
