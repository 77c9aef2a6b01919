/**
 * The one waiting engine (SPEC §5.2): whether a session is settled — tree-aware, a parent with busy sub-agent
 * sessions is "waiting", not idle — and waits over any number of sessions on one shared event subscription,
 * re-judged from live server state whenever one of their trees reports a status change.
 */
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import { OpenCodeClient } from "../services/OpenCodeClient.js"
import type { ClientError } from "../services/OpenCodeClient.js"
import type { MessageWithParts, OpenCodeEvent, PermissionRequest, Session, SessionStatus, SessionStatusMap } from "./Domain.js"
import { eventSessionID } from "./Domain.js"
import { WaitTimeout } from "./Errors.js"
import { withinBudget } from "./Timeout.js"

// ---------------------------------------------------------------------------------------------------------
// Status is per directory instance: `/session/status?directory=D` only knows the sessions of D.

export type StatusesByDirectory = ReadonlyMap<string, SessionStatusMap>

const idleStatus: SessionStatus = { type: "idle" }

export const statusesOf = (sessions: ReadonlyArray<Session>) =>
  Effect.gen(function* () {
    const client = yield* OpenCodeClient
    const directories = [...new Set(sessions.map((session) => session.directory))]
    const maps = yield* Effect.forEach(directories, (directory) => client.sessionStatus({ directory }), { concurrency: 8 })
    return new Map(directories.map((directory, index) => [directory, maps[index]!])) as StatusesByDirectory
  })

/** Absent means idle (the server lists only busy and retrying sessions). */
export const statusIn = (statuses: StatusesByDirectory, session: Session): SessionStatus =>
  statuses.get(session.directory)?.[session.id] ?? idleStatus

/** `idle`, `busy`, or `retry (attempt N: message)`. */
export const statusLabel = (status: SessionStatus) =>
  status.type === "retry" ? `retry (attempt ${status.attempt}: ${status.message})` : status.type

export const retryJson = (status: SessionStatus) =>
  status.type === "retry" ? { attempt: status.attempt, message: status.message, next: status.next ?? null } : null

/** Every session below the given ones (children, their children, …). */
export const descendantsOf = (
  parents: ReadonlyArray<Session>,
  seen: ReadonlySet<string> = new Set(parents.map((parent) => parent.id))
): Effect.Effect<ReadonlyArray<Session>, ClientError, OpenCodeClient> =>
  Effect.gen(function* () {
    if (parents.length === 0) return []
    const client = yield* OpenCodeClient
    const children = yield* Effect.forEach(
      parents,
      (parent) =>
        client.children(parent.id, { directory: parent.directory }).pipe(
          Effect.catchTag("SessionNotFound", () => Effect.succeed([] as ReadonlyArray<Session>))
        ),
      { concurrency: 8 }
    )
    const fresh = children.flat().filter((child) => !seen.has(child.id))
    const deeper = yield* descendantsOf(fresh, new Set([...seen, ...fresh.map((child) => child.id)]))
    return [...fresh, ...deeper]
  })

/** Looks sessions up by id, remembering each answer (a session that reads 404 is remembered as gone). */
export const makeSessionLookup = (known: ReadonlyArray<Session>) =>
  Effect.gen(function* () {
    const client = yield* OpenCodeClient
    const cache = new Map<string, Session | null>(known.map((session) => [session.id, session]))
    const lookup = (sessionID: string): Effect.Effect<Session | undefined, ClientError> => {
      const cached = cache.get(sessionID)
      if (cached !== undefined) return Effect.succeed(cached ?? undefined)
      return client.getSession(sessionID).pipe(
        Effect.map((session): Session | null => session),
        Effect.catchTag("SessionNotFound", () => Effect.succeed(null)),
        Effect.tap((session) => Effect.sync(() => cache.set(sessionID, session))),
        Effect.map((session) => session ?? undefined)
      )
    }
    /** The session and its ancestors, nearest first; it ends at a root, at a session that is gone, or 64 deep. */
    const lineage = (sessionID: string): Effect.Effect<ReadonlyArray<Session>, ClientError> =>
      Effect.gen(function* () {
        const chain: Array<Session> = []
        let next: string | undefined = sessionID
        while (next !== undefined && chain.length < 64) {
          const session: Session | undefined = yield* lookup(next)
          if (session === undefined) break
          chain.push(session)
          next = session.parentID
        }
        return chain
      })
    return { lookup, lineage }
  })

