/**
 * The views of create, messages and last on the recorded multi-turn session (fixtures/transcripts): a header per
 * message, `--text-only`, `--verbose` with reasoning and tool steps, the reply `last` prints, and the --json forms.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Schema from "effect/Schema"
import { readFileSync } from "node:fs"
import { MessageWithParts, Session } from "../src/domain/Domain.js"
import { render, type View } from "../src/present/Presenter.js"
import { createdSessionView, lastMessageView, messagesView } from "../src/present/session.js"
import { repoRoot } from "./support/cli.js"

const exported = JSON.parse(readFileSync(`${repoRoot}fixtures/transcripts/multiturn.export.json`, "utf8"))
const session = Schema.decodeUnknownSync(Session)(exported.info)
const messages = Schema.decodeUnknownSync(Schema.Array(MessageWithParts))(exported.messages)

const text = <A>(view: View<A>, result: A) => render(view, { json: false }, result)
const json = <A>(view: View<A>, result: A) => JSON.parse(render(view, { json: true }, result)!)
const textOf = (index: number) => String(messages[index]!.parts[0]!["text"])
const at = (index: number) => new Date(messages[index]!.info.time.created).toISOString()

describe("create", () => {
  const created = {
    session,
    defaults: { agent: "proof", model: { providerID: "scripted", modelID: "scripted" }, variant: undefined, file: "/state/d.json" }
  }

  it("id, title and directory; --quiet only the id", () => {
    assert.strictEqual(text(createdSessionView({ quiet: false }), created), `${session.id}  ${session.title}  (/sandbox/project)`)
    assert.strictEqual(text(createdSessionView({ quiet: true }), created), session.id)
  })

  it("--json with the stored defaults and their file (null when none were given), --quiet or not", () => {
    const expected = {
      id: session.id,
      title: session.title,
      directory: "/sandbox/project",
      parentID: null,
      defaults: { agent: "proof", model: "scripted/scripted", variant: null, file: "/state/d.json" }
    }
    assert.deepStrictEqual(json(createdSessionView({ quiet: false }), created), expected)
    assert.deepStrictEqual(json(createdSessionView({ quiet: true }), created), expected)
    assert.deepStrictEqual(json(createdSessionView({ quiet: false }), { session, defaults: undefined }), { ...expected, defaults: null })
  })
})

describe("messages", () => {
  it("a header line per message, then its text; a message without text is only its header", () => {
    const shown = text(messagesView({ textOnly: false, verbose: false }), messages.slice(0, 4))!
    assert.strictEqual(
      shown,
      [
        `── ${messages[0]!.info.id}  user proof scripted/scripted  ${at(0)}\nSay hello. [[reason The user wants a one-word greeting.]] Reply with ONLY HELLO.`,
        `── ${messages[1]!.info.id}  assistant proof scripted/scripted finish=stop  ${at(1)}\nHELLO`,
        `── ${messages[2]!.info.id}  user build scripted/scripted  ${at(2)}\n${textOf(2)}`,
        `── ${messages[3]!.info.id}  assistant build scripted/scripted finish=tool-calls  ${at(3)}`
      ].join("\n\n")
    )
  })

  it("a system prompt shows under its user message", () => {
    assert.strictEqual(
      text(messagesView({ textOnly: false, verbose: false }), messages.slice(8, 9)),
      `── ${messages[8]!.info.id}  user proof scripted/scripted  ${at(8)}\n  [system] Stay terse: answer in one word.\nReply with ONLY SECOND.`
    )
  })

  it("--verbose adds reasoning and each tool step with its input and output (or first error line)", () => {
    const verbose = messagesView({ textOnly: false, verbose: true })
    assert.strictEqual(
      text(verbose, messages.slice(1, 2)),
      `── ${messages[1]!.info.id}  assistant proof scripted/scripted finish=stop  ${at(1)}\n  [reasoning] The user wants a one-word greeting.\nHELLO`
    )
    assert.strictEqual(
      text(verbose, messages.slice(3, 6)),
      [
        `── ${messages[3]!.info.id}  assistant build scripted/scripted finish=tool-calls  ${at(3)}\n  [tool bash completed] {"command":"echo hi","description":"say hi"}\n    hi`,
        `── ${messages[4]!.info.id}  assistant build scripted/scripted finish=tool-calls  ${at(4)}\n  [tool write completed] {"filePath":"/sandbox/project/notes.txt","content":"first note\\n"}\n    Wrote file successfully.`,
        `── ${messages[5]!.info.id}  assistant build scripted/scripted finish=tool-calls  ${at(5)}\n  [tool read error] {"filePath":"/sandbox/project/missing.txt"}: File not found: /sandbox/project/missing.txt`
      ].join("\n\n")
    )
  })

  it("--text-only: only the texts, messages without text left out", () => {
    assert.strictEqual(
      text(messagesView({ textOnly: true, verbose: false }), messages),
      [
        "Say hello. [[reason The user wants a one-word greeting.]] Reply with ONLY HELLO.",
        "HELLO",
        textOf(2),
        "DONE",
        "Reply with ONLY SECOND.",
        "SECOND"
      ].join("\n\n")
    )
  })

  it("--json: the messages as decoded", () => {
    const decoded = JSON.parse(JSON.stringify(messages.slice(0, 2)))
    assert.strictEqual(decoded[1].parts[1].text, "The user wants a one-word greeting.")
    assert.deepStrictEqual(json(messagesView({ textOnly: false, verbose: false }), messages.slice(0, 2)), decoded)
    assert.deepStrictEqual(json(messagesView({ textOnly: true, verbose: true }), []), [])
  })
})

describe("last", () => {
  it("the reply's text, a user message's text, or an empty line (null) when there is none", () => {
    assert.strictEqual(text(lastMessageView, { role: "assistant", message: messages[6] }), "DONE")
    assert.strictEqual(text(lastMessageView, { role: "user", message: messages[8] }), "Reply with ONLY SECOND.")
    assert.strictEqual(text(lastMessageView, { role: "assistant", message: undefined }), "")
    assert.isNull(json(lastMessageView, { role: "assistant", message: undefined }))
    assert.strictEqual(text(lastMessageView, { role: "assistant", message: messages[9] }), "SECOND")
    assert.deepStrictEqual(json(lastMessageView, { role: "assistant", message: messages[9] }), JSON.parse(JSON.stringify(messages[9])))
  })
})
