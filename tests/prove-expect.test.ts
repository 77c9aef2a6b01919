/**
 * The expectations of `ocm prove`, judged on fixtures: a recorded session (fixtures/transcripts/multiturn), a model
 * record, files and events. Each kind is shown holding and failing, with expected against actual.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Schema from "effect/Schema"
import { MessageWithParts } from "../src/domain/Domain.js"
import {
  eventChecks,
  fileChecks,
  jsonChecks,
  modelChecks,
  outcomeCheck,
  sessionChecks,
  textChecks,
  type CheckResult,
  type ModelRequestFacts,
  type SessionFacts
} from "../src/prove/Expect.js"
import recorded from "../fixtures/transcripts/multiturn.export.json" with { type: "json" }

const messages = Schema.decodeUnknownSync(Schema.Array(MessageWithParts))(recorded.messages)
const session: SessionFacts = {
  id: "ses_fixture",
  messages,
  todo: [
    { content: "write the tests", status: "completed" },
    { content: "land it", status: "pending" }
  ],
  diff: "--- a/notes.txt\n+++ b/notes.txt\n@@ -0,0 +1 @@\n+first note\n",
  status: { type: "idle", blocked: [] }
}

const verdicts = (results: ReadonlyArray<CheckResult>) => results.map((result) => result.ok)
const failing = (results: ReadonlyArray<CheckResult>) => results.filter((result) => !result.ok)

describe("text checks", () => {
  it("a plain string is equals; contains, excludes and matches each judge", () => {
    assert.deepStrictEqual(verdicts(textChecks("reply", "READY", "READY")), [true])
    assert.deepStrictEqual(textChecks("reply", "READY", "NOT READY"), [
      { check: "reply equals", ok: false, expected: '"READY"', actual: '"NOT READY"' }
    ])
    assert.deepStrictEqual(
      verdicts(textChecks("reply", { contains: ["a", "z"], excludes: "q", matches: "^ab+c$" }, "abbc")),
      [true, false, true, true]
    )
    // no text at all is not an empty text that happens to exclude things
    assert.deepStrictEqual(textChecks("reply", { contains: "" }, undefined), [
      { check: "reply contains", ok: false, expected: '""', actual: "nothing" }
    ])
  })
})

describe("outcome", () => {
  it("defaults to ok; takes failed, a tag or an exit code", () => {
    const ok = { code: 0 }
    const timeout = { code: 124, tag: "WaitTimeout", message: "timed out after 2s waiting for the turn" }
    assert.isTrue(outcomeCheck(undefined, ok).ok)
    assert.deepStrictEqual(outcomeCheck(undefined, timeout), {
      check: "outcome",
      ok: false,
      expected: "ok",
      actual: "exit 124 (WaitTimeout): timed out after 2s waiting for the turn"
    })
    assert.isTrue(outcomeCheck("WaitTimeout", timeout).ok)
    assert.isTrue(outcomeCheck(124, timeout).ok)
    assert.isTrue(outcomeCheck("failed", timeout).ok)
    assert.isFalse(outcomeCheck("failed", ok).ok)
    assert.isFalse(outcomeCheck("SessionNotFound", timeout).ok)
    assert.isFalse(outcomeCheck(5, timeout).ok)
  })
})

describe("the step's document", () => {
  it("compares values at paths", () => {
    const document = { sessionID: "ses_1", proof: { identity: { agent: "proof" }, assistantTurnsAfter: 2 } }
    assert.deepStrictEqual(verdicts(jsonChecks({ "proof.identity.agent": "proof", "proof.assistantTurnsAfter": 2 }, document)), [true, true])
    assert.deepStrictEqual(jsonChecks({ "proof.identity": { agent: "build" } }, document), [
      { check: "json proof.identity", ok: false, expected: '{"agent":"build"}', actual: '{"agent":"proof"}' }
    ])
  })
})

describe("session state", () => {
  it("messages by role, and the last user message's text, system, agent and model", () => {
    assert.deepStrictEqual(
      verdicts(
        sessionChecks(
          {
            messages: { user: 4, assistant: { atLeast: 5, atMost: 6 }, total: 10 },
            lastUser: { text: "Reply with ONLY SECOND.", system: { contains: "terse" }, agent: "proof", model: "scripted/scripted" },
            lastReply: "SECOND"
          },
          session
        )
      ),
      [true, true, true, true, true, true, true, true]
    )
    const wrong = failing(sessionChecks({ messages: { user: 3 }, lastUser: { agent: "build", model: "other/model" } }, session))
    assert.deepStrictEqual(wrong, [
      { check: "session ses_fixture user messages", ok: false, expected: "3", actual: "4" },
      { check: "session ses_fixture last user agent", ok: false, expected: '"build"', actual: '"proof"' },
      { check: "session ses_fixture last user model", ok: false, expected: '"other/model"', actual: '"scripted/scripted"' }
    ])
  })

  it("tool parts by name, status, input and output, counted", () => {
    const holding = sessionChecks(
      {
        tools: [
          { name: "bash", status: "completed", input: { command: "echo hi" }, output: { contains: "hi" } },
          { name: "write", input: { content: "first note\n" } },
          { name: "read", status: "error" },
          { name: "bash", count: 1 },
          { name: "edit", count: 0 }
        ]
      },
      session
    )
    assert.deepStrictEqual(verdicts(holding), [true, true, true, true, true])
    const [missing] = failing(sessionChecks({ tools: [{ name: "bash", input: { command: "echo bye" } }] }, session))
    assert.strictEqual(missing!.check, 'session ses_fixture tool bash {"command":"echo bye"}')
    assert.strictEqual(missing!.expected, "at least 1")
    // the actual side lists the tool parts there are
    assert.match(missing!.actual, /^0 of 3: bash completed \{"command":"echo hi".*→ "hi\\n"; write completed/)
  })

  it("todo, diff and status (blocked on a permission included)", () => {
    assert.deepStrictEqual(
      verdicts(
        sessionChecks(
          {
            todo: { count: 2, items: [{ content: { contains: "tests" }, status: "completed" }] },
            diff: { contains: "+first note" },
            status: "idle"
          },
          session
        )
      ),
      [true, true, true, true]
    )
    const blocked: SessionFacts = { ...session, status: { type: "busy", blocked: [{ permission: "bash", patterns: ["printf hi"] }] } }
    assert.deepStrictEqual(
      verdicts(sessionChecks({ status: "blocked" }, blocked)).concat(
        verdicts(sessionChecks({ status: { blocked: { permission: "bash", pattern: { contains: "printf" } } } }, blocked))
      ),
      [true, true]
    )
    assert.deepStrictEqual(failing(sessionChecks({ status: "busy" }, blocked)), [
      { check: "session ses_fixture status", ok: false, expected: "busy", actual: "blocked on permission (bash: printf hi)" }
    ])
    assert.deepStrictEqual(failing(sessionChecks({ todo: { items: [{ content: "ship", status: "pending" }] } }, session)), [
      {
        check: "session ses_fixture todo item",
        ok: false,
        expected: '[pending] "ship"',
        actual: "[completed] write the tests; [pending] land it"
      }
    ])
  })
})

describe("the model's record", () => {
  const request = (fields: Partial<ModelRequestFacts>): ModelRequestFacts => ({
    kind: "chat",
    system: "",
    toolNames: [],
    lastUserText: "",
    ...fields
  })

  it("chat requests of the step: how many, the last one's system, tools, user text and rule", () => {
    const requests = [
      request({ kind: "title", system: "You are a title generator" }),
      request({ system: "first", toolNames: ["bash"] }),
      request({ system: "base\n\nremember this", toolNames: ["bash", "read"], lastUserText: "Reply with ONLY CARRIED.", rule: "carried" })
    ]
    assert.deepStrictEqual(
      verdicts(
        modelChecks(
          {
            requests: 2,
            system: { contains: "remember this", excludes: "title generator" },
            tools: { include: ["read"], exclude: ["edit"] },
            lastUserText: { contains: "CARRIED" },
            rule: "carried"
          },
          requests
        )
      ),
      [true, true, true, true, true, true, true]
    )
    assert.deepStrictEqual(failing(modelChecks({ requests: 0, tools: { exclude: ["bash"] } }, requests)), [
      { check: "model chat requests", ok: false, expected: "0", actual: "2" },
      { check: "model tools exclude", ok: false, expected: 'no "bash"', actual: '["bash","read"]' }
    ])
  })

  it("a check of the last request fails when the step made none", () => {
    assert.deepStrictEqual(modelChecks({ system: { contains: "x" } }, [request({ kind: "title" })]), [
      { check: "model system", ok: false, expected: '{"contains":"x"}', actual: "no chat request during the step" }
    ])
  })
})

describe("files and events", () => {
  it("exists, absent, contains", () => {
    const files = { "notes.txt": "first note\n", "gone.txt": undefined }
    assert.deepStrictEqual(
      verdicts(
        fileChecks(
          [
            { path: "notes.txt", exists: true, contains: "first" },
            { path: "gone.txt", absent: true }
          ],
          files
        )
      ),
      [true, true, true]
    )
    assert.deepStrictEqual(failing(fileChecks([{ path: "gone.txt", exists: true }, { path: "notes.txt", equals: "x" }], files)), [
      { check: "file gone.txt exists", ok: false, expected: "exists", actual: "absent" },
      { check: "file notes.txt equals", ok: false, expected: '"x"', actual: '"first note\\n"' }
    ])
  })

  it("event types seen, and not seen", () => {
    const types = ["session.status", "message.updated", "session.idle", "my.plugin.event", "session.idle"]
    assert.deepStrictEqual(verdicts(eventChecks({ seen: ["session.idle", "my.plugin.event"], notSeen: ["session.error"] }, types)), [
      true,
      true,
      true
    ])
    assert.deepStrictEqual(failing(eventChecks({ seen: ["permission.asked"] }, types)), [
      {
        check: "event permission.asked seen",
        ok: false,
        expected: "permission.asked",
        actual: "session.status, message.updated, session.idle, my.plugin.event"
      }
    ])
  })
})