// ---------------------------------------------------------------------------------------------------------
// Pending permission requests: like status, `/permission?directory=D` only knows the requests of D.

export interface PendingPermission {
  readonly request: PermissionRequest
  /** The directory instance it was listed in: the reply must go there. */
  readonly directory: string
}

/** Pending requests of the given directory instances that `belongs` accepts, each once, in listed order. */
export const pendingPermissions = <E, R>(
  directories: Iterable<string>,
  belongs: (sessionID: string) => Effect.Effect<boolean, E, R>
) =>
  Effect.gen(function* () {
    const client = yield* OpenCodeClient
    const lists = yield* Effect.forEach(
      [...new Set(directories)],
      (directory) =>
        Effect.map(client.permissions({ directory }), (requests) =>
          requests.map((request): PendingPermission => ({ request, directory }))
        ),
      { concurrency: 8 }
    )
    const seen = new Set<string>()
    const unique = lists.flat().filter(({ request }) => !seen.has(request.id) && Boolean(seen.add(request.id)))
    return yield* Effect.filter(unique, ({ request }) => belongs(request.sessionID))
  })

/** `--json` of what a tree is blocked on: the first pending request (`ocm permissions` lists them all), or null. */
export const blockedJson = (blocked: ReadonlyArray<PendingPermission>) => {
  const first = blocked[0]
  return first === undefined
    ? null
    : {
        permissionID: first.request.id,
        permission: first.request.permission,
        patterns: first.request.patterns,
        sessionID: first.request.sessionID,
        directory: first.directory
      }
}

/** `bash: printf hi` — the permission and what it is asked for (for bash, the command). */
export const permissionText = (request: PermissionRequest) =>
  request.patterns.length === 0 ? request.permission : `${request.permission}: ${request.patterns.join(", ")}`

/**
 * "blocked on permission (bash: printf hi)", and for a request of a session below the root "… in sub-agent session
 * ses_…"; undefined when nothing is pending.
 */
export const blockedLabel = (root: Session, blocked: ReadonlyArray<PendingPermission>) => {
  if (blocked.length === 0) return undefined
  const bySession = new Map<string, Array<PermissionRequest>>()
  for (const { request } of blocked) bySession.set(request.sessionID, [...(bySession.get(request.sessionID) ?? []), request])
  return [...bySession.entries()]
    .map(
      ([sessionID, requests]) =>
        `blocked on permission (${requests.map(permissionText).join("; ")})${sessionID === root.id ? "" : ` in sub-agent session ${sessionID}`}`
    )
    .join("; ")
}

/**
 * For each of `sessions` (a listing), the pending requests asked by it or by a session below it: every request of
 * their directories, given to each listed session on the asker's parent chain.
 */
export const blockedAmong = (sessions: ReadonlyArray<Session>) =>
  Effect.gen(function* () {
    const lookup = yield* makeSessionLookup(sessions)
    const listed = new Set(sessions.map((session) => session.id))
    const pending = yield* pendingPermissions(
      sessions.map((session) => session.directory),
      () => Effect.succeed(true)
    )
    const blocked = new Map<string, Array<PendingPermission>>()
    for (const request of pending) {
      for (const session of yield* lookup.lineage(request.request.sessionID)) {
        if (listed.has(session.id)) blocked.set(session.id, [...(blocked.get(session.id) ?? []), request])
      }
    }
    return blocked as ReadonlyMap<string, ReadonlyArray<PendingPermission>>
  })

// ---------------------------------------------------------------------------------------------------------
// The state of one session's tree

