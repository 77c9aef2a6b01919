/**
 * respond, diff, summary, share, unshare through the real `ocm` binary against a real sandbox. Permission
 * requests come from the sandbox's `asker` agent (asks before bash and edit); what the commands print is checked
 * against what the server holds afterwards.
 */
import * as Command from "@effect/platform/Command"
import * as FileSystem from "@effect/platform/FileSystem"
import { assert, describe, it, layer } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Schedule from "effect/Schedule"
import { SandboxClientLayer } from "../layers/TestLayers.js"
import { OpenCodeClient } from "../services/OpenCodeClient.js"
import { Sandbox } from "../services/Sandbox.js"
import type { AssistantMessage, MessageWithParts, PermissionRequest, Session } from "../src/domain/Domain.js"
import { gitPatch } from "../src/programs/diff.js"
import { replyText } from "../src/engine/TurnEngine.js"
import { type CliResult, ocmInSandbox, succeeded } from "./support/cli.js"

interface Answered {
  id: string
  sessionID: string
  permission: string
  patterns: Array<string>
  response: string
}
interface Change {
  file: string
  status: string
  additions: number
  deletions: number
  patch: string
  messageID: string
}
interface Summary {
  id: string
  title: string
  directory: string
  status: string
  idle: boolean
  retry: unknown
  subAgents: { total: number; busy: Array<{ id: string; title: string; status: string }> }
  todo: { done: number; inProgress: number; total: number }
  messages: { user: number; assistant: number }
  cost: number
  tokens: { total: number; input: number; output: number; reasoning: number; cacheRead: number; cacheWrite: number }
  changes: { files: number; additions: number; deletions: number }
  lastError: string | null
  lastReply: string | null
}

const jsonOf = <A>(run: CliResult) => JSON.parse(succeeded(run)) as A

const failsWith = (run: CliResult, code: number, tag: string) => {
  assert.strictEqual(run.code, code, `expected exit ${code} (${tag}), got ${run.code}: ${run.stderr}`)
  assert.notInclude(run.stderr, "    at ", "no stack trace")
  assert.strictEqual(run.stderr.trimEnd().split("\n").length, 1, `one line on stderr: ${run.stderr}`)
}

const bash = (command: string) => `[[tool bash ${JSON.stringify({ command, description: "x" })}]]`

const newSession = (title: string, parentID?: string) =>
  Effect.gen(function* () {
    const client = yield* OpenCodeClient
    const { info } = yield* Sandbox
    return yield* client.createSession({ directory: info.projectDir, title: `${title} ${Date.now()}`, parentID })
  })

/** A turn of the asker agent: every bash call in it asks for permission first. */
const startAsker = (session: Session, text: string) =>
  Effect.flatMap(OpenCodeClient, (client) =>
    client.promptAsync(session.id, { parts: [{ type: "text", text }], agent: "asker" }, { directory: session.directory })
  )

/** The session's pending requests once there are `count` of them. */
const pendingOf = (session: Session, count = 1) =>
  Effect.gen(function* () {
    const client = yield* OpenCodeClient
    const requests = (yield* client.permissions({ directory: session.directory })).filter((r) => r.sessionID === session.id)
    return requests.length >= count ? requests : yield* Effect.fail("not yet" as const)
  }).pipe(Effect.retry({ schedule: Schedule.spaced("100 millis") }), Effect.timeout("90 seconds"))

const isPending = (request: PermissionRequest) =>
  Effect.gen(function* () {
    const client = yield* OpenCodeClient
    const { info } = yield* Sandbox
    return (yield* client.permissions({ directory: info.projectDir })).some((r) => r.id === request.id)
  })

const assistants = (messages: ReadonlyArray<MessageWithParts>) =>
  messages.flatMap((m) => (m.info.role === "assistant" ? [{ message: m, info: m.info as AssistantMessage }] : []))

