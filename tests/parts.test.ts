/**
 * The Part union on what the server really sends: every part of the recorded fixtures (sessions and a live event
 * stream from a real `opencode serve`) decodes to its own kind with its fields typed and everything else carried
 * through; a kind this version does not know still decodes, as `unknown`.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import { readFileSync } from "node:fs"
import { decodeEventStream } from "../layers/OpenCodeClientLive.js"
import { EventPayload, knownPartTypes, MessageWithParts, Part, writtenText } from "../src/domain/Domain.js"
import { renderMarkdown } from "../src/transcript/Markdown.js"
import { toDocument } from "../src/transcript/View.js"

const fixture = (path: string) => readFileSync(new URL(`../fixtures/${path}`, import.meta.url), "utf8")

type RawPart = { readonly type: string } & Record<string, unknown>
const exportedParts = (name: string): ReadonlyArray<RawPart> =>
  (JSON.parse(fixture(`transcripts/${name}`)) as { messages: ReadonlyArray<{ parts: ReadonlyArray<RawPart> }> }).messages.flatMap(
    (message) => message.parts
  )

const recordedParts = [
  ...exportedParts("multiturn.export.json"),
  ...exportedParts("parts.export.json"),
  ...fixture("events/warm-turn.sse")
    .split("\n")
    .filter((line) => line.startsWith("data: "))
    .map((line) => JSON.parse(line.slice(6)) as { payload: { type: string; properties?: { part?: RawPart } } })
    .flatMap(({ payload }) => (payload.type === "message.part.updated" && payload.properties?.part ? [payload.properties.part] : []))
]

const decodePart = Schema.decodeUnknownSync(Part)
const ids = { id: "prt_1", sessionID: "ses_1", messageID: "msg_1" }

describe("Part", () => {
  it("decodes every recorded part to its own kind, and carries every field it does not read through unchanged", () => {
    const kinds = new Set<string>()
    for (const raw of recordedParts) {
      const part = decodePart(raw)
      assert.strictEqual(part.type, raw.type, JSON.stringify(raw))
      assert.deepStrictEqual(part, raw, "so --json shows a part as the server sent it")
      kinds.add(part.type)
    }
    for (const kind of ["text", "reasoning", "tool", "step-start", "step-finish", "file", "patch", "agent", "subtask", "compaction"]) {
      assert.isTrue(kinds.has(kind), `the fixtures hold a ${kind} part`)
    }
  })

  it("types the fields of each kind", () => {
    const parts = [...exportedParts("multiturn.export.json"), ...exportedParts("parts.export.json")].map((raw) => decodePart(raw))
    const first = <T extends Part["type"]>(type: T) => {
      const found = parts.find((part): part is Extract<Part, { type: T }> => part.type === type)
      assert.isDefined(found, type)
      return found!
    }
    assert.strictEqual(first("reasoning").text, "The user wants a one-word greeting.")
    const tool = first("tool")
    assert.strictEqual(tool.tool, "bash")
    assert.strictEqual(tool.state.status, "completed")
    assert.strictEqual(tool.state.output, "hi\n")
    assert.isAbove(tool.state.time!.end! - tool.state.time!.start, 0)
    const failed = parts.find((part) => part.type === "tool" && part.state.status === "error")
    assert.strictEqual(failed?.type === "tool" ? failed.state.error : undefined, "File not found: /sandbox/project/missing.txt")
    const step = first("step-finish")
    assert.strictEqual(step.reason, "stop")
    assert.strictEqual(step.tokens.input + step.tokens.output, step.tokens.total)
    assert.strictEqual(step.tokens.cache.read, 0)
    assert.deepStrictEqual(first("patch").files, ["/sandbox/project/notes.txt"])
    const file = first("file")
    assert.deepStrictEqual([file.filename, file.mime], ["note.txt", "text/plain"])
    assert.isTrue(file.url.startsWith("data:text/plain;base64,"))
    assert.strictEqual(first("agent").name, "general")
    const subtask = first("subtask")
    assert.deepStrictEqual([subtask.agent, subtask.prompt], ["general", "Reply with ONLY CHILD."])
    assert.strictEqual(first("compaction").auto, false)
  })

  it("decodes the kinds no fixture holds from their documented shape (OpenCode 1.18.33 OpenAPI)", () => {
    const retry = decodePart({
      ...ids,
      type: "retry",
      attempt: 2,
      error: { name: "APIError", data: { message: "overloaded", isRetryable: true } },
      time: { created: 1 }
    })
    assert.isTrue(retry.type === "retry" && retry.attempt === 2 && retry.error?.name === "APIError")
    const snapshot = decodePart({ ...ids, type: "snapshot", snapshot: "abc123" })
    assert.isTrue(snapshot.type === "snapshot" && snapshot.snapshot === "abc123")
    assert.lengthOf(knownPartTypes, 12)
  })

  it("decodes a kind it does not know as `unknown`, keeping its kind and fields, and encodes it back as it came", () => {
    const raw = { ...ids, type: "hologram", beam: { colour: "blue" } }
    const part = decodePart(raw)
    assert.deepStrictEqual(part, { ...ids, type: "unknown", partType: "hologram", beam: { colour: "blue" } })
    assert.deepStrictEqual(Schema.encodeSync(Part)(part), raw)

    // a message that holds one reads as any other; the transcript shows the part as it came
    const message = Schema.decodeUnknownSync(MessageWithParts)({
      info: { id: "msg_1", sessionID: "ses_1", role: "assistant", time: { created: 0 }, parentID: "msg_0", providerID: "p", modelID: "m" },
      parts: [{ ...ids, type: "text", text: "shown" }, raw]
    })
    assert.strictEqual(writtenText(message.parts), "shown")
    const transcript = {
      session: { id: "ses_1", directory: "/w", title: "t", time: { created: 0, updated: 0 } },
      messages: [message]
    }
    const [turn] = toDocument(transcript).turns
    assert.deepStrictEqual(turn?.assistants[0]?.parts[1], { type: "other", partType: "hologram", fields: { beam: { colour: "blue" } } })
    assert.include(renderMarkdown(transcript), "**Part `hologram`**")
  })

  it("a known kind without a field ocm reads is an error, never taken for an unknown kind", () => {
    assert.isTrue(Either.isLeft(Schema.decodeUnknownEither(Part)({ ...ids, type: "text" })))
    assert.isTrue(Either.isLeft(Schema.decodeUnknownEither(Part)({ ...ids, type: "tool", tool: "bash", callID: "c" })))
    assert.isTrue(Either.isLeft(Schema.decodeUnknownEither(Part)({ ...ids, type: "step-finish", reason: "stop", cost: 0, tokens: {} })))
  })

  it.effect("an event about a part of a kind it does not know is still that event", () =>
    Effect.gen(function* () {
      const line = JSON.stringify({
        directory: "/w",
        payload: { type: "message.part.updated", properties: { part: { ...ids, type: "hologram" } } }
      })
      const [event] = yield* decodeEventStream(Stream.make(new TextEncoder().encode(`data: ${line}\n\n`))).pipe(
        Stream.runCollect,
        Effect.map(Chunk.toReadonlyArray)
      )
      const payload = event?.payload
      assert.strictEqual(payload?.type, "message.part.updated")
      if (payload?.type === "message.part.updated") assert.strictEqual(payload.properties.part.type, "unknown")
      assert.isTrue(Schema.is(EventPayload)(payload))
    })
  )
})
