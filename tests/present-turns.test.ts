/**
 * The views of the prompt-bearing commands and their neighbours (one-shot, begin-session, chat, final, wait,
 * delete, send, stream, watch, run, wt, demo, transcript): the text a person reads and the --json document, from
 * recorded fixtures — a session's messages (fixtures/transcripts/multiturn.export.json), the event stream of a
 * streamed turn with a tool step (fixtures/events/stream-turn.sse) — and small literal proofs.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import { readFileSync } from "node:fs"
import { decodeEventStream } from "../layers/OpenCodeClientLive.js"
import { MessageWithParts, type OpenCodeEvent, Session } from "../src/domain/Domain.js"
import type { PromptedTurn } from "../src/engine/PromptTurn.js"
import { presentSteps, presentStream, render, type View } from "../src/present/Presenter.js"
import { demoView } from "../src/present/demo.js"
import { runView } from "../src/present/run.js"
import { sentView, turnStreamJsonView, turnStreamText, watchView } from "../src/present/send.js"
import { transcriptView } from "../src/present/transcript.js"
import { begunView, chatView, deletedView, finishedView, idleView, turnJson } from "../src/present/turns.js"
import { createdWorktreeView, removedWorktreeView, worktreeListView, worktreeTurnView } from "../src/present/worktree.js"
import type { DemoStep } from "../src/programs/demo.js"
import type { TurnStreamItem, WatchItem } from "../src/programs/send.js"
import { toDocument } from "../src/transcript/View.js"
import { replyText, turnReasoning, withThinking, type TurnResult } from "../src/engine/TurnEngine.js"
import { repoRoot } from "./support/cli.js"
import { capturingConsole } from "./support/console.js"

const fixture = (path: string) => readFileSync(`${repoRoot}fixtures/${path}`, "utf8")

const exported = JSON.parse(fixture("transcripts/multiturn.export.json")) as { info: unknown; messages: Array<unknown> }
const session = Schema.decodeUnknownSync(Session)(exported.info)
const messages = exported.messages.map((message) => Schema.decodeUnknownSync(MessageWithParts)(message))

/** The recorded first turn ("Say hello", with reasoning), as the engine proves it. */
const user = messages[0]!
const replies = messages.filter((message) => message.info.role === "assistant" && message.info.parentID === user.info.id)
const proof: TurnResult["proof"] = {
  userMessageID: user.info.id,
  assistantMessageIDs: replies.map((message) => message.info.id),
  assistantTurnsBefore: 0,
  assistantTurnsAfter: 1,
  carriedSystemPrompts: [],
  systemSent: undefined,
  identity: {
    agent: "proof",
    model: { providerID: "scripted", modelID: "scripted" },
    variant: undefined,
    source: { agent: "flag", model: "observed", variant: "server default" }
  },
  recordedBy: "event",
  completedBy: "session.idle event",
  elapsedMs: 140
}
const turn: TurnResult = {
  sessionID: session.id,
  directory: session.directory,
  mode: "turn",
  reply: replyText(replies.at(-1)),
  assistant: replies.at(-1),
  replies,
  proof
}
const prompted: PromptedTurn = { session, turn }
/** The same prompt recorded without a turn (--no-reply) or left running (--async). */
const recordedOnly = (mode: "queue-only" | "sent"): PromptedTurn => ({
  session,
  turn: {
    ...turn,
    mode,
    reply: "",
    assistant: undefined,
    replies: [],
    proof: { ...proof, assistantMessageIDs: [], assistantTurnsAfter: 0, completedBy: mode === "sent" ? "detached after recording" : "queue-only read-back" }
  }
})

const text = <A>(view: View<A>, result: A) => render(view, { json: false }, result)
const json = <A>(view: View<A>, result: A) => JSON.parse(render(view, { json: true }, result)!)

const proofJson = {
  ...proof,
  systemSent: null,
  identity: { agent: "proof", model: "scripted/scripted", variant: null, source: proof.identity.source }
}
const turnDocument = {
  sessionID: session.id,
  directory: "/sandbox/project",
  title: "transcript fixture: multi-turn",
  mode: "turn",
  reply: "HELLO",
  proof: proofJson
}

