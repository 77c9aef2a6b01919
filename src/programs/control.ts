/**
 * The acting side of the control surface (SPEC §5.2): respond (permission replies for a session and its
 * sub-agent sessions), diff, summary, share, unshare.
 */
import * as Console from "effect/Console"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Ref from "effect/Ref"
import * as Schedule from "effect/Schedule"
import { OpenCodeClient } from "../../services/OpenCodeClient.js"
import { ProcessHost } from "../../services/ProcessHost.js"
import type {
  FileDiff,
  MessageWithParts,
  OpenCodeEvent,
  PermissionReply,
  Session,
  Tokens as MessageTokens
} from "../Domain.js"
import { InvalidInput, ServerRejected, WaitTimeout } from "../Errors.js"
import { emit, note, table } from "../Output.js"
import { resolveSession } from "../SessionResolver.js"
import {
  blockedJson,
  isBusy,
  isSessionCreated,
  makeTreeIndex,
  type PendingPermission,
  pendingPermissions,
  retryJson,
  treeStatus,
  treeStatusLabel,
  type TreeStatus,
  untilJudged,
  waitingLabel
} from "../WaitEngine.js"
import { replyText } from "../TurnEngine.js"

export interface JsonOption {
  readonly json: boolean
}

const plural = (count: number, word: string) => `${count} ${word}${count === 1 ? "" : "s"}`

// ---------------------------------------------------------------------------------------------------------
// The session tree: a session and every sub-agent session below it, judged by the wait engine's one treeStatus.
// Its `blocked` is every pending request of the tree: a session waiting for a reply reads busy, and the requests
// of every busy member's directory are asked.

const directoriesOf = (sessions: ReadonlyArray<Session>) => [...new Set(sessions.map((session) => session.directory))]

const lookAtTree = (session: Session) => treeStatus(session, { mainAgent: false })

/** Whose requests: "ses_…", or "ses_… or its 2 sub-agent sessions". */
const whereIn = (state: TreeStatus) =>
  state.descendants.length > 0
    ? `${state.session.id} or its ${plural(state.descendants.length, "sub-agent session")}`
    : state.session.id

// ---------------------------------------------------------------------------------------------------------
// respond

export interface RespondOptions extends JsonOption {
  readonly response: Option.Option<PermissionReply>
  readonly permissionId: Option.Option<string>
  readonly wait: boolean
  readonly autoApprove: boolean
  readonly message: Option.Option<string>
  readonly timeout: Duration.Duration
}

type Pending = PendingPermission

export interface Answered {
  readonly id: string
  readonly sessionID: string
  readonly permission: string
  readonly patterns: ReadonlyArray<string>
  readonly response: PermissionReply
}

const WITNESS_TRIES = 10

/**
 * Answers one request and witnesses it: the server answered true, and the request is then no longer pending.
 * A 404 means someone else answered it first: noted, not an error, and not counted as ours.
 */
const answer = (pending: Pending, reply: PermissionReply, message: string | undefined) =>
  Effect.gen(function* () {
    const client = yield* OpenCodeClient
    const { request, directory } = pending
    const accepted = yield* client.replyPermission(request.id, { reply, message }, { directory }).pipe(
      Effect.map(Option.some),
      Effect.catchIf(
        (error) => error._tag === "ServerRejected" && error.status === 404,
        () => Effect.succeed(Option.none<boolean>())
      )
    )
    if (Option.isNone(accepted)) {
      yield* note(`ocm: ${request.id} was already answered by someone else`)
      return Option.none<Answered>()
    }
    const path = `/permission/${request.id}/reply`
    if (!accepted.value) {
      return yield* new ServerRejected({ method: "POST", path, status: 200, detail: "the server answered false" })
    }
    const stillPending = Effect.map(client.permissions({ directory }), (requests) => requests.some((r) => r.id === request.id))
    const gone = yield* stillPending.pipe(
      Effect.repeat({
        until: (pendingNow) => !pendingNow,
        schedule: Schedule.intersect(Schedule.spaced("100 millis"), Schedule.recurs(WITNESS_TRIES))
      }),
      Effect.zipRight(Effect.map(stillPending, (pendingNow) => !pendingNow))
    )
    if (!gone) {
      return yield* new ServerRejected({
        method: "POST",
        path,
        status: 200,
        detail: "the server accepted the reply, but the request is still pending"
      })
    }
    return Option.some<Answered>({
      id: request.id,
      sessionID: request.sessionID,
      permission: request.permission,
      patterns: request.patterns,
      response: reply
    })
  })

