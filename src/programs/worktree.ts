/**
 * worktree|wt create/list/remove/run over the server's worktree API (`/experimental/worktree`).
 *
 * The server's DELETE removes ANY directory it is given, so `remove` only ever passes a directory string that the
 * server's own listing returned: a NAME or DIR that matches none of them is refused before anything is deleted.
 */
import * as Command from "@effect/platform/Command"
import * as FileSystem from "@effect/platform/FileSystem"
import * as Path from "@effect/platform/Path"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import { OpenCodeClient } from "../../services/OpenCodeClient.js"
import { ProcessHost } from "../../services/ProcessHost.js"
import { note, waiting } from "../../services/Progress.js"
import type { Worktree } from "../domain/Domain.js"
import { InvalidInput, ServerRejected, WaitTimeout } from "../domain/Errors.js"
import { type IdentityOptions, noteTurn, type PromptedTurn, promptTurn } from "../engine/PromptTurn.js"

/** The server's own slug for a worktree name (OpenCode's `Worktree.slug`): it names the directory and branch. */
export const worktreeSlug = (name: string): string =>
  name.trim().toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-+/, "").replace(/-+$/, "")

/** A NAME for create/run: a plain name, never a path. Checked before any request. */
export const checkWorktreeName = (name: string): Effect.Effect<string, InvalidInput> => {
  if (name.trim() === "") return Effect.fail(new InvalidInput({ message: "the worktree NAME must not be empty" }))
  if (name.includes("/") || name.includes("\\") || name.includes("..")) {
    return Effect.fail(new InvalidInput({ message: `the worktree NAME must be a plain name, not a path: "${name}"` }))
  }
  const slug = worktreeSlug(name)
  return slug === ""
    ? Effect.fail(new InvalidInput({ message: `the worktree NAME needs a letter or digit: "${name}"` }))
    : Effect.succeed(slug)
}

const looksLikePath = (target: string) =>
  target.includes("/") || target.includes("\\") || target === "." || target === ".." || target.startsWith("~")

/**
 * The listed directory that NAME or DIR means, or why there is none. A DIR (anything path-like) must resolve to
 * exactly a listed directory; a NAME must be the last segment (or its slug) of one. The result is always the
 * server's own string, never the user's.
 */
export const resolveListedWorktree = (
  target: string,
  listed: ReadonlyArray<string>,
  cwd: string,
  path: Path.Path
): { readonly _tag: "Found"; readonly directory: string } | { readonly _tag: "Refused"; readonly reason: string } => {
  const names = listed.map((directory) => path.basename(directory))
  const known = names.length === 0 ? "the server lists no worktrees for this project" : `listed: ${names.join(", ")}`
  if (looksLikePath(target)) {
    const wanted = path.resolve(cwd, target)
    const match = listed.find((directory) => path.resolve(directory) === wanted)
    return match === undefined
      ? { _tag: "Refused", reason: `${wanted} is not a worktree the server listed for this project (${known}); ocm removes only those` }
      : { _tag: "Found", directory: match }
  }
  const slug = worktreeSlug(target)
  const matches = listed.filter((directory) => {
    const name = path.basename(directory)
    return name === target || name === slug
  })
  if (matches.length === 1) return { _tag: "Found", directory: matches[0]! }
  return matches.length === 0
    ? { _tag: "Refused", reason: `no worktree named "${target}" (${known})` }
    : { _tag: "Refused", reason: `"${target}" names several worktrees: ${matches.join(", ")}; give the directory` }
}

// ---------------------------------------------------------------------------------------------------------
// Reading worktrees

const drain = (stream: Stream.Stream<Uint8Array, unknown>) =>
  stream.pipe(Stream.decodeText(), Stream.mkString, Effect.orElseSucceed(() => ""))

interface GitRun {
  readonly code: number
  readonly stdout: string
  readonly stderr: string
}

/** `git -C DIR ARGS…` (an argument array, never a shell line), with `stdin` fed to it when given. */
const git = (directory: string, args: ReadonlyArray<string>, stdin?: string) =>
  Effect.scoped(
    Effect.gen(function* () {
      const command = Command.make("git", "-C", directory, ...args)
      const child = yield* Command.start(stdin === undefined ? command : Command.feed(command, stdin))
      const [stdout, stderr, code] = yield* Effect.all([drain(child.stdout), drain(child.stderr), child.exitCode], {
        concurrency: "unbounded"
      })
      return { code: Number(code), stdout, stderr } satisfies GitRun
    })
  )