describe("the turn JSON", () => {
  it("is one document for every prompt-bearing command: session, mode, reply and the proof as plain JSON", () => {
    assert.deepStrictEqual(JSON.parse(JSON.stringify(turnJson(prompted))), turnDocument)
    for (const view of [begunView, chatView] as const) assert.deepStrictEqual(json(view, prompted), turnDocument)
    assert.deepStrictEqual(json(sentView, { ...prompted, reply: "HELLO" }), turnDocument)
    assert.deepStrictEqual(json(finishedView, { ...prompted, transcript: undefined }), { ...turnDocument, deleted: true })
  })
})

describe("one-shot, begin-session, chat, final, wait, delete", () => {
  it("begin-session prints the session id; chat the reply, or what was recorded when no turn ran", () => {
    assert.strictEqual(text(begunView, prompted), session.id)
    assert.strictEqual(text(chatView, prompted), "HELLO")
    assert.strictEqual(text(chatView, recordedOnly("queue-only")), `recorded ${user.info.id} in ${session.id} (no reply requested)`)
    assert.strictEqual(json(chatView, recordedOnly("queue-only")).mode, "queue-only")
  })

  it("one-shot and final: the reply, or the transcript read before the deletion (Markdown, or the document in --json)", () => {
    assert.strictEqual(text(finishedView, { ...prompted, transcript: undefined }), "HELLO")
    const transcript = toDocument({ session, messages })
    const golden = fixture("transcripts/multiturn.golden.md")
    assert.strictEqual(`${text(finishedView, { ...prompted, transcript })}\n`, golden)
    const document = json(finishedView, { ...prompted, transcript })
    assert.deepStrictEqual(document, { ...turnDocument, deleted: true, transcript: JSON.parse(fixture("transcripts/multiturn.golden.json")) })
  })

  it("wait: the latest reply; --json says whether it failed or was abandoned", () => {
    const idle = { sessionID: session.id, lastAssistantID: "msg_1", error: null, abandoned: false, reply: "HELLO" }
    assert.strictEqual(text(idleView, idle), "HELLO")
    assert.deepStrictEqual(json(idleView, idle), { sessionID: session.id, idle: true, lastAssistantID: "msg_1", error: null, abandoned: false, reply: "HELLO" })
  })

  it("delete: what was deleted", () => {
    const deleted = { sessionID: session.id, title: session.title }
    assert.strictEqual(text(deletedView, deleted), `deleted ${session.id} (transcript fixture: multi-turn)`)
    assert.deepStrictEqual(json(deletedView, deleted), { sessionID: session.id, title: session.title, deleted: true })
  })
})

describe("send", () => {
  it("the reply (after --wait, the latest one); without a turn, the session, the prompt and what became of it", () => {
    assert.strictEqual(text(sentView, { ...prompted, reply: "LATEST" }), "LATEST")
    assert.strictEqual(json(sentView, { ...prompted, reply: "LATEST" }).reply, "LATEST")
    assert.strictEqual(text(sentView, { ...recordedOnly("sent"), reply: "" }), `${session.id} ${user.info.id} (sent, running)`)
    assert.strictEqual(text(sentView, { ...recordedOnly("queue-only"), reply: "" }), `${session.id} ${user.info.id} (recorded, no reply requested)`)
  })
})

const recordedEvents = Effect.runSync(
  decodeEventStream(Stream.make(new TextEncoder().encode(fixture("events/stream-turn.sse")))).pipe(
    Stream.runCollect,
    Effect.map(Chunk.toReadonlyArray)
  )
)
const streamed: PromptedTurn = {
  session,
  turn: { ...turn, reply: "text that arrives in pieces" }
}
const streamItems: ReadonlyArray<TurnStreamItem> = [
  ...recordedEvents.map((event): TurnStreamItem => ({ _tag: "Event", event })),
  { _tag: "Result", ...streamed }
]