/** The session's messages once it is idle and its last assistant message has finished. */
const settled = (session: Session) =>
  Effect.gen(function* () {
    const client = yield* OpenCodeClient
    const statuses = yield* client.sessionStatus({ directory: session.directory })
    if (statuses[session.id] !== undefined) return yield* Effect.fail("busy" as const)
    const messages = yield* client.messages(session.id, { directory: session.directory })
    const last = assistants(messages).at(-1)
    if (last === undefined || last.info.time.completed === undefined) return yield* Effect.fail("unfinished" as const)
    return messages
  }).pipe(Effect.retry({ schedule: Schedule.spaced("100 millis") }), Effect.timeout("30 seconds"))

const toolParts = (messages: ReadonlyArray<MessageWithParts>) =>
  messages.flatMap((m) => m.parts.filter((p) => p.type === "tool")) as unknown as Array<{
    tool?: string
    state: { status: string; output?: string; error?: string; input?: { command?: string } }
  }>

const lastAssistant = (messages: ReadonlyArray<MessageWithParts>) => assistants(messages).at(-1)!

describe("gitPatch: the server's patches in git's form", () => {
  const server = (file: string, hunks: string) =>
    `Index: ${file}\n===================================================================\n--- ${file}\t\n+++ ${file}\t\n${hunks}`
  it("added, modified, deleted; a git patch is kept; a patch without hunks has only the header", () => {
    assert.strictEqual(
      gitPatch({ file: "d.txt", status: "added", patch: server("d.txt", "@@ -0,0 +1,1 @@\n+x\n") }),
      "diff --git a/d.txt b/d.txt\nnew file mode 100644\n--- /dev/null\n+++ b/d.txt\n@@ -0,0 +1,1 @@\n+x\n"
    )
    assert.strictEqual(
      gitPatch({ file: "src/a.ts", status: "modified", patch: server("src/a.ts", "@@ -1,1 +1,2 @@\n x\n+y\n") }),
      "diff --git a/src/a.ts b/src/a.ts\n--- a/src/a.ts\n+++ b/src/a.ts\n@@ -1,1 +1,2 @@\n x\n+y\n"
    )
    assert.strictEqual(
      gitPatch({ file: "e.txt", status: "deleted", patch: server("e.txt", "@@ -1,1 +0,0 @@\n-a\n") }),
      "diff --git a/e.txt b/e.txt\ndeleted file mode 100644\n--- a/e.txt\n+++ /dev/null\n@@ -1,1 +0,0 @@\n-a\n"
    )
    const git = "diff --git a/f b/f\n--- a/f\n+++ b/f\n@@ -1 +1 @@\n-a\n+b\n"
    assert.strictEqual(gitPatch({ file: "f", status: "modified", patch: git }), git)
    assert.strictEqual(gitPatch({ file: "empty", status: "added", patch: "" }), "diff --git a/empty b/empty\nnew file mode 100644\n")
  })
})