/** `git -C DIR rev-parse --abbrev-ref HEAD`; none when the directory is gone or git cannot tell. */
export const gitBranch = (directory: string) =>
  git(directory, ["rev-parse", "--abbrev-ref", "HEAD"]).pipe(
    Effect.map((run) => (run.code === 0 && run.stdout.trim() !== "" ? Option.some(run.stdout.trim()) : Option.none<string>())),
    Effect.orElseSucceed(() => Option.none<string>())
  )

export interface WorktreeEntry {
  readonly name: string
  readonly branch: string | null
  readonly directory: string
  readonly exists: boolean
}

const describeWorktree = (directory: string) =>
  Effect.gen(function* () {
    const fs = yield* FileSystem.FileSystem
    const path = yield* Path.Path
    const exists = yield* fs.exists(directory).pipe(Effect.orElseSucceed(() => false))
    const branch = exists ? Option.getOrNull(yield* gitBranch(directory)) : null
    return { name: path.basename(directory), branch, directory, exists } satisfies WorktreeEntry
  })

/** The project scope of every call: the directory ocm runs in (inside the server's project). */
const projectScope = Effect.map(ProcessHost, (host) => ({ directory: host.cwd }))

const rejected = (method: string, detail: string) =>
  new ServerRejected({ method, path: "/experimental/worktree", status: 200, detail })

// ---------------------------------------------------------------------------------------------------------
// create

const READY_WINDOW = Duration.seconds(120)

/**
 * Creates a worktree and witnesses it: the server checks the branch out and boots the directory after it answered,
 * then emits `worktree.ready` (or `worktree.failed`) for that directory; afterwards the listing must include it.
 */
const createWitnessed = (name: string, slug: string, window: Duration.Duration) =>
  Effect.gen(function* () {
    const client = yield* OpenCodeClient
    const scope = yield* projectScope
    const subscription = yield* client.subscribe
    const created = yield* client.createWorktree({ name }, scope)
    if (created.name !== slug) yield* note("warning", `ocm: the server named the worktree "${created.name}" (asked for "${slug}")`)
    const settled = yield* subscription.events.pipe(
      Stream.filterMap((event) =>
        event.directory === created.directory &&
        event.payload.type === "other" &&
        (event.payload.name === "worktree.ready" || event.payload.name === "worktree.failed")
          ? Option.some({ name: event.payload.name, properties: event.payload.properties })
          : Option.none()
      ),
      Stream.runHead,
      Effect.timeoutFail({
        duration: window,
        onTimeout: () =>
          new WaitTimeout({
            waitingFor: `worktree ${created.name} to be ready`,
            seconds: Duration.toSeconds(window),
            hint: `it was created at ${created.directory}; its checkout may still be running`
          })
      })
    )
    if (Option.isSome(settled) && settled.value.name === "worktree.failed") {
      const message = (settled.value.properties as { message?: unknown } | undefined)?.message
      return yield* rejected("POST", `worktree ${created.directory} was created but failed to start: ${String(message ?? "unknown")}`)
    }
    if (Option.isNone(settled)) yield* note("warning", "ocm: the event stream ended before the worktree reported ready; checking the listing")
    const listed = yield* client.worktrees(scope)
    if (!listed.includes(created.directory)) {
      return yield* rejected("POST", `the server created ${created.directory} but does not list it`)
    }
    return created
  }).pipe(Effect.scoped, waiting(`waiting for worktree ${slug} to be ready`))

const alreadyExists = (slug: string, listed: ReadonlyArray<string>) =>
  Effect.map(Path.Path, (path) => listed.find((directory) => path.basename(directory) === slug))

/** A worktree the server made: its name (the server's slug), branch and directory. */
export interface CreatedWorktree {
  readonly name: string
  readonly branch: string | null
  readonly directory: string
}

