/**
 * The views of list, get, status, children, todo, abort and rm --orphans: the text a person reads, the note an
 * empty list gives instead, and the --json document, from a recorded session (fixtures/transcripts) and small
 * literal statuses, todos and permission requests.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import { readFileSync } from "node:fs"
import * as ProgressLive from "../layers/ProgressLive.js"
import type { Note } from "../services/Progress.js"
import { type PermissionRequest, Session } from "../src/domain/Domain.js"
import { present, render } from "../src/present/Presenter.js"
import {
  abortedView,
  childrenView,
  listingView,
  removedOrphansView,
  sessionDetailsView,
  todoView,
  treeStatusView
} from "../src/present/inspect.js"
import type { SessionRow } from "../src/programs/inspect.js"
import type { TreeStatus } from "../src/engine/WaitEngine.js"
import { repoRoot } from "./support/cli.js"
import { capturingConsole } from "./support/console.js"

const recorded = Schema.decodeUnknownSync(Session)(
  JSON.parse(readFileSync(`${repoRoot}fixtures/transcripts/multiturn.export.json`, "utf8")).info
)
// 2026-11-18T…: the recorded times
const updated = new Date(recorded.time.updated).toISOString()
const created = new Date(recorded.time.created).toISOString()

const child: Session = {
  ...recorded,
  id: "ses_child0000000000000000001",
  parentID: recorded.id,
  title: "a sub-agent",
  time: { created: recorded.time.created + 1000, updated: recorded.time.updated + 1000 }
}
const elsewhere: Session = { ...child, id: "ses_child0000000000000000002", title: "elsewhere", directory: "/other/dir" }

const request: PermissionRequest = { id: "per_1", sessionID: child.id, permission: "bash", patterns: ["printf hi"] }

const text = <A>(view: Parameters<typeof render<A>>[0], result: A) => render(view, { json: false }, result)
const json = <A>(view: Parameters<typeof render<A>>[0], result: A) => JSON.parse(render(view, { json: true }, result)!)

describe("list", () => {
  const rows: ReadonlyArray<SessionRow> = [
    { session: child, status: { type: "busy" }, blocked: [{ request, directory: child.directory }] },
    { session: recorded, status: { type: "idle" }, blocked: [] }
  ]

  it("a row a line: id, status (padded to the widest), last update, title; --all adds the directory", () => {
    const blocked = "blocked on permission (bash: printf hi)"
    assert.strictEqual(
      text(listingView, { _tag: "Sessions", rows, directory: "/sandbox/project", active: false }),
      [
        `${child.id}  ${blocked}  ${new Date(child.time.updated).toISOString()}  a sub-agent`,
        `${recorded.id}  ${"idle".padEnd(blocked.length)}  ${updated}  ${recorded.title}`
      ].join("\n")
    )
    assert.strictEqual(
      text(listingView, { _tag: "Sessions", rows: rows.slice(1), directory: undefined, active: false }),
      `${recorded.id}  idle   ${updated}  ${recorded.title}  /sandbox/project`
    )
  })

  it("--json: one object per session, the first pending request as blocked", () => {
    assert.deepStrictEqual(json(listingView, { _tag: "Sessions", rows, directory: "/sandbox/project", active: false }), [
      {
        id: child.id,
        title: "a sub-agent",
        directory: "/sandbox/project",
        parentID: recorded.id,
        created: new Date(child.time.created).toISOString(),
        updated: new Date(child.time.updated).toISOString(),
        status: "busy",
        blocked: { permissionID: "per_1", permission: "bash", patterns: ["printf hi"], sessionID: child.id, directory: "/sandbox/project" }
      },
      { id: recorded.id, title: recorded.title, directory: "/sandbox/project", parentID: null, created, updated, status: "idle", blocked: null }
    ])
  })

  it("an empty list prints nothing and says so in a note; its JSON is []", () => {
    const here = { _tag: "Sessions", rows: [], directory: "/work/x", active: false } as const
    assert.isUndefined(text(listingView, here))
    assert.strictEqual(listingView.note?.(here), "ocm: no sessions in /work/x")
    assert.strictEqual(listingView.note?.({ ...here, directory: undefined, active: true }), "ocm: no busy or retrying sessions on the server")
    assert.deepStrictEqual(json(listingView, here), [])
    assert.isUndefined(listingView.note?.({ _tag: "Sessions", rows, directory: "/work/x", active: false }))
  })

  it("--orphans: session id and file; --json with the stored defaults; a note when there are none", () => {
    const orphans = {
      _tag: "Orphans",
      orphans: [
        {
          sessionID: "ses_gone",
          file: "/state/ocm/defaults/ses_gone.json",
          defaults: { agent: "proof", model: { providerID: "scripted", modelID: "scripted" }, variant: undefined }
        },
        { sessionID: "ses_gone2", file: "/state/ocm/defaults/ses_gone2.json", defaults: undefined }
      ]
    } as const
    assert.strictEqual(
      text(listingView, orphans),
      "ses_gone  /state/ocm/defaults/ses_gone.json\nses_gone2  /state/ocm/defaults/ses_gone2.json"
    )
    assert.deepStrictEqual(json(listingView, orphans), [
      { sessionID: "ses_gone", file: "/state/ocm/defaults/ses_gone.json", defaults: { agent: "proof", model: "scripted/scripted", variant: null } },
      { sessionID: "ses_gone2", file: "/state/ocm/defaults/ses_gone2.json", defaults: null }
    ])
    assert.strictEqual(listingView.note?.({ _tag: "Orphans", orphans: [] }), "ocm: no stored defaults without a live session")
    assert.isUndefined(text(listingView, { _tag: "Orphans", orphans: [] }))

    const removed = { removed: orphans.orphans }
    assert.strictEqual(
      text(removedOrphansView, removed),
      "removed ses_gone  /state/ocm/defaults/ses_gone.json\nremoved ses_gone2  /state/ocm/defaults/ses_gone2.json"
    )
    assert.deepStrictEqual(json(removedOrphansView, removed), { removed: json(listingView, orphans) })
    assert.strictEqual(removedOrphansView.note?.({ removed: [] }), "ocm: no stored defaults without a live session; nothing removed")
    assert.deepStrictEqual(json(removedOrphansView, { removed: [] }), { removed: [] })
  })
})

const busyTree: TreeStatus = {
  session: recorded,
  status: { type: "retry", attempt: 2, message: "overloaded", next: 1795223399000 },
  descendants: [child, elsewhere],
  busyDescendants: [{ session: child, status: { type: "busy" } }],
  blocked: []
}

describe("get", () => {
  it("a header line, then aligned fields; absent ones are left out", () => {
    const details = {
      session: { ...recorded, share: { url: "https://opncd.ai/s/abc" } },
      state: busyTree,
      defaults: { agent: "proof", model: undefined, variant: "high" },
      messages: { user: 2, assistant: 2 },
      children: 1
    }
    assert.strictEqual(
      text(sessionDetailsView, details),
      [
        `${recorded.id}  ${recorded.title}`,
        "  directory  /sandbox/project",
        `  created    ${created}`,
        `  updated    ${updated}`,
        `  status     retry (attempt 2: overloaded); waiting on 1 sub-agent session: ${child.id} (busy)`,
        "  share      https://opncd.ai/s/abc",
        "  changes    +0 -0 in 0 files",
        "  messages   2 user, 2 assistant",
        "  children   1",
        "  defaults   agent proof, variant high"
      ].join("\n")
    )
    assert.deepStrictEqual(json(sessionDetailsView, details), {
      id: recorded.id,
      title: recorded.title,
      directory: "/sandbox/project",
      parentID: null,
      created,
      updated,
      status: "retry",
      blocked: null,
      idle: false,
      share: "https://opncd.ai/s/abc",
      summary: { additions: 0, deletions: 0, files: 0 },
      retry: { attempt: 2, message: "overloaded", next: 1795223399000 },
      defaults: { agent: "proof", model: null, variant: "high" },
      messages: { user: 2, assistant: 2 },
      children: 1
    })
    const idle = { ...details, state: { ...busyTree, status: { type: "idle" }, busyDescendants: [] }, defaults: undefined } as const
    assert.include(text(sessionDetailsView, idle), "\n  status     idle\n")
    assert.isTrue(text(sessionDetailsView, idle)!.endsWith("  defaults   (none)"))
    assert.strictEqual(json(sessionDetailsView, idle).idle, true)
  })
})

describe("status", () => {
  it("the tree's label, then what it waits on; --json names the busy sub-agent sessions", () => {
    assert.strictEqual(
      text(treeStatusView, busyTree),
      `retry (attempt 2: overloaded)\nwaiting on 1 sub-agent session: ${child.id} (busy)`
    )
    assert.deepStrictEqual(json(treeStatusView, busyTree), {
      sessionID: recorded.id,
      title: recorded.title,
      directory: "/sandbox/project",
      status: "retry",
      retry: { attempt: 2, message: "overloaded", next: 1795223399000 },
      idle: false,
      blocked: null,
      subAgents: { total: 2, busy: [{ id: child.id, title: "a sub-agent", parentID: recorded.id, status: "busy" }] }
    })
    const blocked: TreeStatus = { ...busyTree, status: { type: "busy" }, blocked: [{ request, directory: "/sandbox/project" }] }
    assert.strictEqual(
      text(treeStatusView, blocked),
      `blocked on permission (bash: printf hi) in sub-agent session ${child.id}\nwaiting on 1 sub-agent session: ${child.id} (busy)`
    )
  })
})

describe("children", () => {
  it("rows as list shows them, with the directory only when a child lives elsewhere; a note when there are none", () => {
    const here: ReadonlyArray<SessionRow> = [{ session: child, status: { type: "idle" }, blocked: [] }]
    assert.strictEqual(
      text(childrenView, { session: recorded, rows: here }),
      `${child.id}  idle   ${new Date(child.time.updated).toISOString()}  a sub-agent`
    )
    const both = [...here, { session: elsewhere, status: { type: "idle" }, blocked: [] } as const]
    assert.deepStrictEqual(
      text(childrenView, { session: recorded, rows: both })!.split("\n").map((line) => line.split("  ").at(-1)),
      ["/sandbox/project", "/other/dir"]
    )
    assert.deepStrictEqual(
      json(childrenView, { session: recorded, rows: here }).map((row: { id: string }) => row.id),
      [child.id]
    )
    assert.isUndefined(text(childrenView, { session: recorded, rows: [] }))
    assert.strictEqual(childrenView.note?.({ session: recorded, rows: [] }), `ocm: ${recorded.id} has no child sessions`)
    assert.deepStrictEqual(json(childrenView, { session: recorded, rows: [] }), [])
  })
})

describe("todo", () => {
  it("a checklist with priorities; --json content, status and priority (null when absent)", () => {
    const todos = [
      { content: "write the view", status: "completed", priority: "high" },
      { content: "test it", status: "in_progress" },
      { content: "dropped", status: "cancelled" },
      { content: "ship", status: "pending", priority: "low" }
    ]
    assert.strictEqual(
      text(todoView, { session: recorded, todos }),
      "[x] write the view  (high)\n[~] test it\n[-] dropped\n[ ] ship  (low)"
    )
    assert.deepStrictEqual(json(todoView, { session: recorded, todos }), [
      { content: "write the view", status: "completed", priority: "high" },
      { content: "test it", status: "in_progress", priority: null },
      { content: "dropped", status: "cancelled", priority: null },
      { content: "ship", status: "pending", priority: "low" }
    ])
    assert.isUndefined(text(todoView, { session: recorded, todos: [] }))
    assert.strictEqual(todoView.note?.({ session: recorded, todos: [] }), `ocm: ${recorded.id} has no todo list`)
  })
})

describe("abort", () => {
  it("says what it stopped, or that nothing ran", () => {
    assert.strictEqual(text(abortedView, { session: recorded, before: { type: "busy" } }), `aborted ${recorded.id}: it was busy, now idle`)
    assert.strictEqual(text(abortedView, { session: recorded, before: { type: "idle" } }), `${recorded.id} was not busy; it is idle`)
    assert.deepStrictEqual(json(abortedView, { session: recorded, before: { type: "busy" } }), {
      sessionID: recorded.id,
      title: recorded.title,
      aborted: true,
      wasBusy: true,
      status: "idle"
    })
    assert.isUndefined(abortedView.note)
  })
})

describe("present", () => {
  it.effect("the text on stdout and the view's note through Progress; under --json only the document", () =>
    Effect.gen(function* () {
      const empty = { session: recorded, todos: [] }
      const notes: Array<Note> = []
      const heard = ProgressLive.subscribe((note) => Effect.sync(() => void notes.push(note)))
      const human = yield* capturingConsole(present(todoView, { json: false })(empty).pipe(Effect.provide(heard)))
      assert.deepStrictEqual(human.captured.stdout, [], "an empty list prints nothing")
      assert.deepStrictEqual(notes, [{ kind: "warning", text: `ocm: ${recorded.id} has no todo list` }])
      const machine = yield* capturingConsole(present(todoView, { json: true })(empty).pipe(Effect.provide(heard)))
      assert.deepStrictEqual(machine.captured.stdout, ["[]"])
      assert.lengthOf(notes, 1, "no note under --json")
    }))
})