/**
 * One request on one line: id, (the answer,) permission, patterns, and whose it is — a sub-agent session below `root`,
 * or with no root (`permissions --all`) the session and its directory.
 */
const requestLine = (
  root: Session | undefined,
  request: { readonly id: string; readonly sessionID: string; readonly permission: string; readonly patterns: ReadonlyArray<string> },
  extra: { readonly response?: PermissionReply; readonly directory?: string } = {}
) =>
  [
    request.id,
    ...(extra.response === undefined ? [] : [extra.response.padEnd(6)]),
    request.permission,
    request.patterns.join(", "),
    root === undefined
      ? `(session ${request.sessionID}${extra.directory === undefined ? "" : `, ${extra.directory}`})`
      : request.sessionID === root.id
        ? ""
        : `(sub-agent session ${request.sessionID})`
  ]
    .join("  ")
    .trimEnd()

const answeredLine = (root: Session, answered: Answered) => requestLine(root, answered, { response: answered.response })

/** Answers each request in turn; in human mode each answer is printed as soon as it is witnessed. */
const answerAll = (
  root: Session,
  requests: ReadonlyArray<Pending>,
  reply: PermissionReply,
  message: string | undefined,
  json: boolean
) =>
  Effect.map(
    Effect.forEach(requests, (pending) =>
      answer(pending, reply, message).pipe(
        Effect.tap((answered) =>
          Option.isSome(answered) && !json ? Console.log(answeredLine(root, answered.value)) : Effect.void
        )
      )
    ),
    (results) => results.flatMap(Option.toArray)
  )

const checkRespondFlags = (options: RespondOptions) =>
  Effect.gen(function* () {
    const response = Option.getOrElse(options.response, (): PermissionReply => "once")
    const message = Option.getOrUndefined(options.message)
    if (message !== undefined && response !== "reject") {
      return yield* new InvalidInput({ message: "--message is feedback for a rejection: it needs --response reject" })
    }
    if (message !== undefined && message.trim() === "") {
      return yield* new InvalidInput({ message: "--message must not be empty" })
    }
    if (options.autoApprove && response === "reject") {
      return yield* new InvalidInput({ message: "--auto-approve approves: it takes --response once (default) or always, not reject" })
    }
    if (Option.isSome(options.permissionId) && (options.wait || options.autoApprove)) {
      return yield* new InvalidInput({
        message: "--permission-id answers one request that is pending now; it takes neither --wait nor --auto-approve"
      })
    }
    if (Option.isSome(options.permissionId) && options.permissionId.value.trim() === "") {
      return yield* new InvalidInput({ message: "--permission-id must not be empty" })
    }
    return { response, message }
  })

/**
 * Answers pending permission requests of the session and of every sub-agent session below it.
 * Now (default), after waiting for the first (`--wait`), or continuously until the tree is idle (`--auto-approve`).
 */
