/**
 * Backings of the Progress service: the CLI's (notes on stderr, a spinner on a terminal while waiting), the
 * silent one a library gets by default, and a subscription for a library that wants the notes.
 */
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Schedule from "effect/Schedule"
import { type Note, Progress, type ProgressShape, silentProgress } from "../services/Progress.js"

/** Where the CLI's notes go: a text stream that may be a terminal. */
export interface NoteSink {
  readonly write: (text: string) => void
  /** A terminal: the spinner is drawn (and erased) in place. */
  readonly isTTY: boolean
  /** Colour is wanted (a terminal and NO_COLOR unset). */
  readonly colors: boolean
}

const FRAMES = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"]
/** A wait shorter than this shows no spinner at all (no flicker on fast commands). */
const SPINNER_DELAY_MS = 400
const FRAME_MS = 100
const CLEAR_LINE = "\r\x1b[2K"

/**
 * Notes as lines on `sink`; while a wait runs on a terminal, a spinner line under them (erased before each note
 * and when the wait ends, so nothing of it stays in the terminal's text).
 */
export const makeSinkProgress = (sink: NoteSink): ProgressShape => {
  const labels: Array<string> = []
  let drawn = false
  let frame = 0
  const erase = () => {
    if (drawn) sink.write(CLEAR_LINE)
    drawn = false
  }
  const draw = () => {
    const label = labels[labels.length - 1]
    if (label === undefined) return erase()
    const spinner = FRAMES[frame++ % FRAMES.length]!
    const text = `${spinner} ${label}`
    sink.write(`${CLEAR_LINE}${sink.colors ? `\x1b[2m${text}\x1b[22m` : text}`)
    drawn = true
  }
  return {
    note: (note: Note) =>
      Effect.sync(() => {
        erase()
        sink.write(`${note.text}\n`)
      }),
    waiting: (label, self) =>
      sink.isTTY
        ? Effect.acquireUseRelease(
            Effect.sync(() => labels.push(label)).pipe(
              Effect.zipRight(
                Effect.sync(draw).pipe(
                  Effect.repeat(Schedule.spaced(`${FRAME_MS} millis`)),
                  Effect.delay(`${SPINNER_DELAY_MS} millis`),
                  // acquisition is uninterruptible, and a fiber forked there would inherit that
                  Effect.interruptible,
                  Effect.forkDaemon
                )
              )
            ),
            () => self,
            (spinner) =>
              Fiber.interrupt(spinner).pipe(
                Effect.zipRight(
                  Effect.sync(() => {
                    labels.pop()
                    if (labels.length === 0) erase()
                  })
                )
              )
          )
        : self
  }
}

/** The CLI's Progress: stderr, a spinner when stderr is a terminal, colour unless NO_COLOR is set. */
export const stderr: Layer.Layer<Progress> = Layer.sync(Progress, () => {
  const isTTY = process.stderr.isTTY === true
  return makeSinkProgress({
    write: (text) => void process.stderr.write(text),
    isTTY,
    colors: isTTY && (process.env["NO_COLOR"] ?? "") === ""
  })
})

/** Says nothing (what a library gets without any layer, too). */
export const silent: Layer.Layer<Progress> = Layer.succeed(Progress, silentProgress)

/** Hands every note to `onNote` (a library's own logger, a queue, a test's array). */
export const subscribe = (onNote: (note: Note) => Effect.Effect<void>): Layer.Layer<Progress> =>
  Layer.succeed(Progress, { note: onNote, waiting: (_label, self) => self })
