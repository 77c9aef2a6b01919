import { assert, describe, it } from "@effect/vitest"
import type { MessageWithParts, Session, SessionStatus } from "../src/domain/Domain.js"
import {
  abandonedReplies,
  blockedHint,
  blockedJson,
  blockedLabel,
  isSettled,
  latestFacts,
  type PendingPermission,
  type TreeState,
  treeStatusLabel
} from "../src/engine/WaitEngine.js"
import { messageBuilders } from "./support/messages.js"

const { user, assistant } = messageBuilders("ses_wait")

/** An assistant message still being written: created, not completed, no error. */
const streaming = (id: string, parentID: string): MessageWithParts => {
  const message = assistant(id, parentID)
  if (message.info.role !== "assistant") throw new Error("unreachable")
  return { ...message, info: { ...message.info, time: { created: message.info.time.created } } }
}

const session = { id: "ses_wait", directory: "/p", title: "t", time: { created: 1, updated: 1 } } as Session
const state = (status: SessionStatus, messages: ReadonlyArray<MessageWithParts>, busyChildren = 0): TreeState => ({
  session,
  status,
  descendants: [],
  blocked: [],
  busyDescendants: Array.from({ length: busyChildren }, (_, i) => ({
    session: { ...session, id: `ses_child${i}` },
    status: { type: "busy" as const }
  })),
  ...latestFacts(messages)
})

describe("latestFacts", () => {
  it("answered: the newest user message has a finished or failed reply", () => {
    assert.isTrue(latestFacts([user("msg_1"), assistant("msg_2", "msg_1")]).latestPromptAnswered)
    assert.isTrue(latestFacts([user("msg_1"), assistant("msg_2", "msg_1", { error: "MessageAbortedError" })]).latestPromptAnswered)
    assert.isFalse(latestFacts([user("msg_1"), assistant("msg_2", "msg_1"), user("msg_3")]).latestPromptAnswered)
    assert.isFalse(latestFacts([user("msg_1"), streaming("msg_2", "msg_1")]).latestPromptAnswered)
    assert.isFalse(latestFacts([]).latestPromptAnswered)
  })
  it("replyUnfinished: the newest assistant message is still being written", () => {
    assert.isTrue(latestFacts([user("msg_1"), streaming("msg_2", "msg_1")]).replyUnfinished)
    assert.isFalse(latestFacts([user("msg_1"), assistant("msg_2", "msg_1")]).replyUnfinished)
    assert.isFalse(latestFacts([user("msg_1")]).replyUnfinished)
  })
})

describe("isSettled", () => {
  const answered = [user("msg_1"), assistant("msg_2", "msg_1")]
  const unanswered = [...answered, user("msg_3")]
  const plain = { requireBusy: false, sawBusy: false }
  it("needs the whole tree idle and no reply being written", () => {
    assert.isTrue(isSettled(state({ type: "idle" }, answered), plain))
    assert.isFalse(isSettled(state({ type: "busy" }, answered), plain))
    assert.isFalse(isSettled(state({ type: "retry", attempt: 1, message: "x" }, answered), plain))
    assert.isFalse(isSettled(state({ type: "idle" }, answered, 1), plain), "a busy sub-agent means waiting")
    assert.isFalse(isSettled(state({ type: "idle" }, [user("msg_1"), streaming("msg_2", "msg_1")]), plain))
    // a reply the server abandoned (idle, unchanged on a second look) is all there will be
    const abandoned = { ...state({ type: "idle" }, [user("msg_1"), streaming("msg_2", "msg_1")]), replyAbandoned: true, latestPromptAnswered: true }
    assert.isTrue(isSettled(abandoned, plain))
    assert.isTrue(isSettled(abandoned, { requireBusy: true, sawBusy: false }))
    assert.isFalse(isSettled({ ...abandoned, status: { type: "busy" } }, plain))
  })
  it("with requireBusy: busy seen during the wait, or the newest prompt already answered", () => {
    assert.isTrue(isSettled(state({ type: "idle" }, answered), { requireBusy: true, sawBusy: false }))
    assert.isFalse(isSettled(state({ type: "idle" }, unanswered), { requireBusy: true, sawBusy: false }))
    assert.isTrue(isSettled(state({ type: "idle" }, unanswered), { requireBusy: true, sawBusy: true }))
    assert.isTrue(isSettled(state({ type: "idle" }, unanswered), plain), "without it, idle is idle")
  })
})