export const respond = (reference: string | undefined, options: RespondOptions) =>
  Effect.gen(function* () {
    const { response, message } = yield* checkRespondFlags(options)
    const host = yield* ProcessHost
    const client = yield* OpenCodeClient
    const session = yield* resolveSession(reference, host.cwd)
    const finish = (answered: ReadonlyArray<Answered>) =>
      options.json ? emit(true, { answered }, () => "") : Effect.void

    if (!options.wait && !options.autoApprove) {
      const state = yield* lookAtTree(session)
      const pending = state.blocked
      const targets = Option.match(options.permissionId, {
        onNone: () => pending,
        onSome: (id) => pending.filter(({ request }) => request.id === id)
      })
      if (Option.isSome(options.permissionId) && targets.length === 0) {
        const others = pending.map(({ request }) => request.id)
        return yield* new InvalidInput({
          message: `permission request ${options.permissionId.value} is not pending for ${whereIn(state)}${
            others.length === 0 ? " (nothing is pending)" : ` (pending: ${others.join(", ")})`
          }`
        })
      }
      if (targets.length === 0) {
        yield* note(`ocm: no pending permission requests for ${whereIn(state)}`)
        return yield* finish([])
      }
      const answered = yield* answerAll(session, targets, response, message, options.json)
      if (answered.length === 0) yield* note(`ocm: nothing left to answer for ${whereIn(state)}`)
      return yield* finish(answered)
    }

    // subscribed before the first look, so a request asked in between is not missed
    const subscription = yield* client.subscribe
    const trees = makeTreeIndex([session])
    const latest = yield* Ref.make(Option.none<TreeStatus>())
    const answeredSoFar = yield* Ref.make<ReadonlyArray<Answered>>([])
    const sawBusy = yield* Ref.make(false)

    /** One look at the tree, answering what it is blocked on. */
    const lookAndAnswer = Effect.gen(function* () {
      const state = yield* lookAtTree(session)
      trees.seen(state)
      yield* Ref.set(latest, Option.some(state))
      const answered = yield* answerAll(session, state.blocked, response, message, options.json)
      yield* Ref.update(answeredSoFar, (before) => [...before, ...answered])
      return { state, answered }
    })

    /** What can bring a request or the end: requests asked in the tree, its sessions going idle, new sub-agent sessions. */
    const react = (event: OpenCodeEvent) =>
      Effect.gen(function* () {
        if (trees.rootsOf(event).length === 0) return Option.none<void>()
        const payload = event.payload
        switch (payload.type) {
          case "permission.asked":
          case "session.idle":
            return Option.some<void>(undefined)
          case "session.status": {
            const status = payload.properties.status
            if (status.type === "idle") return Option.some<void>(undefined)
            yield* Ref.set(sawBusy, true)
            if (status.type === "retry") {
              yield* note(`ocm: ${payload.properties.sessionID}: the provider is being retried (attempt ${status.attempt}): ${status.message}`)
            }
            return Option.none<void>()
          }
          default:
            return isSessionCreated(event) ? Option.some<void>(undefined) : Option.none<void>()
        }
      })

    // --auto-approve answers until the tree is idle. With --wait an idle tree only counts once there was work (a
    // request answered, or the tree seen busy), so a turn that has not started yet is not taken for done.
    const judge = options.autoApprove
      ? Effect.gen(function* () {
          const { state } = yield* lookAndAnswer
          if (isBusy(state)) {
            yield* Ref.set(sawBusy, true)
            return Option.none<void>()
          }
          const started = (yield* Ref.get(sawBusy)) || (yield* Ref.get(answeredSoFar)).length > 0
          return started || !options.wait ? Option.some<void>(undefined) : Option.none<void>()
        })
      : Effect.map(lookAndAnswer, ({ answered }) => (answered.length > 0 ? Option.some<void>(undefined) : Option.none<void>()))

    const waitingFor = (where: string) =>
      options.autoApprove
        ? `${session.id} and its sub-agent sessions to become idle while answering their permission requests`
        : `a permission request of ${where}`
    yield* untilJudged({
      events: subscription.events,
      react,
      everything: undefined,
      judge: () => judge,
      waitingFor: waitingFor(session.id),
      timeout: options.timeout,
      onTimeout: Effect.gen(function* () {
        const answered = yield* Ref.get(answeredSoFar)
        const where = Option.match(yield* Ref.get(latest), { onNone: () => session.id, onSome: whereIn })
        return new WaitTimeout({
          waitingFor: waitingFor(where),
          seconds: Duration.toSeconds(options.timeout),
          hint: options.autoApprove ? `${plural(answered.length, "request")} answered so far` : ""
        })
      })
    })
    const answered = yield* Ref.get(answeredSoFar)
    if (options.autoApprove) yield* note(`ocm: ${session.id} is idle; ${plural(answered.length, "request")} answered`)
    return yield* finish(answered)
  }).pipe(Effect.scoped)

// ---------------------------------------------------------------------------------------------------------
// permissions: what respond would answer, listed without answering

export interface PermissionsOptions extends JsonOption {
  /** Every pending request of every directory the server has sessions in. */
  readonly all: boolean
}

/** Enough to see every session of a busy machine; the server's own default is 100. */
const EVERY_SESSION = 10_000

