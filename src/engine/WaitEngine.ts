/**
 * The one waiting engine (SPEC §5.2): the one judgement of a session tree's status — tree-aware, a parent with
 * busy sub-agent sessions is "waiting", not idle — the one rule for a reply the server abandoned, and the one
 * re-judging loop (`untilJudged`) that every wait uses: react to the relevant events, look again now and then
 * regardless, stop on a verdict, within the command's budget.
 */
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { identity } from "effect/Function"
import * as Stream from "effect/Stream"
import { waiting } from "../../services/Progress.js"
import { OpenCodeClient } from "../../services/OpenCodeClient.js"
import type { ClientError } from "../../services/OpenCodeClient.js"
import type { MessageWithParts, OpenCodeEvent, PermissionRequest, Session, SessionStatus, SessionStatusMap } from "../domain/Domain.js"
import { eventSessionID } from "../domain/Domain.js"
import { WaitTimeout } from "../domain/Errors.js"
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
export const treeStatus = Effect.fn("WaitEngine.treeStatus")((session: Session, options: { readonly mainAgent: boolean }) =>
  Effect.gen(function* () {
    yield* Effect.annotateCurrentSpan("opencode.session.id", session.id)
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
)

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

/**
 * The one rule for a reply the server abandoned: an idle session's unfinished reply that has stayed unchanged for
 * this long. Measured on 1.18.33: a turn the server cannot run (e.g. in a session whose directory does not exist)
 * reports a session.error and goes idle, leaving its reply neither completed nor failed, for ever. Right after
 * idle, though, a reply that is finishing normally can still be being written for a moment. Only a reply that is
 * already wrong pays this wait, so it is chosen long enough for a loaded machine (the 300 ms the turn engine once
 * used could call a healthy turn failed there) and short next to any wait a user gives.
 */
export const ABANDONED_AFTER = Duration.millis(1500)

/**
 * Remembers, per session, when it first saw an idle session's unfinished reply; a look (at any time: an event, a
 * tick) says whether that reply is abandoned: seen unchanged (same message, same number of parts) for
 * `ABANDONED_AFTER`. `unfinished` is the reply when the session is idle and the reply unfinished, else undefined
 * (which forgets it: busy again, or finished).
 */
export const abandonment = () => {
  const firstSeen = new Map<string, { readonly reply: string; readonly at: number }>()
  return (sessionID: string, unfinished: MessageWithParts | undefined, now: number): boolean => {
    if (unfinished === undefined) {
      firstSeen.delete(sessionID)
      return false
    }
    const key = `${unfinished.info.id}:${unfinished.parts.length}`
    const seen = firstSeen.get(sessionID)
    if (seen === undefined || seen.reply !== key) {
      firstSeen.set(sessionID, { reply: key, at: now })
      return false
    }
    return now - seen.at >= Duration.toMillis(ABANDONED_AFTER)
  }
}

/** `abandonment` for a tree's state: an abandoned reply is all the answer its prompt will get. */
export const abandonedReplies = () => {
  const abandoned = abandonment()
  return (state: TreeState, now: number): TreeState => {
    const open = !isBusy(state) && state.replyUnfinished ? state.latestAssistant : undefined
    return abandoned(state.session.id, open, now) ? { ...state, replyAbandoned: true, latestPromptAnswered: true } : state
  }
}

/** One session's state for a single answer (`is-idle`): an idle tree with an unfinished reply is looked at twice. */
export const confirmedTreeState = (session: Session, options: { readonly mainAgent: boolean }) =>
  Effect.gen(function* () {
    const judge = abandonedReplies()
    const first = judge(yield* treeState(session, options), yield* Clock.currentTimeMillis)
    if (isBusy(first) || !first.replyUnfinished) return first
    yield* Effect.sleep(ABANDONED_AFTER)
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
// The one re-judging loop

/**
 * How often a wait looks again although no event asked it to. Events decide; this only covers one that never
 * comes (a stream that broke or lags) and lets a judgement that depends on time (`ABANDONED_AFTER`) come due.
 */
export const SAFETY_TICK = Duration.seconds(2)

export interface Rejudging<T, A, E, R, E2> {
  /** The subscription's events; subscribe before calling, so nothing between the subscription and the first look is missed. */
  readonly events: Stream.Stream<OpenCodeEvent, ClientError>
  /** What an event asks to look at again; none for an event that cannot change the verdict. */
  readonly react: (event: OpenCodeEvent) => Effect.Effect<Option.Option<T>, E, R>
  /** What the first look and every safety tick look at. */
  readonly everything: T
  /** One look: a verdict ends the wait; none waits for the next event or tick. */
  readonly judge: (what: T) => Effect.Effect<Option.Option<A>, E, R>
  /** What the wait is for, as the CLI's spinner shows it: "ses_… to become idle". */
  readonly waitingFor: string
  /** The wait's own limit; the command's `--timeout` budget may end it sooner (`withinBudget`). */
  readonly timeout: Duration.DurationInput
  /** What running out of time fails with; made then, so it can say how far the wait got. */
  readonly onTimeout: Effect.Effect<E2, never, R>
}

/**
 * Looks now, then again whenever a relevant event comes or the safety tick fires, until a look gives a verdict or
 * the time runs out. Looks never overlap: an event that comes during a look is judged after it. The spinner
 * (`waiting`) runs only between looks, so whatever a look writes (respond's answers) never shares its line.
 */
export const untilJudged = <T, A, E, R, E2>(spec: Rejudging<T, A, E, R, E2>): Effect.Effect<A, E | E2 | ClientError, R> =>
  Effect.gen(function* () {
    const { duration } = yield* withinBudget(spec.timeout)
    const looks = Stream.merge(
      spec.events.pipe(Stream.mapEffect(spec.react), Stream.filterMap(identity)),
      // a tick comes at once: that is the first look
      Stream.tick(SAFETY_TICK).pipe(Stream.as(spec.everything))
    )
    const untilVerdict = Effect.gen(function* () {
      const next = yield* Stream.toPull(looks)
      const awaitNext = next.pipe(
        // the tick never ends, so neither do the looks: only a verdict or the time ends this
        Effect.catchAll(Option.match({ onNone: () => Effect.never, onSome: Effect.fail })),
        waiting(`waiting for ${spec.waitingFor}`)
      )
      while (true) {
        for (const what of yield* awaitNext) {
          const verdict = yield* spec.judge(what)
          if (Option.isSome(verdict)) return verdict.value
        }
      }
    }).pipe(Effect.scoped)
    const verdict = yield* Effect.timeoutTo(untilVerdict, { duration, onSuccess: Option.some, onTimeout: Option.none })
    if (Option.isNone(verdict)) return yield* Effect.flatMap(spec.onTimeout, Effect.fail)
    return verdict.value
  }).pipe(Effect.withSpan("WaitEngine.untilJudged", { attributes: { "ocm.waiting_for": spec.waitingFor } }))

// ---------------------------------------------------------------------------------------------------------
// Which trees an event concerns

const createdParent = (event: OpenCodeEvent): string | undefined => {
  if (event.payload.type !== "other" || event.payload.name !== "session.created") return undefined
  const info = (event.payload.properties as { info?: { parentID?: unknown } } | undefined)?.info
  return typeof info?.parentID === "string" ? info.parentID : undefined
}

/** A sub-agent session was just made: a look walks the tree again and then knows its events. */
export const isSessionCreated = (event: OpenCodeEvent) => event.payload.type === "other" && event.payload.name === "session.created"

/**
 * The members of each watched tree as last looked at (`seen`), so an event can be traced to the roots whose tree
 * it concerns: its session is a member, or it made a new child of one (`session.created`).
 */
export const makeTreeIndex = (roots: ReadonlyArray<Session>) => {
  const membersOf = new Map<string, ReadonlySet<string>>(roots.map((root) => [root.id, new Set([root.id])]))
  return {
    seen: (state: TreeStatus) => {
      membersOf.set(state.session.id, new Set([state.session.id, ...state.descendants.map((child) => child.id)]))
    },
    rootsOf: (event: OpenCodeEvent): ReadonlyArray<Session> => {
      const id = eventSessionID(event.payload) ?? createdParent(event)
      return id === undefined ? [] : roots.filter((root) => membersOf.get(root.id)?.has(id))
    }
  }
}

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
  isSessionCreated(event)

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

export interface WaitResult {
  readonly elapsedMs: number
  /** The sessions settled when the wait ended, in the order given. */
  readonly settled: ReadonlyArray<Session>
  /** Each session's state at its latest look, in the order given. */
  readonly states: ReadonlyArray<TreeState>
}

export const waitFor = Effect.fn("WaitEngine.waitFor")((sessions: ReadonlyArray<Session>, options: WaitOptions) =>
  Effect.gen(function* () {
    const client = yield* OpenCodeClient
    const subscription = yield* client.subscribe
    const started = yield* Clock.currentTimeMillis
    const sawBusy = new Set<string>()
    const trees = makeTreeIndex(sessions)
    const latest = new Map<string, TreeState>()
    const settledNow = new Set<string>()
    const withAbandoned = abandonedReplies()

    const judgeOne = (session: Session) =>
      Effect.map(Effect.zip(treeState(session, options), Clock.currentTimeMillis), ([looked, now]) => {
        const state = withAbandoned(looked, now)
        if (isBusy(state)) sawBusy.add(session.id)
        trees.seen(state)
        latest.set(session.id, state)
        if (isSettled(state, { requireBusy: options.requireBusy, sawBusy: sawBusy.has(session.id) })) settledNow.add(session.id)
        else settledNow.delete(session.id)
      })
    const done = () =>
      options.mode === "any" ? sessions.some((s) => settledNow.has(s.id)) : sessions.every((s) => settledNow.has(s.id))
    const ids = (which: ReadonlyArray<Session>) => which.map((session) => session.id).join(", ")
    const idle = `to become idle${options.requireBusy ? " after a turn" : ""}`

    yield* untilJudged({
      events: subscription.events,
      react: (event) =>
        Effect.sync(() => {
          if (!isTurning(event)) return Option.none()
          const roots = trees.rootsOf(event)
          if (event.payload.type === "session.status" && event.payload.properties.status.type !== "idle") {
            for (const root of roots) sawBusy.add(root.id)
          }
          return roots.length === 0 ? Option.none() : Option.some(roots)
        }),
      everything: sessions,
      judge: (roots) => Effect.map(Effect.forEach(roots, judgeOne), () => (done() ? Option.some(true) : Option.none())),
      waitingFor: `${ids(sessions)} ${idle}`,
      timeout: options.timeout,
      onTimeout: Effect.sync(() => {
        const pending = sessions.filter((session) => !settledNow.has(session.id))
        return new WaitTimeout({
          waitingFor: `${ids(pending)} ${idle}`,
          seconds: Duration.toSeconds(Duration.decode(options.timeout)),
          hint: blockedHint(pending.flatMap((session) => Option.toArray(Option.fromNullable(latest.get(session.id)))))
        })
      })
    })
    const result: WaitResult = {
      elapsedMs: (yield* Clock.currentTimeMillis) - started,
      settled: sessions.filter((session) => settledNow.has(session.id)),
      states: sessions.flatMap((session) => Option.toArray(Option.fromNullable(latest.get(session.id))))
    }
    return result
  }).pipe(Effect.scoped),
  (wait, sessions, options) =>
    Effect.zipRight(
      Effect.annotateCurrentSpan({ "opencode.session.ids": sessions.map((session) => session.id), "ocm.wait.mode": options.mode }),
      wait
    )
)