/** The status of a session's tree: its own, the busy sessions below it, and the permission requests holding it. */
export interface TreeStatus {
  readonly session: Session
  readonly status: SessionStatus
  readonly descendants: ReadonlyArray<Session>
  /** Sub-agent sessions below that are busy or retrying (empty with `mainAgent`). */
  readonly busyDescendants: ReadonlyArray<{ readonly session: Session; readonly status: SessionStatus }>
  /** Pending permission requests of the session and (without `mainAgent`) of every session below it. */
  readonly blocked: ReadonlyArray<PendingPermission>
}

/** The one judgement of a tree's status, used by status, summary, get, the waits and respond. */
export const treeStatus = (session: Session, options: { readonly mainAgent: boolean }) =>
  Effect.gen(function* () {
    const descendants = options.mainAgent ? [] : yield* descendantsOf([session])
    const tree = [session, ...descendants]
    const statuses = yield* statusesOf(tree)
    const busy = tree.filter((member) => statusIn(statuses, member).type !== "idle")
    // a session waiting for a permission reads busy, so only the directories of busy sessions are asked
    const members = new Set(tree.map((member) => member.id))
    const blocked =
      busy.length === 0
        ? []
        : yield* pendingPermissions(
            busy.map((member) => member.directory),
            (sessionID) => Effect.succeed(members.has(sessionID))
          )
    const state: TreeStatus = {
      session,
      status: statusIn(statuses, session),
      descendants,
      busyDescendants: descendants
        .map((child) => ({ session: child, status: statusIn(statuses, child) }))
        .filter(({ status }) => status.type !== "idle"),
      blocked
    }
    return state
  })

/** `idle`, `busy`, `retry (…)`, or "blocked on permission (…)" when a request holds the session or one below it. */
export const treeStatusLabel = (state: TreeStatus) => blockedLabel(state.session, state.blocked) ?? statusLabel(state.status)

/** "waiting on 2 sub-agent sessions: ses_a (busy), ses_b (retry)", or undefined when none is busy. */
export const waitingLabel = (state: TreeStatus) =>
  state.busyDescendants.length === 0
    ? undefined
    : `waiting on ${state.busyDescendants.length} sub-agent session${state.busyDescendants.length === 1 ? "" : "s"}: ${state.busyDescendants
        .map(({ session: child, status }) => `${child.id} (${status.type})`)
        .join(", ")}`

export interface TreeState extends TreeStatus {
  /** The newest assistant message has neither finished nor failed. */
  readonly replyUnfinished: boolean
  /** ...and the server has left it so: the tree is idle and the reply did not change on a second look. */
  readonly replyAbandoned: boolean
  /** The newest user message has a finished (or failed) assistant reply parented to it. */
  readonly latestPromptAnswered: boolean
  readonly latestAssistant: MessageWithParts | undefined
}

const finished = (message: MessageWithParts) =>
  message.info.role === "assistant" && (message.info.time.completed !== undefined || message.info.error !== undefined)

/** Facts about the newest messages (a page is enough: they are at the end). Pure. */
export const latestFacts = (messages: ReadonlyArray<MessageWithParts>) => {
  const latestAssistant = [...messages].reverse().find((message) => message.info.role === "assistant")
  const latestUser = [...messages].reverse().find((message) => message.info.role === "user")
  const answered =
    latestUser !== undefined &&
    messages.some(
      (message) => message.info.role === "assistant" && message.info.parentID === latestUser.info.id && finished(message)
    )
  return {
    latestAssistant,
    replyUnfinished: latestAssistant !== undefined && !finished(latestAssistant),
    replyAbandoned: false,
    latestPromptAnswered: answered
  }
}

export const treeState = (session: Session, options: { readonly mainAgent: boolean }) =>
  Effect.gen(function* () {
    const client = yield* OpenCodeClient
    const [status, messages] = yield* Effect.all(
      [treeStatus(session, options), client.messages(session.id, { directory: session.directory, limit: 16 })],
      { concurrency: 2 }
    )
    const state: TreeState = { ...status, ...latestFacts(messages) }
    return state
  })