export const worktreeCreate = (name: string) =>
  Effect.gen(function* () {
    const slug = yield* checkWorktreeName(name)
    const client = yield* OpenCodeClient
    const existing = yield* alreadyExists(slug, yield* client.worktrees(yield* projectScope))
    if (existing !== undefined) {
      return yield* new InvalidInput({
        message: `worktree ${slug} already exists: ${existing} (ocm wt run ${slug} … uses it; ocm wt remove ${slug} deletes it)`
      })
    }
    const created = yield* createWitnessed(name, slug, READY_WINDOW)
    return { name: created.name, branch: created.branch ?? null, directory: created.directory } satisfies CreatedWorktree
  })

// ---------------------------------------------------------------------------------------------------------
// list

/** The server's worktrees of the project (the directory ocm runs in). */
export interface WorktreeListing {
  readonly project: string
  readonly worktrees: ReadonlyArray<WorktreeEntry>
}

export const worktreeList = Effect.gen(function* () {
  const client = yield* OpenCodeClient
  const scope = yield* projectScope
  const listed = yield* client.worktrees(scope)
  const worktrees = yield* Effect.forEach(listed, describeWorktree, { concurrency: 4 })
  return { project: scope.directory, worktrees } satisfies WorktreeListing
})

// ---------------------------------------------------------------------------------------------------------
// remove

/** What removing a worktree would destroy: its uncommitted files and the commits no other ref reaches. */
export interface WorktreeLosses {
  readonly modified: ReadonlyArray<string>
  readonly untracked: ReadonlyArray<string>
  readonly commits: ReadonlyArray<{ readonly sha: string; readonly subject: string }>
}

/** `git status --porcelain=v1 -z`: `XY path`, a rename or copy followed by its old path as a second entry. */
export const parseStatus = (output: string): Pick<WorktreeLosses, "modified" | "untracked"> => {
  const entries = output.split("\0")
  const modified: Array<string> = []
  const untracked: Array<string> = []
  for (let index = 0; index < entries.length; index++) {
    const entry = entries[index]!
    if (entry.length < 4) continue
    const code = entry.slice(0, 2)
    const file = entry.slice(3)
    if (code === "??") untracked.push(file)
    else if (code !== "!!") modified.push(file)
    if (code.includes("R") || code.includes("C")) index++
  }
  return { modified, untracked }
}

/** `git worktree list --porcelain`: the HEAD commit of every worktree of the repository but `except`. */
const otherWorktreeHeads = (output: string, except: string, path: Path.Path) =>
  output
    .split("\n\n")
    .map((block) => block.split("\n"))
    .filter((lines) => {
      const dir = lines.find((line) => line.startsWith("worktree "))?.slice("worktree ".length)
      return dir !== undefined && path.resolve(dir) !== path.resolve(except)
    })
    .flatMap((lines) => lines.filter((line) => line.startsWith("HEAD ")).map((line) => line.slice("HEAD ".length)))

const cannotCheck = (directory: string, what: string, run: GitRun | string) =>
  new InvalidInput({
    message: `refusing to remove ${directory}: cannot check for ${what} (${
      typeof run === "string" ? run : (run.stderr.trim().split("\n")[0] ?? `git exited with ${run.code}`)
    }); --force removes it anyway`
  })

/**
 * Reads, with git, what removing the worktree would lose: modified and untracked files (ignored files are not
 * counted), and the commits of its HEAD that no other branch, tag or ref, nor another worktree's HEAD, reaches —
 * the server deletes the worktree's branch with it.
 */
export const worktreeLosses = (directory: string, branch: string | null) =>
  Effect.gen(function* () {
    const path = yield* Path.Path
    const checked = (what: string, args: ReadonlyArray<string>, stdin?: string) =>
      git(directory, args, stdin).pipe(
        Effect.mapError((error) => cannotCheck(directory, what, String(error))),
        Effect.filterOrElse(
          (run) => run.code === 0,
          (run) => Effect.fail(cannotCheck(directory, what, run))
        )
      )
    const status = yield* checked("uncommitted changes", ["status", "--porcelain=v1", "-z", "--untracked-files=all"])
    const refs = (yield* checked("commits found on no other branch", ["for-each-ref", "--format=%(refname)"])).stdout
      .split("\n")
      .filter((ref) => ref !== "" && (branch === null || ref !== `refs/heads/${branch}`))
    const worktrees = yield* checked("commits found on no other branch", ["worktree", "list", "--porcelain"])
    const others = [...refs, ...otherWorktreeHeads(worktrees.stdout, directory, path)]
    const log = yield* checked(
      "commits found on no other branch",
      ["log", "--format=%H%x09%s", "--stdin"],
      ["HEAD", ...others.map((ref) => `^${ref}`)].join("\n") + "\n"
    )
    const commits = log.stdout
      .split("\n")
      .filter((line) => line !== "")
      .map((line) => {
        const tab = line.indexOf("\t")
        return { sha: line.slice(0, tab), subject: line.slice(tab + 1) }
      })
    return { ...parseStatus(status.stdout), commits } satisfies WorktreeLosses
  })