describe("control commands against a real sandbox", () => {
  layer(SandboxClientLayer(), { timeout: 300_000, excludeTestServices: true })((it) => {
    it.effect("respond --wait answers once: the tool runs, the turn finishes, the request is gone", () =>
      Effect.gen(function* () {
        const session = yield* newSession("respond-once")
        // started before the turn: nothing is pending yet, so it waits for the request to be asked
        const responder = yield* Effect.fork(ocmInSandbox(["respond", session.id, "--wait", "--json", "--timeout", "30"]))
        yield* startAsker(session, `${bash("echo approved-ran")} Reply with ONLY DONE.`)
        const { answered } = jsonOf<{ answered: Array<Answered> }>(yield* Fiber.join(responder))
        assert.lengthOf(answered, 1)
        assert.match(answered[0]!.id, /^per_/)
        assert.deepStrictEqual(
          { ...answered[0]!, id: "" },
          { id: "", sessionID: session.id, permission: "bash", patterns: ["echo approved-ran"], response: "once" }
        )
        const messages = yield* settled(session)
        const tool = toolParts(messages).find((part) => part.state.input?.command === "echo approved-ran")
        assert.strictEqual(tool?.state.status, "completed")
        assert.include(tool?.state.output ?? "", "approved-ran")
        assert.strictEqual(replyText(lastAssistant(messages).message), "DONE")
        assert.strictEqual(lastAssistant(messages).info.finish, "stop")
      }))

    it.effect("respond --response always: one answer, and the same command later in the session runs without asking", () =>
      Effect.gen(function* () {
        const session = yield* newSession("respond-always")
        const responder = yield* Effect.fork(
          ocmInSandbox(["respond", session.id, "--wait", "--response", "always", "--json", "--timeout", "30"])
        )
        // "always" holds for the whole project until the server restarts (for bash: the command's prefix, here
        // `printf *`), so this test uses a command no other test of this sandbox runs
        yield* startAsker(session, `${bash("printf always-ran")} ${bash("printf always-ran")} Reply with ONLY BOTH.`)
        const { answered } = jsonOf<{ answered: Array<Answered> }>(yield* Fiber.join(responder))
        assert.deepStrictEqual(answered.map((a) => [a.response, a.patterns]), [["always", ["printf always-ran"]]])
        // a second request would hold the turn until the timeout; instead it finishes with both calls run
        const messages = yield* settled(session)
        const runs = toolParts(messages).filter((part) => part.state.input?.command === "printf always-ran")
        assert.deepStrictEqual(runs.map((part) => part.state.status), ["completed", "completed"])
        assert.strictEqual(replyText(lastAssistant(messages).message), "BOTH")
        const client = yield* OpenCodeClient
        assert.deepStrictEqual((yield* client.permissions({ directory: session.directory })).filter((r) => r.sessionID === session.id), [])
      }))

    it.effect("respond --response reject stops the loop; with --message the loop continues with the feedback", () =>
      Effect.gen(function* () {
        const stopped = yield* newSession("respond-reject")
        yield* startAsker(stopped, `${bash("echo must-not-run")} Reply with ONLY DONE.`)
        const [request] = yield* pendingOf(stopped)
        const run = yield* ocmInSandbox(["respond", stopped.id, "--response", "reject"])
        succeeded(run)
        assert.strictEqual(run.stdout, `${request!.id}  reject  bash  echo must-not-run\n`)
        const messages = yield* settled(stopped)
        assert.strictEqual(lastAssistant(messages).info.finish, "tool-calls", "the loop stopped after the rejected call")
        assert.isUndefined(lastAssistant(messages).info.error)
        assert.notInclude(assistants(messages).map(({ message }) => replyText(message)).join(""), "DONE")
        const tool = toolParts(messages).find((part) => part.state.input?.command === "echo must-not-run")
        assert.strictEqual(tool?.state.status, "error")

        const continued = yield* newSession("respond-reject-message")
        const responder = yield* Effect.fork(
          ocmInSandbox(["respond", continued.id, "--wait", "--response", "reject", "--message", "not that, answer instead", "--json"])
        )
        yield* startAsker(continued, `${bash("echo must-not-run-either")} Reply with ONLY CONTINUED.`)
        const { answered } = jsonOf<{ answered: Array<Answered> }>(yield* Fiber.join(responder))
        assert.deepStrictEqual(answered.map((a) => a.response), ["reject"])
        const after = yield* settled(continued)
        assert.strictEqual(replyText(lastAssistant(after).message), "CONTINUED", "the loop went on with the feedback")
        const rejected = toolParts(after).find((part) => part.state.input?.command === "echo must-not-run-either")
        assert.strictEqual(rejected?.state.status, "error")
        assert.include(rejected?.state.error ?? "", "not that, answer instead")
      }))

    it.effect("respond --auto-approve answers every request until the session is idle", () =>
      Effect.gen(function* () {
        const session = yield* newSession("auto-approve")
        const responder = yield* Effect.fork(
          ocmInSandbox(["respond", session.id, "--auto-approve", "--wait", "--json", "--timeout", "40"])
        )
        yield* startAsker(session, `${bash("echo first-ok")} ${bash("echo second-ok")} Reply with ONLY BOTH.`)
        const run = yield* Fiber.join(responder)
        const { answered } = jsonOf<{ answered: Array<Answered> }>(run)
        // it returned only once the session was idle: the turn is over the moment it exits
        const client = yield* OpenCodeClient
        assert.isUndefined((yield* client.sessionStatus({ directory: session.directory }))[session.id])
        assert.deepStrictEqual(
          answered.map((a) => [a.permission, a.patterns, a.response]),
          [
            ["bash", ["echo first-ok"], "once"],
            ["bash", ["echo second-ok"], "once"]
          ]
        )
        assert.include(run.stderr, "2 requests answered")
        const messages = yield* client.messages(session.id, { directory: session.directory })
        assert.strictEqual(replyText(lastAssistant(messages).message), "BOTH")
        assert.deepStrictEqual(
          toolParts(messages).map((part) => [part.state.status, part.state.output?.trim()]),
          [
            ["completed", "first-ok"],
            ["completed", "second-ok"]
          ]
        )

        // an idle session with nothing pending: done at once (without --wait nothing is awaited)
        const quiet = yield* ocmInSandbox(["respond", session.id, "--auto-approve"])
        succeeded(quiet)
        assert.strictEqual(quiet.stdout, "")
        assert.include(quiet.stderr, "0 requests answered")
      }))

    it.effect("a request of a sub-agent session is answered through its parent", () =>
      Effect.gen(function* () {
        const parent = yield* newSession("tree-parent")
        const child = yield* newSession("tree-child", parent.id)
        const grandchild = yield* newSession("tree-grandchild", child.id)
        yield* startAsker(grandchild, `${bash("echo from-below")} Reply with ONLY BELOW.`)
        const [request] = yield* pendingOf(grandchild)
        const run = yield* ocmInSandbox(["respond", parent.id])
        succeeded(run)
        assert.strictEqual(run.stdout, `${request!.id}  once    bash  echo from-below  (sub-agent session ${grandchild.id})\n`)
        const messages = yield* settled(grandchild)
        assert.strictEqual(replyText(lastAssistant(messages).message), "BELOW")

        // --wait for the tree: a sub-agent session made after respond started waiting (as a `task` call makes
        // one) asks, and is recognised as part of the tree by its parent chain
        const responder = yield* Effect.fork(ocmInSandbox(["respond", parent.id, "--wait", "--json", "--timeout", "30"]))
        const late = yield* newSession("tree-late", child.id)
        yield* startAsker(late, `${bash("echo late-asks")} Reply with ONLY LATE.`)
        const { answered } = jsonOf<{ answered: Array<Answered> }>(yield* Fiber.join(responder))
        assert.deepStrictEqual(answered.map((a) => [a.sessionID, a.patterns]), [[late.id, ["echo late-asks"]]])
        assert.strictEqual(replyText(lastAssistant(yield* settled(late)).message), "LATE")
      }))

    it.effect("--permission-id answers exactly that request; one outside the tree or unknown exits 2", () =>
      Effect.gen(function* () {
        const mine = yield* newSession("pid-mine")
        const other = yield* newSession("pid-other")
        yield* startAsker(mine, `${bash("echo mine")} Reply with ONLY MINE.`)
        yield* startAsker(other, `${bash("echo other")} Reply with ONLY OTHER.`)
        const [mineRequest] = yield* pendingOf(mine)
        const [otherRequest] = yield* pendingOf(other)

        const unknown = yield* ocmInSandbox(["respond", mine.id, "--permission-id", "per_doesnotexist"])
        failsWith(unknown, 2, "InvalidInput")
        assert.include(unknown.stderr, mineRequest!.id, "names what is pending")
        failsWith(yield* ocmInSandbox(["respond", mine.id, "--permission-id", otherRequest!.id]), 2, "InvalidInput: not in the tree")
        assert.isTrue(yield* isPending(otherRequest!), "nothing was answered")
        assert.isTrue(yield* isPending(mineRequest!), "nothing was answered")

        const { answered } = jsonOf<{ answered: Array<Answered> }>(
          yield* ocmInSandbox(["respond", other.id, "--permission-id", otherRequest!.id, "--json"])
        )
        assert.deepStrictEqual(answered.map((a) => a.id), [otherRequest!.id])
        assert.isFalse(yield* isPending(otherRequest!))
        assert.isTrue(yield* isPending(mineRequest!), "the other session's request is not touched")
        assert.strictEqual(replyText(lastAssistant(yield* settled(other)).message), "OTHER")

        // without an id: every request of the tree, and only those
        const all = jsonOf<{ answered: Array<Answered> }>(yield* ocmInSandbox(["respond", mine.id, "--json"]))
        assert.deepStrictEqual(all.answered.map((a) => a.id), [mineRequest!.id])
        assert.strictEqual(replyText(lastAssistant(yield* settled(mine)).message), "MINE")
      }))

    it.effect("a session blocked on a permission: status, summary, get, list, waits and permissions say so; nothing is answered", () =>
      Effect.gen(function* () {
        const session = yield* newSession("blocked")
        // not a printf: an earlier "always" answer approves `printf *` for the whole project
        yield* startAsker(session, `${bash("echo blocked-here")} Reply with ONLY DONE.`)
        const [request] = yield* pendingOf(session)
        const label = "blocked on permission (bash: echo blocked-here)"
        const blocked = {
          permissionID: request!.id,
          permission: "bash",
          patterns: ["echo blocked-here"],
          sessionID: session.id,
          directory: session.directory
        }

        assert.strictEqual(succeeded(yield* ocmInSandbox(["status", session.id])), `${label}\n`)
        const status = jsonOf<{ status: string; idle: boolean; blocked: unknown }>(yield* ocmInSandbox(["status", session.id, "--json"]))
        assert.deepStrictEqual([status.status, status.idle, status.blocked], ["busy", false, blocked])
        assert.include(succeeded(yield* ocmInSandbox(["summary", session.id])), `\n  status     ${label}\n`)
        assert.deepStrictEqual(jsonOf<{ blocked: unknown }>(yield* ocmInSandbox(["summary", session.id, "--json"])).blocked, blocked)
        assert.include(succeeded(yield* ocmInSandbox(["get", session.id])), `\n  status     ${label}\n`)
        assert.deepStrictEqual(jsonOf<{ blocked: unknown }>(yield* ocmInSandbox(["get", session.id, "--json"])).blocked, blocked)
        const listed = succeeded(yield* ocmInSandbox(["list"])).split("\n").find((line) => line.startsWith(session.id))
        assert.match(listed ?? "", new RegExp(`^${session.id}  blocked on permission \\(bash: echo blocked-here\\) +\\S+  ${session.title}$`))
        const rows = jsonOf<Array<{ id: string; status: string; blocked: unknown }>>(yield* ocmInSandbox(["list", "--json"]))
        assert.deepStrictEqual(rows.find((row) => row.id === session.id)?.blocked, blocked)

        // a wait that runs out of time says what it was blocked on
        const waited = yield* ocmInSandbox(["wait-for-idle", session.id, "--timeout", "2"])
        failsWith(waited, 124, "WaitTimeout")
        assert.include(waited.stderr, `${session.id} was ${label}`)
        assert.include(waited.stderr, `ocm respond ${session.id}`)
        // and so does a turn's own --timeout (the prompt queues behind the held turn)
        const chat = yield* ocmInSandbox(["chat", session.id, "Reply with ONLY LATER.", "--timeout", "2"])
        failsWith(chat, 124, "WaitTimeout")
        assert.include(chat.stderr, `it was ${label}: answer it with ocm respond ${session.id}`)

        // permissions lists it and answers nothing
        assert.strictEqual(succeeded(yield* ocmInSandbox(["permissions", session.id])), `${request!.id}  bash  echo blocked-here\n`)
        const listedJson = jsonOf<Array<Record<string, unknown>>>(yield* ocmInSandbox(["permissions", session.id, "--json"]))
        assert.deepStrictEqual(listedJson, [
          {
            id: request!.id,
            sessionID: session.id,
            directory: session.directory,
            permission: "bash",
            patterns: ["echo blocked-here"],
            always: request!.always ?? [],
            tool: request!.tool ?? null
          }
        ])
        assert.include(
          succeeded(yield* ocmInSandbox(["permissions", "--all"])),
          `${request!.id}  bash  echo blocked-here  (session ${session.id}, ${session.directory})\n`
        )
        assert.isTrue(yield* isPending(request!), "listing answers nothing")

        // tree-aware: a parent whose sub-agent session is blocked says so
        const parent = yield* newSession("blocked-parent")
        const child = yield* newSession("blocked-child", parent.id)
        yield* startAsker(child, `${bash("echo below-here")} Reply with ONLY BELOW.`)
        const [childRequest] = yield* pendingOf(child)
        const below = `blocked on permission (bash: echo below-here) in sub-agent session ${child.id}`
        assert.strictEqual(succeeded(yield* ocmInSandbox(["status", parent.id])).split("\n")[0], below)
        assert.include(succeeded(yield* ocmInSandbox(["summary", parent.id])), `  status     ${below}`)
        const parentLine = succeeded(yield* ocmInSandbox(["list"])).split("\n").find((line) => line.startsWith(parent.id))
        assert.include(parentLine ?? "", below)
        assert.strictEqual(
          succeeded(yield* ocmInSandbox(["permissions", parent.id])),
          `${childRequest!.id}  bash  echo below-here  (sub-agent session ${child.id})\n`
        )
        assert.deepStrictEqual(
          jsonOf<{ blocked: { sessionID: string } }>(yield* ocmInSandbox(["status", parent.id, "--json"])).blocked.sessionID,
          child.id
        )
        assert.isTrue(yield* isPending(childRequest!))

        // clean up: answered, the turns finish and nothing reads blocked any more
        succeeded(yield* ocmInSandbox(["respond", session.id, "--response", "reject"]))
        succeeded(yield* ocmInSandbox(["respond", parent.id, "--response", "reject"]))
        yield* settled(session)
        yield* settled(child)
        assert.strictEqual(succeeded(yield* ocmInSandbox(["status", session.id])), "idle\n")
        const none = yield* ocmInSandbox(["permissions", parent.id])
        assert.strictEqual(succeeded(none), "")
        assert.include(none.stderr, "no pending permission requests")
        assert.deepStrictEqual(jsonOf<unknown>(yield* ocmInSandbox(["permissions", parent.id, "--json"])), [])
        // SESSION and --all together: exit 2 before any request
        failsWith(yield* ocmInSandbox(["permissions", session.id, "--all", "--url", "http://127.0.0.1:9"]), 2, "InvalidInput")
      }), 240_000)

    it.effect("nothing pending: exit 0 with a note; --wait --timeout 1 exits 124", () =>
      Effect.gen(function* () {
        const session = yield* newSession("nothing-pending")
        const run = yield* ocmInSandbox(["respond", session.id])
        succeeded(run)
        assert.strictEqual(run.stdout, "")
        assert.include(run.stderr, `no pending permission requests for ${session.id}`)
        assert.deepStrictEqual(jsonOf<unknown>(yield* ocmInSandbox(["respond", session.id, "--json"])), { answered: [] })

        const waited = yield* ocmInSandbox(["respond", session.id, "--wait", "--timeout", "1"])
        failsWith(waited, 124, "WaitTimeout")
        assert.include(waited.stderr, "timed out after 1s waiting for a permission request")
        const auto = yield* ocmInSandbox(["respond", session.id, "--auto-approve", "--wait", "--timeout", "1", "--json"])
        failsWith(auto, 124, "WaitTimeout")
        assert.strictEqual((JSON.parse(auto.stdout) as { error: { tag: string } }).error.tag, "WaitTimeout")
      }))

    it.effect("bad flags exit 2 before any request; an unknown session exits 5", () =>
      Effect.gen(function* () {
        // an unreachable server would exit 3: exit 2 proves the check ran before any request
        const nowhere = ["--url", "http://127.0.0.1:9"]
        for (const args of [
          ["respond", "--message", "why"],
          ["respond", "--response", "once", "--message", "why"],
          ["respond", "--response", "reject", "--message", " "],
          ["respond", "--auto-approve", "--response", "reject"],
          ["respond", "--permission-id", "per_x", "--wait"],
          ["respond", "--permission-id", "per_x", "--auto-approve"],
          ["respond", "--wait", "--timeout", "0"],
          ["respond", "--response", "maybe"]
        ]) {
          const run = yield* ocmInSandbox([...args, ...nowhere])
          assert.strictEqual(run.code, 2, `ocm ${args.join(" ")}: exit ${run.code}: ${run.stderr}`)
        }
        const unknown = `ses_doesnotexist${Date.now()}`
        for (const command of ["respond", "diff", "summary", "share", "unshare"]) {
          failsWith(yield* ocmInSandbox([command, unknown]), 5, `SessionNotFound: ${command}`)
        }
      }))

    it.effect("diff: the session's changes as a unified diff that git applies, grouped per file, turn by turn", () =>
      Effect.gen(function* () {
        const client = yield* OpenCodeClient
        const fs = yield* FileSystem.FileSystem
        const { info } = yield* Sandbox
        const session = yield* newSession("diff")
        const tag = Date.now()
        const [first, second] = [`d-${tag}.txt`, `e-${tag}.txt`]
        const write = (file: string, content: string) =>
          client.prompt(
            session.id,
            {
              parts: [{ type: "text", text: `[[tool write ${JSON.stringify({ filePath: `${info.projectDir}/${file}`, content })}]] Reply with ONLY W.` }],
              agent: "build"
            },
            { directory: session.directory }
          )
        yield* write(first, "x\n")
        yield* write(second, "a\nb\n")
        yield* write(first, "x\ny\n")
        const users = (yield* client.messages(session.id)).filter((m) => m.info.role === "user").map((m) => m.info.id)

        const changes = jsonOf<Array<Change>>(yield* ocmInSandbox(["diff", session.id, "--json"]))
        assert.deepStrictEqual(
          changes.map(({ file, status, additions, deletions, messageID }) => [file, status, additions, deletions, messageID]),
          [
            [first, "added", 1, 0, users[0]],
            [first, "modified", 1, 0, users[2]],
            [second, "added", 2, 0, users[1]]
          ]
        )

        const text = succeeded(yield* ocmInSandbox(["diff", session.id]))
        assert.include(text, `diff --git a/${first} b/${first}\nnew file mode 100644\n--- /dev/null\n+++ b/${first}\n@@ -0,0 +1,1 @@\n+x\n`)
        assert.strictEqual(text, changes.map((c) => c.patch).join(""))
        // a real unified diff: applied to an empty tree it rebuilds exactly what the session wrote
        const tree = yield* fs.makeTempDirectoryScoped({ prefix: "ocm-diff-" })
        const applied = yield* Command.make("git", "apply", "--whitespace=nowarn", "-").pipe(
          Command.workingDirectory(tree),
          Command.feed(text),
          Command.exitCode
        )
        assert.strictEqual(applied, 0)
        assert.strictEqual(yield* fs.readFileString(`${tree}/${first}`), "x\ny\n")
        assert.strictEqual(yield* fs.readFileString(`${tree}/${second}`), "a\nb\n")

        const untouched = yield* newSession("diff-empty")
        const empty = yield* ocmInSandbox(["diff", untouched.id])
        succeeded(empty)
        assert.strictEqual(empty.stdout, "")
        assert.include(empty.stderr, "changed no files")
        assert.deepStrictEqual(jsonOf<unknown>(yield* ocmInSandbox(["diff", untouched.id, "--json"])), [])
      }).pipe(Effect.scoped))

    it.effect("summary: status, todo progress, cost and tokens, changes, the latest reply; tree-aware status", () =>
      Effect.gen(function* () {
        const client = yield* OpenCodeClient
        const { info } = yield* Sandbox
        const session = yield* newSession("summary")
        const todos = JSON.stringify({
          todos: [
            { content: "write the file", status: "completed", priority: "high", id: "1" },
            { content: "review it", status: "pending", priority: "low", id: "2" }
          ]
        })
        const write = JSON.stringify({ filePath: `${info.projectDir}/s-${Date.now()}.txt`, content: "one\ntwo\n" })
        const longReply = `SUMMARY ${"word ".repeat(60).trim()}`
        yield* client.prompt(session.id, {
          parts: [{ type: "text", text: `[[tool todowrite ${todos}]] [[tool write ${write}]] Reply with ONLY ${longReply}` }],
          agent: "build"
        })
        const messages = yield* client.messages(session.id)
        const expectedTokens = assistants(messages).reduce(
          (sum, { info: message }) => sum + ((message.tokens as { total?: number } | undefined)?.total ?? 0),
          0
        )

        const summary = jsonOf<Summary>(yield* ocmInSandbox(["summary", session.id, "--json"]))
        assert.strictEqual(summary.id, session.id)
        assert.strictEqual(summary.title, session.title)
        assert.strictEqual(summary.directory, info.projectDir)
        assert.strictEqual(summary.status, "idle")
        assert.isTrue(summary.idle)
        assert.isNull(summary.retry)
        assert.deepStrictEqual(summary.todo, { done: 1, inProgress: 0, total: 2 })
        assert.deepStrictEqual(summary.messages, { user: 1, assistant: assistants(messages).length })
        assert.isAbove(expectedTokens, 0)
        assert.strictEqual(summary.tokens.total, expectedTokens)
        assert.strictEqual(summary.cost, 0, "the scripted model costs nothing")
        assert.deepStrictEqual(summary.changes, { files: 1, additions: 2, deletions: 0 })
        assert.isNull(summary.lastError)
        assert.lengthOf(summary.lastReply!, 200)
        assert.isTrue(summary.lastReply!.startsWith("SUMMARY word word"))
        assert.isTrue(summary.lastReply!.endsWith("…"))

        const human = succeeded(yield* ocmInSandbox(["summary", session.id]))
        assert.include(human, `${session.id}  ${session.title}`)
        assert.match(human, /status\s+idle\n/)
        assert.match(human, /todo\s+1\/2 done\n/)
        assert.match(human, new RegExp(`tokens\\s+${expectedTokens} \\(`))
        assert.match(human, /changes\s+\+2 -0 in 1 file\n/)
        assert.match(human, /reply\s+SUMMARY word word/)

        // a busy sub-agent below an idle parent: the parent is waiting, not idle
        const child = yield* newSession("summary-child", session.id)
        yield* client.promptAsync(child.id, { parts: [{ type: "text", text: "[[slow 20]] Reply with ONLY X." }], agent: "proof" })
        yield* client.sessionStatus({ directory: child.directory }).pipe(
          Effect.filterOrFail((statuses) => statuses[child.id]?.type === "busy"),
          Effect.retry({ schedule: Schedule.spaced("100 millis") }),
          Effect.timeout("10 seconds")
        )
        const waiting = jsonOf<Summary>(yield* ocmInSandbox(["summary", session.id, "--json"]))
        assert.strictEqual(waiting.status, "idle")
        assert.isFalse(waiting.idle)
        assert.deepStrictEqual(waiting.subAgents, { total: 1, busy: [{ id: child.id, title: child.title, status: "busy" }] })
        assert.match(succeeded(yield* ocmInSandbox(["summary", session.id])), new RegExp(`status\\s+idle; waiting on 1 sub-agent session: ${child.id} \\(busy\\)`))
        yield* client.abort(child.id)
      }))

    it.effect("share fails cleanly on a server with sharing disabled; unshare is witnessed", () =>
      Effect.gen(function* () {
        const client = yield* OpenCodeClient
        const session = yield* newSession("share")
        // the sandbox runs with "share": "disabled"; the server answers 500 and ocm says why
        const shared = yield* ocmInSandbox(["share", session.id])
        failsWith(shared, 7, "ServerRejected")
        assert.strictEqual(shared.stdout, "")
        assert.include(shared.stderr, "HTTP 500")
        assert.include(shared.stderr, "sharing is disabled in the server's config")
        const sharedJson = yield* ocmInSandbox(["share", session.id, "--json"])
        failsWith(sharedJson, 7, "ServerRejected")
        assert.strictEqual((JSON.parse(sharedJson.stdout) as { error: { tag: string } }).error.tag, "ServerRejected")
        assert.isUndefined((yield* client.getSession(session.id)).share)

        assert.strictEqual(succeeded(yield* ocmInSandbox(["unshare", session.id])), `unshared ${session.id} (it was not shared)\n`)
        assert.deepStrictEqual(jsonOf<unknown>(yield* ocmInSandbox(["unshare", session.id, "--json"])), {
          sessionID: session.id,
          shared: false,
          wasShared: false
        })
        assert.isUndefined((yield* client.getSession(session.id)).share)
      }))
  })
})