export const isBusy = (state: TreeStatus) => state.status.type !== "idle" || state.busyDescendants.length > 0

/** How long an idle tree's unfinished reply must stay as it is to count as abandoned by the server. */
const ABANDONED_AFTER_MS = 1500

/**
 * Right after idle a reply can still be being written for a moment; but (measured, 1.18.33) a turn the server
 * cannot run, e.g. in a session whose directory does not exist, reports a session.error and goes idle leaving its
 * reply neither completed nor failed, for ever. So an idle tree whose unfinished reply is seen unchanged for
 * `ABANDONED_AFTER_MS` has an abandoned reply, and is settled. The tracker remembers, per session, when it first
 * saw the unfinished reply; each look (at any time: an event, a tick) is judged against that.
 */
export const abandonedReplies = () => {
  const firstSeen = new Map<string, { readonly reply: string; readonly at: number }>()
  return (state: TreeState, now: number): TreeState => {
    const reply = state.latestAssistant
    if (isBusy(state) || !state.replyUnfinished || reply === undefined) {
      firstSeen.delete(state.session.id)
      return state
    }
    const key = `${reply.info.id}:${reply.parts.length}`
    const seen = firstSeen.get(state.session.id)
    if (seen === undefined || seen.reply !== key) {
      firstSeen.set(state.session.id, { reply: key, at: now })
      return state
    }
    // idle with nothing more to come: the abandoned reply is all the answer its prompt will get
    return now - seen.at >= ABANDONED_AFTER_MS ? { ...state, replyAbandoned: true, latestPromptAnswered: true } : state
  }
}

/** One session's state for a single answer (`is-idle`): an idle tree with an unfinished reply is looked at twice. */
export const confirmedTreeState = (session: Session, options: { readonly mainAgent: boolean }) =>
  Effect.gen(function* () {
    const judge = abandonedReplies()
    const first = judge(yield* treeState(session, options), yield* Clock.currentTimeMillis)
    if (isBusy(first) || !first.replyUnfinished) return first
    yield* Effect.sleep(Duration.millis(ABANDONED_AFTER_MS))
    return judge(yield* treeState(session, options), yield* Clock.currentTimeMillis)
  })

/**
 * Settled: the whole tree is idle and no reply is still being written. With `requireBusy`, only once the work
 * being waited for has happened: busy was seen during this wait, or the newest prompt already has its reply (a
 * turn that finished before the wait began still counts — the weakness of `--require-busy` in occtl was that it
 * could never be satisfied then).
 */
export const isSettled = (state: TreeState, options: { readonly requireBusy: boolean; readonly sawBusy: boolean }) =>
  !isBusy(state) &&
  (!state.replyUnfinished || state.replyAbandoned) &&
  (!options.requireBusy || options.sawBusy || state.latestPromptAnswered)

// ---------------------------------------------------------------------------------------------------------
// Waiting on many sessions with one subscription

export interface WaitOptions {
  /** "any": the first settled session ends the wait; "all": every one must be settled. */
  readonly mode: "any" | "all"
  readonly requireBusy: boolean
  readonly mainAgent: boolean
  readonly timeout: Duration.DurationInput
}

/** Events that can change whether a session is settled; deltas and part updates cannot. */
const isTurning = (event: OpenCodeEvent) =>
  event.payload.type === "session.status" ||
  event.payload.type === "session.idle" ||
  event.payload.type === "session.error" ||
  event.payload.type === "message.updated" ||
  // a request asked or answered changes what a wait that runs out of time has to say
  event.payload.type === "permission.asked" ||
  event.payload.type === "permission.replied" ||
  (event.payload.type === "other" && event.payload.name === "session.created")

const createdParent = (event: OpenCodeEvent): string | undefined => {
  if (event.payload.type !== "other" || event.payload.name !== "session.created") return undefined
  const info = (event.payload.properties as { info?: { parentID?: unknown } } | undefined)?.info
  return typeof info?.parentID === "string" ? info.parentID : undefined
}

