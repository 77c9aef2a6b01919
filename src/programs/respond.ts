/**
 * Permission requests of a session tree (SPEC §5.2): `respond` answers them (now, after waiting for the first, or
 * until the tree is idle), `permissions` lists them without answering. The tree and what it is blocked on are the
 * wait engine's one `treeStatus`; the waiting is its one loop, `untilJudged`.
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Ref from "effect/Ref"
import * as Schedule from "effect/Schedule"
import { OpenCodeClient } from "../../services/OpenCodeClient.js"
import { ProcessHost } from "../../services/ProcessHost.js"
import { note } from "../../services/Progress.js"
import type { OpenCodeEvent, PermissionReply, Session } from "../domain/Domain.js"
import { InvalidInput, ServerRejected, WaitTimeout } from "../domain/Errors.js"
import { resolveSession } from "../engine/SessionResolver.js"
import {
  isBusy,
  isSessionCreated,
  makeTreeIndex,
  type PendingPermission,
  pendingPermissions,
  treeStatus,
  type TreeStatus,
  untilJudged
} from "../engine/WaitEngine.js"

const plural = (count: number, word: string) => `${count} ${word}${count === 1 ? "" : "s"}`

// ---------------------------------------------------------------------------------------------------------
// The session tree: a session and every sub-agent session below it, judged by the wait engine's one treeStatus.
// Its `blocked` is every pending request of the tree: a session waiting for a reply reads busy, and the requests
// of every busy member's directory are asked.

const lookAtTree = (session: Session) => treeStatus(session, { mainAgent: false })

/** Whose requests: "ses_…", or "ses_… or its 2 sub-agent sessions". */
const whereIn = (state: TreeStatus) =>
  state.descendants.length > 0
    ? `${state.session.id} or its ${plural(state.descendants.length, "sub-agent session")}`
    : state.session.id

// ---------------------------------------------------------------------------------------------------------
// respond

/** One request answered by this command, witnessed. */
export interface Answered {
  readonly id: string
  readonly sessionID: string
  readonly permission: string
  readonly patterns: ReadonlyArray<string>
  readonly response: PermissionReply
}

export interface RespondOptions {
  readonly response: Option.Option<PermissionReply>
  readonly permissionId: Option.Option<string>
  readonly wait: boolean
  readonly autoApprove: boolean
  readonly message: Option.Option<string>
  readonly timeout: Duration.Duration
  /** Told each answer as soon as it is witnessed (the CLI prints it then; `--auto-approve` may run for long). */
  readonly onAnswered?: ((answered: Answered, root: Session) => Effect.Effect<void>) | undefined
}

export interface RespondResult {
  /** The session named (the root of the tree). */
  readonly session: Session
  /** Every request this command answered, in order. */
  readonly answered: ReadonlyArray<Answered>
}

const WITNESS_TRIES = 10

/**
 * Answers one request and witnesses it: the server answered true, and the request is then no longer pending.
 * A 404 means someone else answered it first: noted, not an error, and not counted as ours.
 */
const answer = (pending: PendingPermission, reply: PermissionReply, message: string | undefined) =>
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
      yield* note("warning", `ocm: ${request.id} was already answered by someone else`)
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