const permissionJson = ({ request, directory }: Pending) => ({
  id: request.id,
  sessionID: request.sessionID,
  directory,
  permission: request.permission,
  patterns: request.patterns,
  always: request.always ?? [],
  tool: request.tool ?? null
})

/**
 * Pending permission requests of the session and every sub-agent session below it (every directory of the tree, as
 * respond gathers them), or with `--all` of every directory the server has sessions in; none is answered.
 */
export const listPermissions = (reference: string | undefined, options: PermissionsOptions) =>
  Effect.gen(function* () {
    if (options.all && reference !== undefined) {
      return yield* new InvalidInput({ message: "give SESSION or --all, not both" })
    }
    const client = yield* OpenCodeClient
    const host = yield* ProcessHost
    const gathered = options.all
      ? yield* Effect.gen(function* () {
          const sessions = yield* client.listAllSessions({ limit: EVERY_SESSION })
          const pending = yield* pendingPermissions(directoriesOf(sessions), () => Effect.succeed(true))
          return { root: undefined, pending, where: "any session on the server" }
        })
      : yield* Effect.gen(function* () {
          const session = yield* resolveSession(reference, host.cwd)
          const state = yield* lookAtTree(session)
          return { root: session, pending: state.blocked, where: whereIn(state) }
        })
    if (gathered.pending.length === 0 && !options.json) {
      return yield* note(`ocm: no pending permission requests for ${gathered.where}`)
    }
    yield* emit(options.json, gathered.pending.map(permissionJson), () =>
      gathered.pending
        .map(({ request, directory }) => requestLine(gathered.root, request, { directory }))
        .join("\n")
    )
  })

// ---------------------------------------------------------------------------------------------------------
// diff

export interface FileChange {
  readonly file: string
  readonly status: string
  readonly additions: number
  readonly deletions: number
  /** A git-style unified diff of this file for one turn (`git apply` accepts the concatenation). */
  readonly patch: string
  /** The user message whose turn made the change. */
  readonly messageID: string
}

/**
 * The server's patches (`Index:` / `===` / `--- f` / `+++ f`) in git's form: a `diff --git a/f b/f` header,
 * new/deleted file modes, `a/` and `b/` prefixes and /dev/null, then the hunks unchanged. A patch that already
 * has a git header is kept as it is.
 */
export const gitPatch = (diff: { readonly file: string; readonly status?: string | undefined; readonly patch?: string | undefined }) => {
  const patch = diff.patch ?? ""
  if (patch.startsWith("diff --git ")) return patch.endsWith("\n") ? patch : `${patch}\n`
  const lines = patch.split("\n")
  const firstHunk = lines.findIndex((line) => line.startsWith("@@"))
  const hunks = firstHunk === -1 ? "" : lines.slice(firstHunk).join("\n")
  const file = diff.file
  const header = [`diff --git a/${file} b/${file}`]
  if (diff.status === "added") header.push("new file mode 100644")
  if (diff.status === "deleted") header.push("deleted file mode 100644")
  if (hunks !== "") {
    header.push(diff.status === "added" ? "--- /dev/null" : `--- a/${file}`)
    header.push(diff.status === "deleted" ? "+++ /dev/null" : `+++ b/${file}`)
  }
  const text = [...header, ...(hunks === "" ? [] : [hunks])].join("\n")
  return text.endsWith("\n") ? text : `${text}\n`
}

const statusOfDiff = (diff: FileDiff) => diff.status ?? "modified"

/**
 * The session's file changes, turn by turn: each user message's diff (`GET /session/{id}/diff?messageID=`;
 * without a message id the server answers []), grouped per file in order of first change, each file's turns in
 * order.
 */