const plural = (count: number, one: string, many = `${one}s`) => `${count} ${count === 1 ? one : many}`

/** The sessions of every project whose directory is the worktree or inside it. */
const sessionsIn = (directory: string) =>
  Effect.gen(function* () {
    const client = yield* OpenCodeClient
    const path = yield* Path.Path
    const root = path.resolve(directory)
    const sessions = yield* client.listAllSessions({ limit: 10_000 })
    return sessions
      .filter((session) => {
        const dir = path.resolve(session.directory)
        return dir === root || dir.startsWith(`${root}${path.sep}`)
      })
      .map((session) => ({ id: session.id, title: session.title, directory: session.directory }))
  })

const MAX_LISTED = 20

const lossLines = (losses: WorktreeLosses, branch: string | null) => {
  const lines = [
    ...losses.modified.map((file) => `  modified   ${file}`),
    ...losses.untracked.map((file) => `  untracked  ${file}`),
    ...losses.commits.map(
      (commit) => `  commit     ${commit.sha.slice(0, 12)} ${commit.subject} (only on ${branch ?? "its HEAD"})`
    )
  ]
  return lines.length > MAX_LISTED
    ? [...lines.slice(0, MAX_LISTED), `  … ${lines.length - MAX_LISTED} more`]
    : lines
}

const sessionLines = (sessions: ReadonlyArray<{ readonly id: string; readonly title: string }>) =>
  sessions.map((session) => `  session    ${session.id} "${session.title}"`)

/** A removed worktree, what its removal discarded (with --force), and the sessions that had it as directory. */
export interface RemovedWorktree {
  readonly name: string
  readonly branch: string | null
  readonly directory: string
  readonly removed: true
  readonly discarded: WorktreeLosses
  readonly sessions: ReadonlyArray<{ readonly id: string; readonly title: string; readonly directory: string }>
}

export const worktreeRemove = (target: string, options: { readonly force: boolean }) =>
  Effect.gen(function* () {
    if (target.trim() === "") return yield* new InvalidInput({ message: "give the NAME or DIR of a worktree to remove" })
    const client = yield* OpenCodeClient
    const fs = yield* FileSystem.FileSystem
    const path = yield* Path.Path
    const host = yield* ProcessHost
    const scope = { directory: host.cwd }
    const resolved = resolveListedWorktree(target, yield* client.worktrees(scope), host.cwd, path)
    if (resolved._tag === "Refused") return yield* new InvalidInput({ message: `refusing to remove: ${resolved.reason}` })
    const entry = yield* describeWorktree(resolved.directory)
    const nothing: WorktreeLosses = { modified: [], untracked: [], commits: [] }
    // a directory missing on disk leaves its branch unchecked: only --force removes it
    const check = entry.exists
      ? worktreeLosses(entry.directory, entry.branch === "HEAD" ? null : entry.branch)
      : Effect.fail(cannotCheck(entry.directory, "commits found on no other branch", "the directory is missing on disk"))
    // with --force a check that cannot run does not stop the removal; what it found is still reported
    const losses = options.force ? yield* Effect.orElseSucceed(check, () => nothing) : yield* check
    const sessions = yield* sessionsIn(entry.directory)
    const lost = [
      losses.modified.length > 0 ? plural(losses.modified.length, "modified file") : undefined,
      losses.untracked.length > 0 ? plural(losses.untracked.length, "untracked file") : undefined,
      losses.commits.length > 0 ? `${plural(losses.commits.length, "commit")} found on no other branch` : undefined
    ].filter((item) => item !== undefined)
    if (lost.length > 0 && !options.force) {
      yield* note("warning", `ocm: removing worktree ${entry.name} (${entry.directory}) would lose:`)
      yield* note("warning", [...lossLines(losses, entry.branch), ...sessionLines(sessions)].join("\n"))
      const inIt = sessions.length === 0 ? "" : `; ${plural(sessions.length, "session")} ${sessions.length === 1 ? "has" : "have"} it as directory (${sessions.map((session) => session.id).join(", ")})`
      return yield* new InvalidInput({
        message: `refusing to remove worktree ${entry.name}: ${lost.join(", ")} would be lost${inIt}; commit or push them, or pass --force`
      })
    }
    yield* client.removeWorktree(resolved.directory, scope)
    // witnessed: gone from the server's listing and from disk
    const stillListed = (yield* client.worktrees(scope)).includes(resolved.directory)
    const stillOnDisk = yield* fs.exists(resolved.directory).pipe(Effect.orElseSucceed(() => false))
    if (stillListed || stillOnDisk) {
      return yield* rejected(
        "DELETE",
        `the server answered but ${resolved.directory} is still ${stillListed ? "listed" : "on disk"}`
      )
    }
    if (lost.length > 0) yield* note("warning", `ocm: --force: discarded ${lost.join(", ")}`)
    if (sessions.length > 0) {
      yield* note("warning", `ocm: ${plural(sessions.length, "session")} had this worktree as directory (it is gone now):\n${sessionLines(sessions).join("\n")}`)
    }
    return {
      name: entry.name,
      branch: entry.branch,
      directory: entry.directory,
      removed: true,
      discarded: losses,
      sessions
    } satisfies RemovedWorktree
  })

