/**
 * opencode-manager as a library: the services, their live and test layers, the programs, the typed errors and
 * the schemas — so another Effect app can run the same proofs.
 */
export * from "./domain/Domain.js"
export * from "./domain/Errors.js"
export { chooseIdentity, formatModel, observedIdentity, parseModel, type Identity, type IdentityFields } from "./domain/Identity.js"
export { ascendingMessageId, nextMessageId } from "./domain/MessageId.js"
export { resolveServerTarget, type ServerTarget, type TargetFlags, type TargetRule } from "./engine/ServerTarget.js"
export { matchSession, resolveSession } from "./engine/SessionResolver.js"
export { readDefaults, removeDefaults, writeDefaults } from "./local/SessionDefaults.js"
export {
  queuedSystemPrompts,
  repliesTo,
  replyText,
  runTurn,
  turnReasoning,
  withThinking,
  type TurnInput,
  type TurnProof,
  type TurnResult
} from "./engine/TurnEngine.js"
export {
  identityFlags,
  noteTurn,
  promptTurn,
  type IdentityOptions,
  type Prompt,
  type PromptedTurn,
  type PromptPolicy
} from "./engine/PromptTurn.js"
export {
  beginSession,
  chat,
  deleteSession,
  final,
  oneShot,
  waitIdle,
  type DeletedSession,
  type FinishedTurn,
  type IdleSession,
  type TurnOptions
} from "./programs/turns.js"
export { demo, type DemoPassed, type DemoStep, type Witness } from "./programs/demo.js"
export {
  abortSession,
  listChildren,
  listSessions,
  removeOrphanDefaults,
  showSession,
  showStatus,
  showTodo,
  type Aborted,
  type Children,
  type Listing,
  type ListOptions,
  type OrphanDefaults,
  type RemovedOrphans,
  type SessionDetails,
  type SessionRow,
  type SortKey,
  type TodoList
} from "./programs/inspect.js"
export { listModels, modelRows, type ModelFilters, type ModelRow } from "./programs/models.js"
export { createSession, lastMessage, listMessages, type CreatedSession, type LastMessage, type Role } from "./programs/session.js"
export { send, stream, watch, type SentPrompt, type TurnStreamItem, type WatchItem } from "./programs/send.js"
export { prepareRun, run, type PreparedRun, type RunOptions, type RunResult } from "./programs/run.js"
export {
  listPermissions,
  respond,
  type Answered,
  type PermissionList,
  type RespondOptions,
  type RespondResult
} from "./programs/respond.js"
export { gitPatch, sessionChanges, showDiff, type FileChange, type SessionDiff } from "./programs/diff.js"
export { showSummary, type SessionSummary, type TokenTotals } from "./programs/summary.js"
export { shareSession, unshareSession, type Shared, type Unshared } from "./programs/share.js"
export {
  worktreeCreate,
  worktreeList,
  worktreeRemove,
  worktreeRun,
  type CreatedWorktree,
  type RemovedWorktree,
  type WorktreeListing,
  type WorktreeTurn
} from "./programs/worktree.js"
export { proofJson } from "./engine/TurnEngine.js"
export {
  installSkill,
  skillInstallPath,
  viewSkill,
  type InstalledState,
  type Skill,
  type SkillInstalled
} from "./programs/skill.js"
export {
  isIdle,
  waitAll,
  waitAny,
  waitForIdle,
  waitForText,
  type IdleCheck,
  type IdleWait,
  type TextFound,
  type WaitFlags
} from "./programs/waits.js"
export {
  ABANDONED_AFTER,
  isSettled,
  treeState,
  treeStatus,
  untilJudged,
  waitFor,
  type Rejudging,
  type TreeState,
  type TreeStatus,
  type WaitOptions,
  type WaitResult
} from "./engine/WaitEngine.js"
export { ping, type Ping } from "./programs/ping.js"
export { transcript, type TranscriptFormat, type TranscriptResult } from "./programs/transcript.js"
export { markdownOf } from "./transcript/Markdown.js"
export { toDocument, type TranscriptDocument } from "./transcript/View.js"
export { type EventFilter, parseEventFilter } from "./domain/EventTypes.js"
export {
  doctorReport,
  doctorVerdict,
  type Check,
  type CheckStatus,
  type DoctorOptions,
  type DoctorReport
} from "./programs/doctor.js"

// how the CLI shows each result: a View gives its text and its --json document; present writes one to stdout
export {
  present,
  presentSteps,
  presentStream,
  render,
  ResultWriter,
  Verbatim,
  writeLine,
  type Presentation,
  type View
} from "./present/Presenter.js"
export { begunView, chatView, deletedView, finishedView, idleView, turnJson } from "./present/turns.js"
export { demoView } from "./present/demo.js"
export { eventJson, presentTurnStream, sentView, turnStreamJsonView, turnStreamText, watchView } from "./present/send.js"
export { runView } from "./present/run.js"
export { transcriptView } from "./present/transcript.js"
export { createdWorktreeView, removedWorktreeView, worktreeListView, worktreeTurnView } from "./present/worktree.js"
export { doctorView } from "./present/doctor.js"
export {
  abortedView,
  childrenView,
  listingView,
  removedOrphansView,
  sessionDetailsView,
  todoView,
  treeStatusView
} from "./present/inspect.js"
export { modelsView } from "./present/models.js"
export { pingView } from "./present/ping.js"
export { createdSessionView, lastMessageView, messagesView, type MessagesLayout } from "./present/session.js"
export { skillInstalledView, skillView } from "./present/skill.js"
export { answeredLine, answeredAsWitnessed, permissionListView, respondView } from "./present/respond.js"
export { diffView } from "./present/diff.js"
export { summaryView } from "./present/summary.js"
export { sharedView, unsharedView } from "./present/share.js"
export { allWaitView, anyWaitView, idleCheckView, idleWaitView, stateJson, textFoundView } from "./present/waits.js"

export {
  OpenCodeClient,
  OpenCodeConnector,
  type OpenCodeClientShape,
  type OpenCodeConnectorShape,
  usedEndpoints
} from "../services/OpenCodeClient.js"
export { ProcessHost, type ProcessHostShape } from "../services/ProcessHost.js"
export {
  Sandbox,
  sandboxEnvironment,
  type SandboxInfo,
  type SandboxShape,
  type SandboxStart,
  SandboxStarter,
  type SandboxStarterShape
} from "../services/Sandbox.js"
export {
  decodeModelScript,
  ModelRequest,
  ModelRule,
  ModelScript,
  RecordedMessage,
  ScriptedModel,
  ScriptedModelRemote,
  type ScriptedModelRemoteShape,
  type ScriptedModelShape,
  scriptProblems,
  ScriptStatus
} from "../services/ScriptedModel.js"
export { TranscriptStore, type TranscriptStoreShape } from "../services/TranscriptStore.js"

export * as OpenCodeClientLive from "../layers/OpenCodeClientLive.js"
export * as OtlpTracing from "../layers/OtlpTracing.js"
export * as PlatformLive from "../layers/PlatformLive.js"
export * as ProcessHostLive from "../layers/ProcessHostLive.js"
export * as SandboxLive from "../layers/SandboxLive.js"
export * as ScriptedModelLive from "../layers/ScriptedModelLive.js"
export * as SpawnedServerLive from "../layers/SpawnedServerLive.js"
export * as TranscriptStoreLive from "../layers/TranscriptStoreLive.js"