describe("stream", () => {
  it("shows each tool step when it starts and when it ends, then the text as it was written, then a line end", () => {
    const shown = turnStreamText()
    const pieces = streamItems.map(shown)
    assert.strictEqual(pieces.join(""), "[tool bash running] say streamed\n[tool bash completed] echo streamed\ntext that arrives in pieces\n")
    // the text came in pieces, each written as it arrived
    assert.isAbove(pieces.filter((piece) => piece !== "" && !piece.includes("\n")).length, 5)
  })

  it("prints a reply that came without text deltas whole", () => {
    const shown = turnStreamText()
    assert.strictEqual(shown({ _tag: "Result", ...streamed }), "text that arrives in pieces\n")
  })

  it.effect("--json: every event as a line (type, directory, its properties), then the result line", () =>
    Effect.gen(function* () {
      const { captured } = yield* capturingConsole(presentStream(turnStreamJsonView, { json: true })(Stream.fromIterable(streamItems)))
      const lines = captured.stdout.map((line) => JSON.parse(line) as { readonly type: string } & Record<string, unknown>)
      assert.strictEqual(lines.length, recordedEvents.length + 1)
      assert.deepStrictEqual(lines[0], { type: "server.connected", directory: "global" })
      assert.include(lines.map((line) => line.type), "message.part.delta")
      assert.deepStrictEqual(lines.at(-1), { type: "result", ...turnDocument, reply: "text that arrives in pieces" })
      assert.isTrue(captured.stdout.every((line) => !line.includes("\n")), "one compact document per line")
    }))
})

describe("watch", () => {
  const at = Date.UTC(2026, 10, 18, 9, 30, 5)
  const items = recordedEvents.map((event): WatchItem => ({ _tag: "Event", event, receivedAt: at }))
  const sessionID = (event: OpenCodeEvent) => (event.payload.type === "session.idle" ? event.payload.properties.sessionID : "")

  it("a line per event worth one: the time it came, the session, what happened; text deltas say nothing", () => {
    const lines = items.flatMap((item) => {
      const line = text(watchView, item)
      return line === undefined ? [] : [line]
    })
    const idle = recordedEvents.find((event) => event.payload.type === "session.idle")!
    const id = sessionID(idle)
    assert.strictEqual(lines[0], "09:30:05  -  server.connected")
    assert.include(lines, `09:30:05  ${id}  status busy`)
    assert.include(lines, `09:30:05  ${id}  [tool bash completed] echo streamed`)
    assert.include(lines, `09:30:05  ${id}  text text that arrives in pieces`)
    assert.strictEqual(lines.at(-1), `09:30:05  ${id}  idle`)
    assert.isFalse(lines.some((line) => line.includes("message.part.delta")))
  })

  it("--text-only: the text itself; --json: the event as NDJSON", () => {
    assert.strictEqual(text(watchView, { _tag: "Text", text: "WATCHED" }), "WATCHED")
    const idle = items.find((item) => item._tag === "Event" && item.event.payload.type === "session.idle")!
    const document = json(watchView, idle)
    assert.strictEqual(document.type, "session.idle")
    assert.strictEqual(document.directory, "/sandbox/project")
  })
})

describe("run", () => {
  const reasoning = turnReasoning(replies)
  const result = { ...prompted, reasoning: undefined, shown: "HELLO", out: undefined, raw: undefined, deleted: false }

  it("the reply, or the path of --out; --thinking shows the reasoning first", () => {
    assert.strictEqual(text(runView, result), "HELLO")
    assert.strictEqual(text(runView, { ...result, out: "/work/out.txt" }), "/work/out.txt")
    const shown = withThinking(reasoning, "HELLO")
    assert.match(shown, /^<thinking>\n.+\n<\/thinking>\n\nHELLO$/s)
    assert.strictEqual(text(runView, { ...result, reasoning, shown }), shown)
  })

  it("--json: the turn, where the results went, whether the session was deleted; reasoning only with --thinking", () => {
    assert.deepStrictEqual(json(runView, result), { ...turnDocument, out: null, raw: null, deleted: false })
    assert.deepStrictEqual(json(runView, { ...result, reasoning, out: "/o", raw: "/r", deleted: true }), {
      ...turnDocument,
      reasoning: [...reasoning],
      out: "/o",
      raw: "/r",
      deleted: true
    })
  })
})