// ---------------------------------------------------------------------------------------------------------
// run

export interface WorktreeRunOptions extends IdentityOptions {
  readonly wait: boolean
  readonly timeout: Duration.Duration
  readonly abortOnTimeout: boolean
}

/** The listed worktree with this slug, or a new one (witnessed ready). */
const ensureWorktree = (name: string, slug: string, window: Duration.Duration) =>
  Effect.gen(function* () {
    const client = yield* OpenCodeClient
    const existing = yield* alreadyExists(slug, yield* client.worktrees(yield* projectScope))
    if (existing !== undefined) {
      const entry = yield* describeWorktree(existing)
      yield* note("progress", `ocm: using worktree ${entry.name} (${entry.branch ?? "branch unknown"}) at ${entry.directory}`)
      return { name: entry.name, branch: entry.branch, directory: entry.directory, created: false }
    }
    const created: Worktree = yield* createWitnessed(name, slug, window)
    yield* note("progress", `ocm: created worktree ${created.name} (${created.branch ?? "branch unknown"}) at ${created.directory}`)
    return { name: created.name, branch: created.branch ?? null, directory: created.directory, created: true }
  })

/** `wt run`: the turn (or the recorded prompt, without --wait) in a session of the worktree. */
export interface WorktreeTurn extends PromptedTurn {
  readonly worktree: { readonly name: string; readonly branch: string | null; readonly created: boolean }
}

export const worktreeRun = (name: string, message: ReadonlyArray<string>, options: WorktreeRunOptions) =>
  Effect.gen(function* () {
    // everything is checked before the first request
    const slug = yield* checkWorktreeName(name)
    const text = message.join(" ")
    if (text.trim() === "") {
      return yield* new InvalidInput({ message: "MESSAGE is missing: ocm wt run NAME MESSAGE… [--wait]" })
    }
    if (options.abortOnTimeout && !options.wait) {
      return yield* new InvalidInput({
        message: "--abort-on-timeout needs --wait: without --wait the turn runs on once its prompt is recorded, and nothing waits to abort it"
      })
    }
    const client = yield* OpenCodeClient
    const worktree = yield* ensureWorktree(name, slug, options.timeout)
    const session = yield* client.createSession({ directory: worktree.directory })
    yield* note("progress", `ocm: session ${session.id} in ${session.directory}`)
    const prompted = yield* promptTurn(
      session,
      // without --wait: witnessed as recorded, and the turn runs on
      { ...options, text, detach: !options.wait },
      { storeIdentity: true, sayKept: true }
    )
    yield* noteTurn(prompted)
    return {
      ...prompted,
      worktree: { name: worktree.name, branch: worktree.branch, created: worktree.created }
    } satisfies WorktreeTurn
  })
