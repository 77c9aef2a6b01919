/**
 * The Progress service (issue #8): programs tell it their notes; the CLI's backing writes them as lines and draws a
 * spinner only on a terminal, erasing it before each note and at the end; a library hears nothing unless it
 * subscribes.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as TestClock from "effect/TestClock"
import { makeSinkProgress } from "../layers/ProgressLive.js"
import * as ProgressLive from "../layers/ProgressLive.js"
import { type Note, note, Progress, waiting } from "../services/Progress.js"

const sink = (isTTY: boolean, colors = false) => {
  const written: Array<string> = []
  return { written, progress: makeSinkProgress({ write: (text) => void written.push(text), isTTY, colors }) }
}

describe("Progress", () => {
  it.effect("a program's notes are silent without a layer (the library default)", () =>
    Effect.gen(function* () {
      const progress = yield* Progress
      const heard: Array<Note> = []
      // the default backing says nothing and runs the wait as it is
      yield* progress.note({ kind: "progress", text: "ocm: turn done" })
      assert.strictEqual(yield* waiting("the turn")(Effect.succeed(7)), 7)
      yield* note("retry", "ocm: retried").pipe(Effect.provide(ProgressLive.subscribe((n) => Effect.sync(() => heard.push(n)))))
      assert.deepStrictEqual(heard, [{ kind: "retry", text: "ocm: retried" }])
    }))

  it.effect("off a terminal: notes are plain lines and waiting draws nothing", () =>
    Effect.gen(function* () {
      const { written, progress } = sink(false)
      yield* Effect.gen(function* () {
        yield* note("progress", "ocm: one")
        yield* waiting("the turn")(Effect.sleep("2 seconds")).pipe(Effect.fork, Effect.flatMap((fiber) =>
          TestClock.adjust("3 seconds").pipe(Effect.zipRight(fiber.await))))
        yield* note("kept", "ocm: two")
      }).pipe(Effect.provideService(Progress, progress))
      assert.deepStrictEqual(written, ["ocm: one\n", "ocm: two\n"])
    }))

  it.effect("on a terminal: a spinner after a short delay, erased before a note and when the wait ends", () =>
    Effect.gen(function* () {
      const { written, progress } = sink(true)
      yield* Effect.gen(function* () {
        const fiber = yield* waiting("the turn")(
          Effect.sleep("1 second").pipe(Effect.zipRight(note("retry", "ocm: retried")), Effect.zipRight(Effect.sleep("1 second")))
        ).pipe(Effect.fork)
        yield* TestClock.adjust("3 seconds")
        yield* fiber.await
      }).pipe(Effect.provideService(Progress, progress))
      const all = written.join("")
      assert.include(all, "the turn", "the spinner names what it waits for")
      assert.include(all, "\r\x1b[2Kocm: retried\n", "the spinner line is erased before the note")
      assert.isTrue(all.endsWith("\r\x1b[2K"), "the spinner is erased at the end")
      assert.notInclude(all, "\x1b[2m", "no colour when colour is not wanted (NO_COLOR)")
    }))

  it.effect("a fast wait shows no spinner at all", () =>
    Effect.gen(function* () {
      const { written, progress } = sink(true, true)
      yield* waiting("the turn")(Effect.void).pipe(Effect.provideService(Progress, progress))
      assert.deepStrictEqual(written, [])
    }))
})
