/**
 * worktree|wt through the real `ocm` binary against a real sandbox (a git project with one commit), run from the
 * sandbox's project directory: create/list/remove witnessed on the server and on disk, the DELETE hazard refused,
 * and `wt run` placing a witnessed turn in the worktree.
 */
import * as Command from "@effect/platform/Command"
import * as FileSystem from "@effect/platform/FileSystem"
import * as Path from "@effect/platform/Path"
import { assert, describe, it, layer } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { SandboxClientLayer } from "../layers/TestLayers.js"
import { OpenCodeClient } from "../services/OpenCodeClient.js"
import { Sandbox } from "../services/Sandbox.js"
import { checkWorktreeName, parseStatus, resolveListedWorktree, worktreeSlug } from "../src/programs/worktree.js"
import { type CliResult, ocmInSandbox, succeeded } from "./support/cli.js"

describe("worktree names and the remove guard (pure)", () => {
  const root = "/data/opencode/worktree/abc"
  const listed = [`${root}/alpha`, `${root}/my-name`]

  it.effect("the slug is the server's: lower case, runs of other characters to one dash, no dashes at the ends", () =>
    Effect.sync(() => {
      assert.strictEqual(worktreeSlug("My Name"), "my-name")
      assert.strictEqual(worktreeSlug(" -a.b_c- "), "a-b-c")
      assert.strictEqual(worktreeSlug("!!!"), "")
    }))

  it.effect("a NAME is a plain name: empty, paths, '..' and names without a letter or digit are InvalidInput", () =>
    Effect.gen(function* () {
      for (const bad of ["", "  ", "a/b", "../x", "..", "a\\b", "!!!"]) {
        const error = yield* Effect.flip(checkWorktreeName(bad))
        assert.strictEqual(error._tag, "InvalidInput", bad)
      }
      assert.strictEqual(yield* checkWorktreeName("Auth Service"), "auth-service")
    }))

  it.effect("git status -z is read into modified and untracked files; a rename's old path is not a file of its own", () =>
    Effect.sync(() => {
      const output = [" M README.md", "?? notes/new file.txt", "R  moved.ts", "old name.ts", "D  gone.ts", "!! build/out.js", "A  added.ts", ""].join("\0")
      assert.deepStrictEqual(parseStatus(output), {
        modified: ["README.md", "moved.ts", "gone.ts", "added.ts"],
        untracked: ["notes/new file.txt"]
      })
      assert.deepStrictEqual(parseStatus(""), { modified: [], untracked: [] })
    }))

  it.effect("remove resolves only to a listed directory, and returns the server's own string", () =>
    Effect.gen(function* () {
      const path = yield* Path.Path
      const resolve = (target: string, cwd = "/home/me/project") => resolveListedWorktree(target, listed, cwd, path)
      assert.deepStrictEqual(resolve("alpha"), { _tag: "Found", directory: `${root}/alpha` })
      assert.deepStrictEqual(resolve("My Name"), { _tag: "Found", directory: `${root}/my-name` })
      assert.deepStrictEqual(resolve(`${root}/alpha/`), { _tag: "Found", directory: `${root}/alpha` })
      assert.deepStrictEqual(resolve("./alpha", root), { _tag: "Found", directory: `${root}/alpha` })
      for (const refused of ["../", ".", "..", "/tmp", root, `${root}/alpha/..`, `${root}/alpha/x`, "beta", "~/alpha", "project"]) {
        assert.strictEqual(resolve(refused)._tag, "Refused", refused)
      }
      assert.strictEqual(resolveListedWorktree("alpha", [], "/", path)._tag, "Refused")
    }).pipe(Effect.provide(Path.layer)))
})

interface WorktreeJson {
  name: string
  branch: string | null
  directory: string
}

interface RemovedJson extends WorktreeJson {
  removed: boolean
  discarded: { modified: Array<string>; untracked: Array<string>; commits: Array<{ sha: string; subject: string }> }
  sessions: Array<{ id: string; title: string; directory: string }>
}

const refused = (run: CliResult, what: string) => {
  assert.strictEqual(run.code, 2, `${what}: expected exit 2, got ${run.code}: ${run.stdout} ${run.stderr}`)
  assert.match(run.stderr, /^ocm: /m, what)
  assert.notInclude(run.stderr, "    at ", "no stack trace")
}