describe("worktree", () => {
  const entry = { name: "alpha", branch: "opencode/alpha", directory: "/data/worktree/alpha", exists: true }

  it("create: name, branch, directory as a table; --json the same fields", () => {
    const created = { name: "alpha", branch: "opencode/alpha", directory: "/data/worktree/alpha" }
    assert.strictEqual(text(createdWorktreeView, created), "name       alpha\nbranch     opencode/alpha\ndirectory  /data/worktree/alpha")
    assert.deepStrictEqual(json(createdWorktreeView, created), created)
  })

  it("list: a table (a directory missing on disk says so); none: nothing printed and a note; --json with the project", () => {
    const listing = { project: "/work/p", worktrees: [entry, { ...entry, name: "b", branch: null, directory: "/data/worktree/b", exists: false }] }
    assert.strictEqual(
      text(worktreeListView, listing),
      [
        "NAME   BRANCH             DIRECTORY",
        "alpha  opencode/alpha     /data/worktree/alpha",
        "b      (missing on disk)  /data/worktree/b"
      ].join("\n")
    )
    assert.isUndefined(worktreeListView.note?.(listing))
    const none = { project: "/work/p", worktrees: [] }
    assert.isUndefined(text(worktreeListView, none))
    assert.strictEqual(worktreeListView.note?.(none), "ocm: the server lists no worktrees for the project of /work/p")
    assert.deepStrictEqual(json(worktreeListView, none), none)
  })

  it("remove: what was removed", () => {
    const removed = {
      name: "alpha",
      branch: "opencode/alpha",
      directory: "/data/worktree/alpha",
      removed: true as const,
      discarded: { modified: [], untracked: [], commits: [] },
      sessions: []
    }
    assert.strictEqual(text(removedWorktreeView, removed), "removed alpha (branch opencode/alpha deleted): /data/worktree/alpha")
    assert.deepStrictEqual(json(removedWorktreeView, removed), removed)
  })

  it("run: the reply with --wait, else the session id; --json: the turn and the worktree", () => {
    const worktree = { name: "alpha", branch: "opencode/alpha", created: true }
    assert.strictEqual(text(worktreeTurnView, { ...prompted, worktree }), "HELLO")
    assert.strictEqual(text(worktreeTurnView, { ...recordedOnly("sent"), worktree }), session.id)
    assert.deepStrictEqual(json(worktreeTurnView, { ...prompted, worktree }), {
      ...turnDocument,
      worktree: "alpha",
      branch: "opencode/alpha",
      worktreeCreated: true
    })
  })
})

describe("demo", () => {
  const steps: ReadonlyArray<DemoStep> = [
    { _tag: "Witness", step: "sandbox", proved: "opencode 1.18.33" },
    { _tag: "Witness", step: "chat --system --no-reply", proved: "queued" }
  ]
  const all: ReadonlyArray<DemoStep> = [...steps, { _tag: "Passed", witnesses: steps.filter((step) => step._tag === "Witness") }]

  it.effect("a line per witness as it is proved, then the verdict", () =>
    Effect.gen(function* () {
      const { captured } = yield* capturingConsole(presentSteps(demoView, { json: false })(Stream.fromIterable(all)))
      assert.deepStrictEqual(captured.stdout, [
        `✓ ${"sandbox".padEnd(26)} opencode 1.18.33`,
        `✓ ${"chat --system --no-reply".padEnd(26)} queued`,
        "demo passed: 2 witnesses"
      ])
    }))

  it.effect("--json: one document at the end, with every witness", () =>
    Effect.gen(function* () {
      const { captured } = yield* capturingConsole(presentSteps(demoView, { json: true })(Stream.fromIterable(all)))
      assert.lengthOf(captured.stdout, 1)
      assert.deepStrictEqual(JSON.parse(captured.stdout[0]!), {
        passed: true,
        witnesses: [
          { step: "sandbox", proved: "opencode 1.18.33" },
          { step: "chat --system --no-reply", proved: "queued" }
        ]
      })
    }))
})

describe("transcript", () => {
  const document = toDocument({ session, messages })

  it("Markdown, or the document with --json: the golden renderings", () => {
    assert.strictEqual(`${text(transcriptView, { document, written: {} })}\n`, fixture("transcripts/multiturn.golden.md"))
    assert.strictEqual(`${render(transcriptView, { json: true }, { document, written: {} })}\n`, fixture("transcripts/multiturn.golden.json"))
  })

  it("with --output, only the path of the file, as it is (also with --json: the document is in the file)", () => {
    const written = { document, written: { output: "/work/t.json" } }
    assert.strictEqual(text(transcriptView, written), "/work/t.json")
    assert.strictEqual(render(transcriptView, { json: true }, written), "/work/t.json")
  })
})
