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
import { checkWorktreeName, resolveListedWorktree, worktreeSlug } from "../src/programs/worktree.js"
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

describe("ocm worktree against a real sandbox", () => {
  layer(SandboxClientLayer(), { timeout: 120_000, excludeTestServices: true })((it) => {
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

        const removed = JSON.parse(succeeded(yield* ocmInSandbox(["wt", "remove", "alpha", "--json"]))) as WorktreeJson & { removed: boolean }
        assert.deepStrictEqual(removed, { name: "alpha", branch: "opencode/alpha", directory: created.directory, removed: true })
        assert.notInclude(yield* listedNow, created.directory)
        assert.isFalse(yield* fs.exists(created.directory))
        assert.strictEqual(yield* branches("opencode/alpha"), "", "the server deleted the branch")

        // by directory too
        const betaDirectory = (yield* listedNow).find((directory) => directory.endsWith("/beta-two"))!
        succeeded(yield* ocmInSandbox(["wt", "remove", `${betaDirectory}/`]))
        assert.notInclude(yield* listedNow, betaDirectory)
        assert.isFalse(yield* fs.exists(betaDirectory))
      }))

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
      }).pipe(Effect.scoped))

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
      }))

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
      }))

    it.effect("wt run without --wait: a prompt the server drops (unknown agent) is PromptNotRecorded, exit 10", () =>
      Effect.gen(function* () {
        const run = yield* ocmInSandbox(["wt", "run", "epsilon", "hello", "--agent", "no-such-agent", "--json"])
        assert.strictEqual(run.code, 10, run.stderr)
        assert.strictEqual((JSON.parse(run.stdout) as { error: { tag: string } }).error.tag, "PromptNotRecorded")
      }))
  })
})