const listedNow = Effect.gen(function* () {
  const client = yield* OpenCodeClient
  const { info } = yield* Sandbox
  return yield* client.worktrees({ directory: info.projectDir })
})

const branches = (pattern: string) =>
  Effect.flatMap(Sandbox, ({ info }) =>
    Command.make("git", "-C", info.projectDir, "branch", "--list", pattern).pipe(Command.string, Effect.map((out) => out.trim()))
  )

/** Each test runs several bins against a real server: sized for a loaded 2-core machine. */
const LIVE_TIMEOUT = 300_000

describe("ocm worktree against a real sandbox", () => {
  layer(SandboxClientLayer(), { timeout: 300_000, excludeTestServices: true })((it) => {
    it.effect("create, list and remove, each witnessed on the server, in git and on disk", () =>
      Effect.gen(function* () {
        const fs = yield* FileSystem.FileSystem
        const created = JSON.parse(succeeded(yield* ocmInSandbox(["wt", "create", "alpha", "--json"]))) as WorktreeJson
        assert.strictEqual(created.name, "alpha")
        assert.strictEqual(created.branch, "opencode/alpha")
        assert.include(yield* listedNow, created.directory)
        // witnessed ready: the checkout is populated when create returns
        assert.isTrue(yield* fs.exists(`${created.directory}/README.md`))

        const human = yield* ocmInSandbox(["worktree", "create", "Beta Two"])
        succeeded(human)
        assert.match(human.stdout, /^name\s+beta-two$/m)
        assert.match(human.stdout, /^branch\s+opencode\/beta-two$/m)

        const list = JSON.parse(succeeded(yield* ocmInSandbox(["wt", "list", "--json"]))) as { worktrees: Array<WorktreeJson & { exists: boolean }> }
        const alpha = list.worktrees.find((entry) => entry.name === "alpha")
        assert.deepStrictEqual(alpha, { name: "alpha", branch: "opencode/alpha", directory: created.directory, exists: true })
        assert.match(succeeded(yield* ocmInSandbox(["wt", "list"])), /^beta-two\s+opencode\/beta-two\s+\S+\/beta-two$/m)

        // a second create of the same name is refused instead of silently making "alpha-<random>"
        const before = yield* listedNow
        refused(yield* ocmInSandbox(["wt", "create", "alpha"]), "create an existing name")
        assert.deepStrictEqual(yield* listedNow, before)

        const removed = JSON.parse(succeeded(yield* ocmInSandbox(["wt", "remove", "alpha", "--json"]))) as RemovedJson
        assert.deepStrictEqual(removed, {
          name: "alpha",
          branch: "opencode/alpha",
          directory: created.directory,
          removed: true,
          discarded: { modified: [], untracked: [], commits: [] },
          sessions: []
        })
        assert.notInclude(yield* listedNow, created.directory)
        assert.isFalse(yield* fs.exists(created.directory))
        assert.strictEqual(yield* branches("opencode/alpha"), "", "the server deleted the branch")

        // by directory too
        const betaDirectory = (yield* listedNow).find((directory) => directory.endsWith("/beta-two"))!
        succeeded(yield* ocmInSandbox(["wt", "remove", `${betaDirectory}/`]))
        assert.notInclude(yield* listedNow, betaDirectory)
        assert.isFalse(yield* fs.exists(betaDirectory))
      }), LIVE_TIMEOUT)

    it.effect("the DELETE hazard: anything the server did not list is refused with exit 2 and nothing is deleted", () =>
      Effect.gen(function* () {
        const fs = yield* FileSystem.FileSystem
        const { info } = yield* Sandbox
        const keep = JSON.parse(succeeded(yield* ocmInSandbox(["wt", "create", "keep", "--json"]))) as WorktreeJson
        const victim = yield* fs.makeTempDirectoryScoped({ prefix: "ocm-wt-victim-" })
        yield* fs.writeFileString(`${victim}/precious.txt`, "do not delete\n")
        const before = yield* listedNow

        const targets = [victim, "../", ".", `${keep.directory}/..`, `${keep.directory}/../keep/..`, info.root, "nosuch", "project"]
        for (const target of targets) {
          const run = yield* ocmInSandbox(["wt", "remove", target])
          refused(run, `remove ${target}`)
          assert.include(run.stderr, "refusing to remove", target)
        }
        refused(yield* ocmInSandbox(["wt", "remove", ""]), "remove ''")

        // each of those, had it reached the server's DELETE, would be gone now
        assert.strictEqual(yield* fs.readFileString(`${victim}/precious.txt`), "do not delete\n")
        assert.isTrue(yield* fs.exists(`${info.projectDir}/README.md`))
        assert.isTrue(yield* fs.exists(`${keep.directory}/README.md`))
        assert.deepStrictEqual(yield* listedNow, before)
      }).pipe(Effect.scoped), LIVE_TIMEOUT)

    it.effect("remove refuses to lose uncommitted files or a commit found on no other branch; --force removes it and names its sessions", () =>
      Effect.gen(function* () {
        const fs = yield* FileSystem.FileSystem
        const client = yield* OpenCodeClient
        const created = JSON.parse(succeeded(yield* ocmInSandbox(["wt", "create", "dirty", "--json"]))) as WorktreeJson
        const dir = created.directory
        const session = yield* client.createSession({ directory: dir, title: "work in dirty" })
        yield* fs.writeFileString(`${dir}/README.md`, "changed by hand\n")
        yield* fs.writeFileString(`${dir}/notes.txt`, "not yet added\n")

        const dirty = yield* ocmInSandbox(["wt", "remove", "dirty"])
        refused(dirty, "remove a worktree with uncommitted files")
        assert.match(dirty.stderr, /^\s+modified\s+README\.md$/m)
        assert.match(dirty.stderr, /^\s+untracked\s+notes\.txt$/m)
        assert.include(dirty.stderr, session.id, "the session whose directory is the worktree is named")
        assert.match(dirty.stderr, /^ocm: refusing to remove worktree dirty: 1 modified file, 1 untracked file would be lost.*--force/m)
        assert.include(yield* listedNow, dir)
        assert.strictEqual(yield* fs.readFileString(`${dir}/notes.txt`), "not yet added\n")
        const asJson = yield* ocmInSandbox(["wt", "remove", "dirty", "--json"])
        assert.strictEqual(asJson.code, 2)
        assert.strictEqual((JSON.parse(asJson.stdout) as { error: { tag: string } }).error.tag, "InvalidInput")

        // committed on the worktree's branch only: the files are safe, the commit is not
        const git = (...args: Array<string>) =>
          Command.make("git", "-C", dir, "-c", "user.name=ocm test", "-c", "user.email=test@localhost", ...args).pipe(
            Command.string,
            Effect.map((out) => out.trim())
          )
        yield* git("add", "-A")
        yield* git("commit", "-q", "-m", "work only on this branch")
        const sha = yield* git("rev-parse", "HEAD")
        const unmerged = yield* ocmInSandbox(["wt", "remove", dir])
        refused(unmerged, "remove a worktree whose branch has an unmerged commit")
        assert.match(unmerged.stderr, new RegExp(`^\\s+commit\\s+${sha.slice(0, 12)} work only on this branch \\(only on opencode/dirty\\)$`, "m"))
        assert.match(unmerged.stderr, /1 commit found on no other branch would be lost/)
        assert.notMatch(unmerged.stderr, /modified|untracked/)
        assert.include(yield* listedNow, dir)
        const all = yield* Effect.flatMap(Sandbox, ({ info }) =>
          Command.make("git", "-C", info.projectDir, "log", "--all", "--format=%H").pipe(Command.string)
        )
        assert.include(all, sha, "the commit is still in git log --all")

        const forced = JSON.parse(succeeded(yield* ocmInSandbox(["wt", "remove", "dirty", "--force", "--json"]))) as RemovedJson
        assert.isTrue(forced.removed)
        assert.deepStrictEqual(forced.discarded, { modified: [], untracked: [], commits: [{ sha, subject: "work only on this branch" }] })
        assert.deepStrictEqual(forced.sessions, [{ id: session.id, title: "work in dirty", directory: dir }])
        assert.notInclude(yield* listedNow, dir)
        assert.isFalse(yield* fs.exists(dir))
      }), LIVE_TIMEOUT)

    it.effect("bad NAME or missing MESSAGE: exit 2 before any request changes anything", () =>
      Effect.gen(function* () {
        const before = yield* listedNow
        for (const args of [
          ["wt", "create", ""],
          ["wt", "create", "a/b"],
          ["wt", "create", ".."],
          ["wt", "create", "!!!"],
          ["wt", "run", "fresh"],
          ["wt", "run", "fresh", "  "],
          ["wt", "run", "", "hello"],
          ["wt", "run", "../up", "hello"],
          ["wt", "run", "fresh", "hello", "--timeout", "0"],
          ["wt", "run", "fresh", "hello", "--model", "no-slash"]
        ]) {
          refused(yield* ocmInSandbox(args), args.join(" "))
        }
        assert.deepStrictEqual(yield* listedNow, before)
      }), LIVE_TIMEOUT)

    it.effect("wt run --wait: a witnessed turn in a session whose directory is the worktree; without --wait: the id once recorded", () =>
      Effect.gen(function* () {
        const client = yield* OpenCodeClient
        const run = JSON.parse(
          succeeded(yield* ocmInSandbox(["wt", "run", "delta", "Reply with ONLY IN-WORKTREE.", "--wait", "--agent", "proof", "--json"]))
        ) as {
          worktree: string
          worktreeCreated: boolean
          directory: string
          sessionID: string
          reply: string
          proof: { userMessageID: string; assistantMessageIDs: Array<string>; completedBy: string }
        }
        assert.strictEqual(run.reply, "IN-WORKTREE")
        assert.strictEqual(run.worktree, "delta")
        assert.isTrue(run.worktreeCreated)
        const deltas = (yield* listedNow).filter((directory) => directory.endsWith("/delta"))
        assert.deepStrictEqual(deltas, [run.directory])
        const session = yield* client.getSession(run.sessionID, { directory: run.directory })
        assert.strictEqual(session.directory, run.directory)
        // either witness of busy→idle is the protocol's; under load the safety poll may see the idle first
        assert.oneOf(run.proof.completedBy, ["session.idle event", "status poll"])
        const reply = (yield* client.messages(run.sessionID, { directory: run.directory })).find(
          (message) => message.info.id === run.proof.assistantMessageIDs[0]
        )
        assert.strictEqual(reply?.info.role === "assistant" ? reply.info.parentID : undefined, run.proof.userMessageID)

        // the listed worktree is reused; the prompt is witnessed recorded and the id printed before the turn ends
        const sent = yield* ocmInSandbox(["wt", "run", "delta", "Reply", "with", "ONLY", "ASYNC-OK.", "[[slow", "3]]", "--agent", "proof"])
        succeeded(sent)
        assert.include(sent.stderr, "using worktree delta")
        const id = sent.stdout.trim()
        assert.match(id, /^ses_\w+$/)
        assert.notStrictEqual(id, run.sessionID)
        assert.deepStrictEqual((yield* listedNow).filter((directory) => directory.endsWith("/delta")), [run.directory])
        const recorded = yield* client.messages(id, { directory: run.directory })
        assert.isTrue(
          recorded.some((message) => message.info.role === "user" && message.parts.some((part) => part.text === "Reply with ONLY ASYNC-OK. [[slow 3]]"))
        )
        assert.isFalse(
          recorded.some((message) => message.info.role === "assistant" && message.info.time.completed !== undefined),
          "printed before the slow turn finished"
        )
        const waited = yield* ocmInSandbox(["wait", id, "--timeout", "30"])
        succeeded(waited)
        assert.strictEqual(waited.stdout, "ASYNC-OK\n")
      }), LIVE_TIMEOUT)

    it.effect("wt run without --wait: a prompt the server drops (unknown agent) is PromptNotRecorded, exit 10", () =>
      Effect.gen(function* () {
        const run = yield* ocmInSandbox(["wt", "run", "epsilon", "hello", "--agent", "no-such-agent", "--json"])
        assert.strictEqual(run.code, 10, run.stderr)
        assert.strictEqual((JSON.parse(run.stdout) as { error: { tag: string } }).error.tag, "PromptNotRecorded")
      }), LIVE_TIMEOUT)
  })
})