export const sessionChanges = (session: Session, messages?: ReadonlyArray<MessageWithParts>) =>
  Effect.gen(function* () {
    const client = yield* OpenCodeClient
    const scoped = { directory: session.directory }
    const all = messages ?? (yield* client.messages(session.id, scoped))
    const userIDs = all.filter((message) => message.info.role === "user").map((message) => message.info.id)
    const perTurn = yield* Effect.forEach(
      userIDs,
      (messageID) =>
        Effect.map(client.diff(session.id, { ...scoped, messageID }), (diffs) =>
          diffs.flatMap((diff): ReadonlyArray<FileChange> =>
            diff.file === undefined || diff.file === ""
              ? []
              : [
                  {
                    file: diff.file,
                    status: statusOfDiff(diff),
                    additions: diff.additions,
                    deletions: diff.deletions,
                    patch: gitPatch({ file: diff.file, status: diff.status, patch: diff.patch }),
                    messageID
                  }
                ]
          )
        ),
      { concurrency: 8 }
    )
    const byFile = new Map<string, Array<FileChange>>()
    for (const change of perTurn.flat()) {
      const list = byFile.get(change.file) ?? []
      list.push(change)
      byFile.set(change.file, list)
    }
    return [...byFile.values()].flat()
  })

export const showDiff = (reference: string | undefined, options: JsonOption) =>
  Effect.gen(function* () {
    const host = yield* ProcessHost
    const session = yield* resolveSession(reference, host.cwd)
    const changes = yield* sessionChanges(session)
    if (changes.length === 0 && !options.json) return yield* note(`ocm: ${session.id} changed no files`)
    yield* emit(options.json, changes, () => changes.map((change) => change.patch).join("").replace(/\n$/, ""))
  })

// ---------------------------------------------------------------------------------------------------------
// summary

interface Tokens {
  readonly total: number
  readonly input: number
  readonly output: number
  readonly reasoning: number
  readonly cacheRead: number
  readonly cacheWrite: number
}

const tokensOf = (tokens: MessageTokens | undefined): Tokens => {
  if (tokens === undefined) return noTokens
  const { input, output, reasoning } = tokens
  const { read: cacheRead, write: cacheWrite } = tokens.cache
  const total = tokens.total || input + output + reasoning + cacheRead + cacheWrite
  return { total, input, output, reasoning, cacheRead, cacheWrite }
}

const addTokens = (a: Tokens, b: Tokens): Tokens => ({
  total: a.total + b.total,
  input: a.input + b.input,
  output: a.output + b.output,
  reasoning: a.reasoning + b.reasoning,
  cacheRead: a.cacheRead + b.cacheRead,
  cacheWrite: a.cacheWrite + b.cacheWrite
})

const noTokens: Tokens = { total: 0, input: 0, output: 0, reasoning: 0, cacheRead: 0, cacheWrite: 0 }

const SNIPPET = 200

const snippet = (text: string) => {
  const flat = text.replace(/\s+/g, " ").trim()
  return flat.length <= SNIPPET ? flat : `${flat.slice(0, SNIPPET - 1)}…`
}

/** Files touched, and lines added and removed summed over every turn (a line added, then removed, counts in both). */
const changeTotals = (changes: ReadonlyArray<FileChange>) => ({
  files: new Set(changes.map((change) => change.file)).size,
  additions: changes.reduce((sum, change) => sum + change.additions, 0),
  deletions: changes.reduce((sum, change) => sum + change.deletions, 0)
})