/** What a wait that ran out of time says about sessions that were blocked on a permission request. */
export const blockedHint = (states: ReadonlyArray<TreeStatus>) =>
  states
    .flatMap((state) => {
      const label = blockedLabel(state.session, state.blocked)
      return label === undefined
        ? []
        : [`${state.session.id} was ${label} (see \`ocm permissions ${state.session.id}\`, answer with \`ocm respond ${state.session.id}\`)`]
    })
    .join("; ")

export const waitFor = (sessions: ReadonlyArray<Session>, options: WaitOptions) =>
  Effect.gen(function* () {
    const client = yield* OpenCodeClient
    const subscription = yield* client.subscribe
    const started = yield* Clock.currentTimeMillis
    const sawBusy = new Set<string>()
    const treeOf = new Map<string, ReadonlySet<string>>(sessions.map((session) => [session.id, new Set([session.id])]))
    const latest = new Map<string, TreeState>()

    // events and the tick re-judge often; the tracker needs no waiting of its own
    const withAbandoned = abandonedReplies()
    const judge = (session: Session) =>
      Effect.map(Effect.zip(treeState(session, options), Clock.currentTimeMillis), ([looked, now]) => {
        const state = withAbandoned(looked, now)
        if (isBusy(state)) sawBusy.add(session.id)
        treeOf.set(session.id, new Set([session.id, ...state.descendants.map((child) => child.id)]))
        latest.set(session.id, state)
        return isSettled(state, { requireBusy: options.requireBusy, sawBusy: sawBusy.has(session.id) })
      })
    const settledNow = new Set<string>()
    const judgeAll = (which: ReadonlyArray<Session>) =>
      Effect.forEach(which, (session) =>
        Effect.map(judge(session), (settled) => {
          if (settled) settledNow.add(session.id)
          else settledNow.delete(session.id)
        })
      )
    const done = () =>
      options.mode === "any" ? sessions.some((s) => settledNow.has(s.id)) : sessions.every((s) => settledNow.has(s.id))
    const rootsTouchedBy = (event: OpenCodeEvent) => {
      const id = eventSessionID(event.payload) ?? createdParent(event)
      return id === undefined ? [] : sessions.filter((session) => treeOf.get(session.id)?.has(id))
    }

    const outcome = Effect.gen(function* () {
      yield* judgeAll(sessions)
      if (done()) return
      // re-judge the trees an event touches; a slow tick covers events that never come
      yield* subscription.events.pipe(
        Stream.filter(isTurning),
        Stream.map((event) => {
          const roots = rootsTouchedBy(event)
          if (event.payload.type === "session.status" && event.payload.properties.status.type !== "idle") {
            for (const root of roots) sawBusy.add(root.id)
          }
          return roots
        }),
        Stream.merge(Stream.tick("2 seconds").pipe(Stream.map(() => sessions))),
        Stream.filter((roots) => roots.length > 0),
        Stream.mapEffect(judgeAll),
        Stream.takeUntil(done),
        Stream.runDrain
      )
    })
    yield* outcome.pipe(
      Effect.timeoutFail({
        duration: (yield* withinBudget(options.timeout)).duration,
        onTimeout: () => {
          const pending = sessions.filter((session) => !settledNow.has(session.id))
          return new WaitTimeout({
            waitingFor: `${pending.map((session) => session.id).join(", ")} to become idle${options.requireBusy ? " after a turn" : ""}`,
            seconds: Duration.toSeconds(options.timeout),
            hint: blockedHint(pending.flatMap((session) => Option.toArray(Option.fromNullable(latest.get(session.id)))))
          })
        }
      })
    )
    const elapsedMs = (yield* Clock.currentTimeMillis) - started
    return {
      elapsedMs,
      settled: sessions.filter((session) => settledNow.has(session.id)),
      states: sessions.flatMap((session) => Option.toArray(Option.fromNullable(latest.get(session.id))))
    }
  }).pipe(Effect.scoped)
