import { assert, describe, it } from "@effect/vitest"
import type { MessageWithParts, Part } from "../src/Domain.js"
import { assistantCount, queuedSystemPrompts, repliesTo, replyText } from "../src/TurnEngine.js"

const SESSION = "ses_turns"
let clock = 1_700_000_000_000

const part = (messageID: string, index: number, fields: Record<string, unknown>): Part => ({
  id: `prt_${messageID}_${index}`,
  sessionID: SESSION,
  messageID,
  type: "text",
  ...fields
})

const user = (
  id: string,
  options: { readonly system?: string; readonly text?: string | null } = {}
): MessageWithParts => {
  const text = options.text === undefined ? `prompt ${id}` : options.text
  return {
    info: {
      id,
      sessionID: SESSION,
      role: "user",
      time: { created: clock++ },
      agent: "build",
      model: { providerID: "anthropic", modelID: "claude-sonnet-4" },
      ...(options.system === undefined ? {} : { system: options.system })
    },
    parts: text === null ? [] : [part(id, 0, { type: "text", text })]
  }
}

const assistant = (
  id: string,
  parentID: string,
  parts: ReadonlyArray<Record<string, unknown>> = [{ type: "text", text: `reply to ${parentID}` }]
): MessageWithParts => {
  const created = clock++
  return {
    info: {
      id,
      sessionID: SESSION,
      role: "assistant",
      time: { created, completed: created + 1 },
      parentID,
      providerID: "anthropic",
      modelID: "claude-sonnet-4"
    },
    parts: parts.map((fields, index) => part(id, index, fields))
  }
}

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
    const message = assistant("msg_2", "msg_1", [
      { type: "text", text: "Hello, " },
      { type: "text", text: "world." }
    ])
    assert.strictEqual(replyText(message), "Hello, world.")
  })

  it("skips synthetic text and non-text parts", () => {
    const message = assistant("msg_2", "msg_1", [
      { type: "step-start" },
      { type: "reasoning", text: "thinking hard" },
      { type: "text", text: "A" },
      { type: "tool", tool: "bash", state: { status: "completed", output: "tool output" } },
      { type: "text", text: "injected", synthetic: true },
      { type: "text", text: "B" },
      { type: "step-finish", reason: "stop" }
    ])
    assert.strictEqual(replyText(message), "AB")
  })

  it("keeps text parts explicitly marked not synthetic", () => {
    const message = assistant("msg_2", "msg_1", [{ type: "text", text: "kept", synthetic: false }])
    assert.strictEqual(replyText(message), "kept")
  })

  it("is empty for a message with only tool parts", () => {
    const message = assistant("msg_2", "msg_1", [{ type: "tool", tool: "read", text: "not a reply" }])
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
