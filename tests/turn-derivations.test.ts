import { assert, describe, it } from "@effect/vitest"
import { assistantCount, queuedSystemPrompts, repliesTo, replyText } from "../src/engine/TurnEngine.js"
import { messageBuilders, type UserOptions } from "./support/messages.js"

const messages = messageBuilders("ses_turns")
const { assistant } = messages

/** Every user message in these tests was sent as agent `build` with anthropic/claude-sonnet-4. */
const user = (id: string, options: Pick<UserOptions, "system" | "text"> = {}) =>
  messages.user(id, { agent: "build", model: "anthropic/claude-sonnet-4", ...options })

describe("queuedSystemPrompts", () => {
  it("is empty for an empty session", () => {
    assert.deepStrictEqual(queuedSystemPrompts([]), [])
  })

  it("returns the system of every queued user message, in order", () => {
    const messages = [
      user("msg_1"),
      assistant("msg_2", "msg_1"),
      user("msg_3", { system: "A", text: null }),
      user("msg_4", { system: "B", text: null })
    ]
    assert.deepStrictEqual(queuedSystemPrompts(messages), ["A", "B"])
  })

  it("counts queued prompts in a session that never had a turn", () => {
    assert.deepStrictEqual(queuedSystemPrompts([user("msg_1", { system: "A" }), user("msg_2", { system: "B" })]), [
      "A",
      "B"
    ])
  })

  it("is empty once a turn has answered the queued prompts", () => {
    const messages = [
      user("msg_1", { system: "A", text: null }),
      user("msg_2", { system: "B", text: null }),
      user("msg_3", { system: "C" }),
      assistant("msg_4", "msg_3")
    ]
    assert.deepStrictEqual(queuedSystemPrompts(messages), [])
  })

  it("skips user messages without a system or with a blank one", () => {
    const messages = [
      assistant("msg_1", "msg_0"),
      user("msg_2", { system: "A" }),
      user("msg_3"),
      user("msg_4", { system: "  \n\t" }),
      user("msg_5", { system: "" }),
      user("msg_6", { system: "B" })
    ]
    assert.deepStrictEqual(queuedSystemPrompts(messages), ["A", "B"])
  })

  it("never counts user messages before the last assistant message", () => {
    const messages = [
      user("msg_1", { system: "old-queued" }),
      user("msg_2", { system: "old" }),
      assistant("msg_3", "msg_2"),
      user("msg_4", { system: "new" })
    ]
    assert.deepStrictEqual(queuedSystemPrompts(messages), ["new"])
  })

  it("keeps the system text exactly as recorded", () => {
    const messages = [user("msg_1", { system: "  line one\nline two  " })]
    assert.deepStrictEqual(queuedSystemPrompts(messages), ["  line one\nline two  "])
  })
})

describe("repliesTo", () => {
  it("returns exactly the assistant messages parented to the user message, in order", () => {
    const messages = [
      user("msg_1"),
      assistant("msg_2", "msg_1"),
      user("msg_3"),
      assistant("msg_4", "msg_3"),
      assistant("msg_5", "msg_3"),
      assistant("msg_6", "msg_1")
    ]
    assert.deepStrictEqual(
      repliesTo(messages, "msg_3").map((message) => message.info.id),
      ["msg_4", "msg_5"]
    )
    assert.deepStrictEqual(
      repliesTo(messages, "msg_1").map((message) => message.info.id),
      ["msg_2", "msg_6"]
    )
    assert.deepStrictEqual(repliesTo(messages, "msg_missing"), [])
  })

  it("never returns the user message itself", () => {
    const messages = [user("msg_1"), user("msg_2")]
    assert.deepStrictEqual(repliesTo(messages, "msg_1"), [])
  })
})

describe("replyText", () => {
  it("is empty for no message", () => {
    assert.strictEqual(replyText(undefined), "")
  })

  it("joins the text parts of the message", () => {
    const message = assistant("msg_2", "msg_1", {
      parts: [
        { type: "text", text: "Hello, " },
        { type: "text", text: "world." }
      ]
    })
    assert.strictEqual(replyText(message), "Hello, world.")
  })

  it("skips synthetic text and non-text parts", () => {
    const message = assistant("msg_2", "msg_1", {
      parts: [
        { type: "step-start" },
        { type: "reasoning", text: "thinking hard" },
        { type: "text", text: "A" },
        { type: "tool", tool: "bash", callID: "call_1", state: { status: "completed", output: "tool output" } },
        { type: "text", text: "injected", synthetic: true },
        { type: "text", text: "B" },
        { type: "step-finish", reason: "stop", cost: 0, tokens: { input: 1, output: 1, reasoning: 0, cache: { read: 0, write: 0 } } }
      ]
    })
    assert.strictEqual(replyText(message), "AB")
  })

  it("keeps text parts explicitly marked not synthetic", () => {
    const message = assistant("msg_2", "msg_1", { parts: [{ type: "text", text: "kept", synthetic: false }] })
    assert.strictEqual(replyText(message), "kept")
  })

  it("is empty for a message with only tool parts", () => {
    const message = assistant("msg_2", "msg_1", { parts: [{ type: "tool", tool: "read", callID: "call_1", state: { status: "completed" }, text: "not a reply" }] })
    assert.strictEqual(replyText(message), "")
  })
})

describe("assistantCount", () => {
  it("counts assistant messages only", () => {
    assert.strictEqual(assistantCount([]), 0)
    assert.strictEqual(assistantCount([user("msg_1"), user("msg_2")]), 0)
    assert.strictEqual(
      assistantCount([
        user("msg_1"),
        assistant("msg_2", "msg_1"),
        assistant("msg_3", "msg_1"),
        user("msg_4"),
        assistant("msg_5", "msg_4")
      ]),
      3
    )
  })
})