const verdict = Option.some<void>(undefined)
const noVerdict = Option.none<void>()

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
    const onAnswered = options.onAnswered ?? (() => Effect.void)
    const answerAll = (requests: ReadonlyArray<PendingPermission>) =>
      Effect.map(
        Effect.forEach(requests, (pending) =>
          Effect.tap(answer(pending, response, message), (answered) =>
            Option.isSome(answered) ? onAnswered(answered.value, session) : Effect.void
          )
        ),
        (results) => results.flatMap(Option.toArray)
      )
    const result = (answered: ReadonlyArray<Answered>): RespondResult => ({ session, answered })

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
        yield* note("warning", `ocm: no pending permission requests for ${whereIn(state)}`)
        return result([])
      }
      const answered = yield* answerAll(targets)
      if (answered.length === 0) yield* note("warning", `ocm: nothing left to answer for ${whereIn(state)}`)
      return result(answered)
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
      const answered = yield* answerAll(state.blocked)
      yield* Ref.update(answeredSoFar, (before) => [...before, ...answered])
      return { state, answered }
    })

    /** What can bring a request or the end: requests asked in the tree, its sessions going idle, new sub-agent sessions. */
    const react = (event: OpenCodeEvent) =>
      Effect.gen(function* () {
        if (trees.rootsOf(event).length === 0) return noVerdict
        const payload = event.payload
        switch (payload.type) {
          case "permission.asked":
          case "session.idle":
            return verdict
          case "session.status": {
            const status = payload.properties.status
            if (status.type === "idle") return verdict
            yield* Ref.set(sawBusy, true)
            if (status.type === "retry") {
              yield* note(
                "retry",
                `ocm: ${payload.properties.sessionID}: the provider is being retried (attempt ${status.attempt}): ${status.message}`
              )
            }
            return noVerdict
          }
          default:
            return isSessionCreated(event) ? verdict : noVerdict
        }
      })

    // --auto-approve answers until the tree is idle. With --wait an idle tree only counts once there was work (a
    // request answered, or the tree seen busy), so a turn that has not started yet is not taken for done.
    const judge = options.autoApprove
      ? Effect.gen(function* () {
          const { state } = yield* lookAndAnswer
          if (isBusy(state)) {
            yield* Ref.set(sawBusy, true)
            return noVerdict
          }
          const started = (yield* Ref.get(sawBusy)) || (yield* Ref.get(answeredSoFar)).length > 0
          return started || !options.wait ? verdict : noVerdict
        })
      : Effect.map(lookAndAnswer, ({ answered }) => (answered.length > 0 ? verdict : noVerdict))

    const waitingFor = (where: string) =>
      options.autoApprove
        ? `${session.id} and its sub-agent sessions to become idle while answering their permission requests`
        : `a permission request of ${where}`
    yield* untilJudged({
      events: subscription.events,
      react: (event) => react(event),
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
    if (options.autoApprove) yield* note("progress", `ocm: ${session.id} is idle; ${plural(answered.length, "request")} answered`)
    return result(answered)
  }).pipe(Effect.scoped)

// ---------------------------------------------------------------------------------------------------------
// permissions: what respond would answer, listed without answering

/** Enough to see every session of a busy machine; the server's own default is 100. */
const EVERY_SESSION = 10_000

export interface PermissionList {
  /** The session named, or none for `--all`. */
  readonly root: Session | undefined
  readonly pending: ReadonlyArray<PendingPermission>
  /** Whose requests were looked for: "ses_… or its 2 sub-agent sessions", "any session on the server". */
  readonly where: string
}

/**
 * Pending permission requests of the session and every sub-agent session below it (the tree as respond judges it),
 * or with `all` of every directory the server has sessions in; none is answered.
 */
export const listPermissions = (reference: string | undefined, options: { readonly all: boolean }) =>
  Effect.gen(function* () {
    if (options.all && reference !== undefined) {
      return yield* new InvalidInput({ message: "give SESSION or --all, not both" })
    }
    const client = yield* OpenCodeClient
    const host = yield* ProcessHost
    if (options.all) {
      const sessions = yield* client.listAllSessions({ limit: EVERY_SESSION })
      const directories = new Set(sessions.map((session) => session.directory))
      const pending = yield* pendingPermissions(directories, () => Effect.succeed(true))
      const everything: PermissionList = { root: undefined, pending, where: "any session on the server" }
      return everything
    }
    const session = yield* resolveSession(reference, host.cwd)
    const state = yield* lookAtTree(session)
    const list: PermissionList = { root: session, pending: state.blocked, where: whereIn(state) }
    return list
  })
