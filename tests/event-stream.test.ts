/** Decoding `GET /global/event` (SSE) on a stream recorded from the sandbox during a warm turn. */
import { assert, describe, it } from "@effect/vitest"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import { readFileSync } from "node:fs"
import { decodeEventStream } from "../layers/OpenCodeClientLive.js"
import type { OpenCodeEvent } from "../src/domain/Domain.js"

const recorded = readFileSync(new URL("../fixtures/events/warm-turn.sse", import.meta.url), "utf8")
const dataLines = recorded.split("\n").filter((line) => line.startsWith("data: "))
const encoder = new TextEncoder()

const decode = (chunks: ReadonlyArray<Uint8Array>) =>
  decodeEventStream(Stream.fromIterable(chunks)).pipe(Stream.runCollect, Effect.map(Chunk.toReadonlyArray))

const inPieces = (text: string, size: number) => {
  const bytes = encoder.encode(text)
  const pieces: Array<Uint8Array> = []
  for (let i = 0; i < bytes.length; i += size) pieces.push(bytes.slice(i, i + size))
  return pieces
}

const summary = (events: ReadonlyArray<OpenCodeEvent>) =>
  events.map((event) => (event.payload.type === "other" ? `other:${event.payload.name}` : event.payload.type))

describe("decodeEventStream", () => {
  it.effect("decodes every event of a recorded turn, unwrapping directories and keeping unknown types as other", () =>
    Effect.gen(function* () {
      const events = yield* decode([encoder.encode(recorded)])
      assert.strictEqual(events.length, dataLines.length)
      assert.strictEqual(events[0]!.payload.type, "server.connected")
      assert.strictEqual(events[0]!.directory, "global")
      const idle = events.find((event) => event.payload.type === "session.idle")
      assert.isDefined(idle)
      assert.strictEqual(idle!.directory, "/sandbox/project")
      const names = summary(events)
      assert.include(names, "session.status")
      assert.include(names, "message.updated")
      assert.include(names, "message.part.delta")
      assert.isTrue(names.some((name) => name.startsWith("other:")), "event types ocm does not model are kept")
    }))

  it.effect("gives the same events however the bytes are split (mid-line, mid-character)", () =>
    Effect.gen(function* () {
      const whole = summary(yield* decode([encoder.encode(recorded)]))
      for (const size of [1, 7, 64, 1000]) {
        assert.deepStrictEqual(summary(yield* decode(inPieces(recorded, size))), whole, `pieces of ${size} bytes`)
      }
      const accented = 'data: {"payload":{"type":"session.idle","properties":{"sessionID":"ses_é"}}}\n\n'
      const [event] = yield* decode(inPieces(accented, 3))
      assert.strictEqual(event?.payload.type === "session.idle" ? event.payload.properties.sessionID : undefined, "ses_é")
    }))

  // it.effect runs on the TestClock: if a `retry:` field made the decoder sleep, this test would never finish
  it.effect("ignores retry fields and skips what it cannot read without ending the stream", () =>
    Effect.gen(function* () {
      const text = [
        "retry: 1000",
        "",
        'data: {"payload":{"type":"session.idle","properties":{"sessionID":"ses_a"}}}',
        "",
        "data: {not json",
        "",
        'data: {"payload":{"type":"session.idle","properties":{}}}',
        "",
        ": a comment line",
        "id: 42",
        'data: {"directory":"/d","payload":{"type":"brand.new.event","properties":{"x":1}}}',
        "",
        'data: {"payload":{"type":"session.idle","properties":{"sessionID":"ses_b"}}}',
        "",
        ""
      ].join("\n")
      const events = yield* decode([encoder.encode(text)])
      assert.deepStrictEqual(summary(events), ["session.idle", "other:session.idle", "other:brand.new.event", "session.idle"])
      assert.strictEqual(events[2]!.directory, "/d")
    }))
})