describe("abandonedReplies", () => {
  const unfinished = state({ type: "idle" }, [user("msg_1"), streaming("msg_2", "msg_1")])

  it("marks an idle tree's unfinished reply abandoned once it has stayed the same for 1.5 s", () => {
    const judge = abandonedReplies()
    assert.isFalse(judge(unfinished, 1_000).replyAbandoned, "first seen")
    assert.isFalse(judge(unfinished, 2_400).replyAbandoned, "not long enough")
    const later = judge(unfinished, 2_500)
    assert.isTrue(later.replyAbandoned)
    assert.isTrue(later.latestPromptAnswered)
  })

  it("starts again when the reply changes, the tree is busy, or the reply finishes", () => {
    const judge = abandonedReplies()
    judge(unfinished, 0)
    const grown = { ...unfinished, latestAssistant: { ...unfinished.latestAssistant!, parts: [...unfinished.latestAssistant!.parts, unfinished.latestAssistant!.parts[0]!] } }
    assert.isFalse(judge(grown, 2_000).replyAbandoned, "a part was added: seen anew")
    assert.isFalse(judge({ ...grown, status: { type: "busy" } }, 4_000).replyAbandoned)
    assert.isFalse(judge(grown, 4_100).replyAbandoned, "seen anew after busy")
    const done = state({ type: "idle" }, [user("msg_1"), assistant("msg_2", "msg_1")])
    assert.isFalse(judge(done, 9_000).replyAbandoned)
    assert.isFalse(judge(unfinished, 9_100).replyAbandoned)
  })
})

describe("blocked on a permission request", () => {
  const request = (id: string, sessionID: string, permission: string, patterns: Array<string>): PendingPermission => ({
    request: { id, sessionID, permission, patterns },
    directory: "/p"
  })
  const own = request("per_1", session.id, "bash", ["printf hi"])
  const below = request("per_2", "ses_child0", "edit", ["src/a.ts"])
  const busy = state({ type: "busy" }, [])

  it("labels the session's own request, and a sub-agent's request with the session that asked", () => {
    assert.isUndefined(blockedLabel(session, []))
    assert.strictEqual(treeStatusLabel(busy), "busy")
    assert.strictEqual(treeStatusLabel({ ...busy, blocked: [own] }), "blocked on permission (bash: printf hi)")
    assert.strictEqual(
      treeStatusLabel({ ...busy, blocked: [below] }),
      "blocked on permission (edit: src/a.ts) in sub-agent session ses_child0"
    )
    assert.strictEqual(
      blockedLabel(session, [own, below, request("per_3", session.id, "bash", ["ls"])]),
      "blocked on permission (bash: printf hi; bash: ls); blocked on permission (edit: src/a.ts) in sub-agent session ses_child0"
    )
  })

  it("--json carries the first request; a timed-out wait names what it was blocked on and how to answer", () => {
    assert.isNull(blockedJson([]))
    assert.deepStrictEqual(blockedJson([below, own]), {
      permissionID: "per_2",
      permission: "edit",
      patterns: ["src/a.ts"],
      sessionID: "ses_child0",
      directory: "/p"
    })
    assert.strictEqual(blockedHint([busy]), "")
    assert.strictEqual(
      blockedHint([{ ...busy, blocked: [own] }]),
      "ses_wait was blocked on permission (bash: printf hi) (see `ocm permissions ses_wait`, answer with `ocm respond ses_wait`)"
    )
  })
})
