/**
 * The views of wait-for-idle, wait-any, wait-all, is-idle and wait-for-text: the text a person reads and the --json
 * document, from a recorded session (fixtures/transcripts) and small literal tree states.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Schema from "effect/Schema"
import { readFileSync } from "node:fs"
import { MessageWithParts, Session } from "../src/domain/Domain.js"
import { render, type View } from "../src/present/Presenter.js"
import { allWaitView, anyWaitView, idleCheckView, idleWaitView, textFoundView } from "../src/present/waits.js"
import { latestFacts, type TreeState } from "../src/engine/WaitEngine.js"
import { repoRoot } from "./support/cli.js"

const exported = JSON.parse(readFileSync(`${repoRoot}fixtures/transcripts/multiturn.export.json`, "utf8"))
const recorded = Schema.decodeUnknownSync(Session)(exported.info)
const messages = Schema.decodeUnknownSync(Schema.Array(MessageWithParts))(exported.messages)
const other: Session = { ...recorded, id: "ses_other000000000000000001", title: "another" }
const child: Session = { ...recorded, id: "ses_child000000000000000001", parentID: recorded.id, title: "a sub-agent" }

/** The recorded session settled: idle, its newest reply "SECOND". */
const settled: TreeState = { session: recorded, status: { type: "idle" }, descendants: [child], busyDescendants: [], blocked: [], ...latestFacts(messages) }
/** Busy below, blocked on a request of the sub-agent, with no reply yet. */
const waiting: TreeState = {
  session: other,
  status: { type: "idle" },
  descendants: [child],
  busyDescendants: [{ session: child, status: { type: "busy" } }],
  blocked: [{ request: { id: "per_1", sessionID: child.id, permission: "bash", patterns: ["printf hi"] }, directory: "/sandbox/project" }],
  ...latestFacts([])
}

const text = <A>(view: View<A>, result: A) => render(view, { json: false }, result)
const json = <A>(view: View<A>, result: A) => JSON.parse(render(view, { json: true }, result)!)

const settledJson = {
  sessionID: recorded.id,
  title: "transcript fixture: multi-turn",
  status: "idle",
  busySubAgents: [],
  blocked: null,
  latestReply: "SECOND",
  latestError: null,
  replyAbandoned: false
}

describe("wait-for-idle", () => {
  it("says the session is idle; --json is its state, idle and how long the wait took", () => {
    assert.strictEqual(text(idleWaitView, { state: settled, elapsedMs: 1234 }), `${recorded.id} idle`)
    assert.deepStrictEqual(json(idleWaitView, { state: settled, elapsedMs: 1234 }), { ...settledJson, idle: true, elapsedMs: 1234 })
  })
})

describe("wait-any and wait-all", () => {
  const result = { elapsedMs: 50, settled: [other, recorded], states: [waiting, settled] }
  it("wait-any: the first settled session's id; --json names it and every settled one", () => {
    assert.strictEqual(text(anyWaitView, result), other.id)
    assert.deepStrictEqual(json(anyWaitView, result), { first: other.id, settled: [other.id, recorded.id], elapsedMs: 50 })
  })
  it("wait-all: every id, one a line; --json is every session's state", () => {
    assert.strictEqual(text(allWaitView, result), `${other.id}\n${recorded.id}`)
    assert.deepStrictEqual(json(allWaitView, result), {
      sessions: [
        {
          sessionID: other.id,
          title: "another",
          status: "idle",
          busySubAgents: [child.id],
          blocked: { permissionID: "per_1", permission: "bash", patterns: ["printf hi"], sessionID: child.id, directory: "/sandbox/project" },
          latestReply: "",
          latestError: null,
          replyAbandoned: false
        },
        settledJson
      ],
      elapsedMs: 50
    })
  })
})

describe("is-idle", () => {
  it("idle or not idle; --json is the state and the answer", () => {
    assert.strictEqual(text(idleCheckView, { state: settled, idle: true }), "idle")
    assert.strictEqual(text(idleCheckView, { state: waiting, idle: false }), "not idle")
    assert.deepStrictEqual(json(idleCheckView, { state: settled, idle: true }), { ...settledJson, idle: true })
    assert.isFalse(json(idleCheckView, { state: waiting, idle: false }).idle)
  })
  it("an abandoned reply is said so in --json", () => {
    assert.isTrue(json(idleCheckView, { state: { ...settled, replyAbandoned: true }, idle: true }).replyAbandoned)
  })
})

describe("wait-for-text", () => {
  it("the whole text of the message that has it; --json adds the session and message ids", () => {
    const message = messages[messages.length - 1]!
    const found = { session: recorded, message, text: "SECOND" }
    assert.strictEqual(text(textFoundView, found), "SECOND")
    assert.deepStrictEqual(json(textFoundView, found), { sessionID: recorded.id, messageID: message.info.id, text: "SECOND" })
  })
})
