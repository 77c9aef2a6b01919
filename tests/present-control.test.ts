/**
 * The views of respond, permissions, diff, summary, share and unshare: the text a person reads, the note an empty
 * result gives instead, and the --json document, from a recorded session (fixtures/transcripts) and small literal
 * requests and changes.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import { readFileSync } from "node:fs"
import { type PermissionRequest, Session } from "../src/domain/Domain.js"
import { diffView } from "../src/present/diff.js"
import { render, type View } from "../src/present/Presenter.js"
import { answeredAsWitnessed, answeredLine, permissionListView, respondView } from "../src/present/respond.js"
import { sharedView, unsharedView } from "../src/present/share.js"
import { summaryView } from "../src/present/summary.js"
import { type FileChange, gitPatch } from "../src/programs/diff.js"
import type { Answered, PermissionList } from "../src/programs/respond.js"
import type { SessionSummary } from "../src/programs/summary.js"
import { repoRoot } from "./support/cli.js"
import { capturingConsole } from "./support/console.js"

const recorded = Schema.decodeUnknownSync(Session)(
  JSON.parse(readFileSync(`${repoRoot}fixtures/transcripts/multiturn.export.json`, "utf8")).info
)
const child: Session = { ...recorded, id: "ses_child000000000000000001", parentID: recorded.id, title: "a sub-agent" }

const text = <A>(view: View<A>, result: A) => render(view, { json: false }, result)
const json = <A>(view: View<A>, result: A) => JSON.parse(render(view, { json: true }, result)!)

const own: PermissionRequest = { id: "per_own", sessionID: recorded.id, permission: "bash", patterns: ["echo hi"] }
const below: PermissionRequest = {
  id: "per_below",
  sessionID: child.id,
  permission: "edit",
  patterns: ["src/a.ts", "src/b.ts"],
  always: ["src/*"],
  tool: { messageID: "msg_1", callID: "call_1" }
}

describe("respond", () => {
  const answered: ReadonlyArray<Answered> = [
    { ...own, response: "once" },
    { id: below.id, sessionID: child.id, permission: "edit", patterns: below.patterns, response: "always" }
  ]

  it("an answer a line, as it is witnessed: id, response (padded), permission, patterns, and a sub-agent's session", () => {
    assert.strictEqual(answeredLine(recorded, answered[0]!), "per_own  once    bash  echo hi")
    assert.strictEqual(answeredLine(recorded, answered[1]!), `per_below  always  edit  src/a.ts, src/b.ts  (sub-agent session ${child.id})`)
  })

  it.effect("the lines go to stdout one by one for a person, and not at all with --json, whose document comes at the end", () =>
    Effect.gen(function* () {
      const asPerson = yield* capturingConsole(Effect.forEach(answered, (a) => answeredAsWitnessed({ json: false })(a, recorded)))
      assert.deepStrictEqual(asPerson.captured.stdout, [answeredLine(recorded, answered[0]!), answeredLine(recorded, answered[1]!)])
      const asJson = yield* capturingConsole(Effect.forEach(answered, (a) => answeredAsWitnessed({ json: true })(a, recorded)))
      assert.deepStrictEqual(asJson.captured.stdout, [])
      assert.isUndefined(text(respondView, { session: recorded, answered }), "already written answer by answer")
      assert.deepStrictEqual(json(respondView, { session: recorded, answered }), { answered: JSON.parse(JSON.stringify(answered)) })
      assert.deepStrictEqual(json(respondView, { session: recorded, answered: [] }), { answered: [] })
    }))
})

describe("permissions", () => {
  const listed: PermissionList = {
    root: recorded,
    pending: [
      { request: own, directory: "/sandbox/project" },
      { request: below, directory: "/sandbox/project" }
    ],
    where: `${recorded.id} or its 1 sub-agent session`
  }

  it("a request a line; a sub-agent's names its session, and --all names each session and its directory", () => {
    assert.strictEqual(
      text(permissionListView, listed),
      `per_own  bash  echo hi\nper_below  edit  src/a.ts, src/b.ts  (sub-agent session ${child.id})`
    )
    assert.strictEqual(
      text(permissionListView, { ...listed, root: undefined, where: "any session on the server" }),
      `per_own  bash  echo hi  (session ${recorded.id}, /sandbox/project)\nper_below  edit  src/a.ts, src/b.ts  (session ${child.id}, /sandbox/project)`
    )
    assert.isUndefined(permissionListView.note?.(listed))
  })

  it("--json: every field of each request, absent always and tool as [] and null", () => {
    assert.deepStrictEqual(json(permissionListView, listed), [
      { id: "per_own", sessionID: recorded.id, directory: "/sandbox/project", permission: "bash", patterns: ["echo hi"], always: [], tool: null },
      {
        id: "per_below",
        sessionID: child.id,
        directory: "/sandbox/project",
        permission: "edit",
        patterns: ["src/a.ts", "src/b.ts"],
        always: ["src/*"],
        tool: { messageID: "msg_1", callID: "call_1" }
      }
    ])
  })

  it("none pending: no text, a note that says for whom, and [] as JSON", () => {
    const none = { ...listed, pending: [] }
    assert.isUndefined(text(permissionListView, none))
    assert.strictEqual(permissionListView.note?.(none), `ocm: no pending permission requests for ${recorded.id} or its 1 sub-agent session`)
    assert.deepStrictEqual(json(permissionListView, none), [])
  })
})

describe("diff", () => {
  const change = (file: string, status: string, patch: string, messageID: string): FileChange => ({
    file,
    status,
    additions: 1,
    deletions: status === "added" ? 0 : 1,
    patch: gitPatch({ file, status, patch }),
    messageID
  })
  const changes = [
    change("a.txt", "added", "Index: a.txt\n===\n--- a.txt\n+++ a.txt\n@@ -0,0 +1 @@\n+one\n", "msg_1"),
    change("a.txt", "modified", "Index: a.txt\n===\n--- a.txt\n+++ a.txt\n@@ -1 +1 @@\n-one\n+two\n", "msg_2")
  ]

  it("the patches one after the other, as git applies them", () => {
    assert.strictEqual(
      text(diffView, { session: recorded, changes }),
      [
        "diff --git a/a.txt b/a.txt",
        "new file mode 100644",
        "--- /dev/null",
        "+++ b/a.txt",
        "@@ -0,0 +1 @@",
        "+one",
        "diff --git a/a.txt b/a.txt",
        "--- a/a.txt",
        "+++ b/a.txt",
        "@@ -1 +1 @@",
        "-one",
        "+two"
      ].join("\n")
    )
    assert.deepStrictEqual(json(diffView, { session: recorded, changes }), changes)
    assert.isUndefined(diffView.note?.({ session: recorded, changes }))
  })

  it("no changes: no text, a note, and [] as JSON", () => {
    assert.isUndefined(text(diffView, { session: recorded, changes: [] }))
    assert.strictEqual(diffView.note?.({ session: recorded, changes: [] }), `ocm: ${recorded.id} changed no files`)
    assert.deepStrictEqual(json(diffView, { session: recorded, changes: [] }), [])
  })
})

describe("summary", () => {
  const summary: SessionSummary = {
    session: recorded,
    state: {
      session: recorded,
      status: { type: "retry", attempt: 2, message: "overloaded", next: 1_800_000_000_000 },
      descendants: [child],
      busyDescendants: [{ session: child, status: { type: "busy" } }],
      blocked: []
    },
    todo: { done: 1, inProgress: 1, total: 3 },
    messages: { user: 4, assistant: 6 },
    cost: 0.01234,
    tokens: { total: 14614, input: 14554, output: 60, reasoning: 0, cacheRead: 0, cacheWrite: 0 },
    changes: { files: 1, additions: 2, deletions: 1 },
    lastError: null,
    lastReply: "SECOND"
  }

  it("a title line and an aligned table; an absent error is left out", () => {
    assert.strictEqual(
      text(summaryView, summary),
      [
        `${recorded.id}  transcript fixture: multi-turn`,
        "  directory  /sandbox/project",
        `  status     retry (attempt 2: overloaded); waiting on 1 sub-agent session: ${child.id} (busy)`,
        "  todo       1/3 done, 1 in progress",
        "  messages   4 user, 6 assistant",
        "  cost       $0.0123",
        "  tokens     14614 (input 14554, output 60, reasoning 0, cache read 0, write 0)",
        "  changes    +2 -1 in 1 file",
        "  reply      SECOND"
      ].join("\n")
    )
    const idle = { ...summary, state: { ...summary.state, status: { type: "idle" as const }, busyDescendants: [] }, todo: { done: 0, inProgress: 0, total: 0 } }
    assert.include(text(summaryView, { ...idle, lastError: "MessageAbortedError", lastReply: null })!, "  error      MessageAbortedError")
    assert.include(text(summaryView, idle)!, "  status     idle\n  todo       none")
  })

  it("--json: status as the server says it, retry, blocked, sub-agents, counts, cost, tokens, changes", () => {
    assert.deepStrictEqual(json(summaryView, summary), {
      id: recorded.id,
      title: "transcript fixture: multi-turn",
      directory: "/sandbox/project",
      status: "retry",
      idle: false,
      retry: { attempt: 2, message: "overloaded", next: 1_800_000_000_000 },
      blocked: null,
      subAgents: { total: 1, busy: [{ id: child.id, title: "a sub-agent", status: "busy" }] },
      todo: { done: 1, inProgress: 1, total: 3 },
      messages: { user: 4, assistant: 6 },
      cost: 0.01234,
      tokens: { total: 14614, input: 14554, output: 60, reasoning: 0, cacheRead: 0, cacheWrite: 0 },
      changes: { files: 1, additions: 2, deletions: 1 },
      lastError: null,
      lastReply: "SECOND"
    })
  })
})

describe("share and unshare", () => {
  it("share: the URL; --json the session and the URL", () => {
    const shared = { sessionID: recorded.id, url: "https://opncd.ai/share/abc" }
    assert.strictEqual(text(sharedView, shared), "https://opncd.ai/share/abc")
    assert.deepStrictEqual(json(sharedView, shared), shared)
  })
  it("unshare: says whether it was shared; --json shared is false", () => {
    assert.strictEqual(text(unsharedView, { sessionID: recorded.id, wasShared: true }), `unshared ${recorded.id}`)
    assert.strictEqual(text(unsharedView, { sessionID: recorded.id, wasShared: false }), `unshared ${recorded.id} (it was not shared)`)
    assert.deepStrictEqual(json(unsharedView, { sessionID: recorded.id, wasShared: false }), {
      sessionID: recorded.id,
      shared: false,
      wasShared: false
    })
  })
})