/** Title, status (tree-aware, with retry), todo progress, cost and tokens, files changed, the latest reply. */
export const showSummary = (reference: string | undefined, options: JsonOption) =>
  Effect.gen(function* () {
    const client = yield* OpenCodeClient
    const host = yield* ProcessHost
    const session = yield* resolveSession(reference, host.cwd)
    const scoped = { directory: session.directory }
    const [state, messages, todos] = yield* Effect.all(
      [treeStatus(session, { mainAgent: false }), client.messages(session.id, scoped), client.todo(session.id, scoped)],
      { concurrency: "unbounded" }
    )
    const changes = yield* sessionChanges(session, messages)
    const assistants = messages.flatMap((message) => (message.info.role === "assistant" ? [{ message, info: message.info }] : []))
    const cost = assistants.reduce((sum, { info }) => sum + (info.cost ?? 0), 0)
    const tokens = assistants.reduce((sum, { info }) => addTokens(sum, tokensOf(info.tokens)), noTokens)
    const latest = [...assistants].reverse().find(({ message }) => replyText(message).trim() !== "")
    const newest = assistants[assistants.length - 1]?.info
    const todo = {
      done: todos.filter((item) => item.status === "completed").length,
      inProgress: todos.filter((item) => item.status === "in_progress").length,
      total: todos.length
    }
    const totals = changeTotals(changes)
    const lastReply = latest === undefined ? null : snippet(replyText(latest.message))
    const error = newest?.error?.name ?? null
    yield* emit(
      options.json,
      {
        id: session.id,
        title: session.title,
        directory: session.directory,
        status: state.status.type,
        idle: !isBusy(state),
        retry: retryJson(state.status),
        blocked: blockedJson(state.blocked),
        subAgents: {
          total: state.descendants.length,
          busy: state.busyDescendants.map(({ session: child, status }) => ({ id: child.id, title: child.title, status: status.type }))
        },
        todo,
        messages: { user: messages.length - assistants.length, assistant: assistants.length },
        cost,
        tokens,
        changes: totals,
        lastError: error,
        lastReply
      },
      () =>
        [
          `${session.id}  ${session.title}`,
          table([
            ["directory", session.directory],
            ["status", [treeStatusLabel(state), waitingLabel(state)].filter((part) => part !== undefined).join("; ")],
            ["todo", todo.total === 0 ? "none" : `${todo.done}/${todo.total} done${todo.inProgress > 0 ? `, ${todo.inProgress} in progress` : ""}`],
            ["messages", `${messages.length - assistants.length} user, ${assistants.length} assistant`],
            ["cost", `$${cost.toFixed(4)}`],
            [
              "tokens",
              `${tokens.total} (input ${tokens.input}, output ${tokens.output}, reasoning ${tokens.reasoning}, cache read ${tokens.cacheRead}, write ${tokens.cacheWrite})`
            ],
            ["changes", `+${totals.additions} -${totals.deletions} in ${plural(totals.files, "file")}`],
            ["error", error ?? undefined],
            ["reply", lastReply ?? undefined]
          ])
        ].join("\n")
    )
  })

// ---------------------------------------------------------------------------------------------------------
// share / unshare

/** The server answers a bare 500 when sharing is switched off in its config; say so. */
const explainShareFailure = (session: Session) => (error: ServerRejected) =>
  Effect.gen(function* () {
    const client = yield* OpenCodeClient
    const config = yield* client.config({ directory: session.directory }).pipe(Effect.option)
    const disabled = Option.isSome(config) && config.value["share"] === "disabled"
    return yield* Effect.fail(
      disabled
        ? new ServerRejected({
            ...error,
            detail: `${error.detail} (sharing is disabled in the server's config: "share": "disabled")`
          })
        : error
    )
  })

/** Shares the session and prints its public URL; witnessed: the server's answer carries the URL. */
export const shareSession = (reference: string, options: JsonOption) =>
  Effect.gen(function* () {
    const client = yield* OpenCodeClient
    const host = yield* ProcessHost
    const session = yield* resolveSession(reference, host.cwd)
    const shared = yield* client
      .share(session.id, { directory: session.directory })
      .pipe(Effect.catchTag("ServerRejected", explainShareFailure(session)))
    const url = shared.share?.url
    if (url === undefined || url === "") {
      return yield* new ServerRejected({
        method: "POST",
        path: `/session/${session.id}/share`,
        status: 200,
        detail: "the server answered without a share URL"
      })
    }
    yield* emit(options.json, { sessionID: session.id, url }, () => url)
  })

/** Removes the public share; witnessed: the session then reads back without a share URL. */
export const unshareSession = (reference: string | undefined, options: JsonOption) =>
  Effect.gen(function* () {
    const client = yield* OpenCodeClient
    const host = yield* ProcessHost
    const session = yield* resolveSession(reference, host.cwd)
    const scoped = { directory: session.directory }
    yield* client.unshare(session.id, scoped)
    const after = yield* client.getSession(session.id, scoped)
    if (after.share?.url !== undefined) {
      return yield* new ServerRejected({
        method: "DELETE",
        path: `/session/${session.id}/share`,
        status: 200,
        detail: `the server accepted the request, but the session is still shared at ${after.share.url}`
      })
    }
    const wasShared = session.share?.url !== undefined
    yield* emit(options.json, { sessionID: session.id, shared: false, wasShared }, () =>
      wasShared ? `unshared ${session.id}` : `unshared ${session.id} (it was not shared)`
    )
  })
