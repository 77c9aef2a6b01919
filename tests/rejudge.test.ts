/** The one re-judging loop of the waits (`untilJudged`), on the TestClock: no real time passes. */
import { assert, describe, it } from "@effect/vitest"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import * as Queue from "effect/Queue"
import * as Ref from "effect/Ref"
import * as Stream from "effect/Stream"
import * as TestClock from "effect/TestClock"
import type { OpenCodeEvent } from "../src/domain/Domain.js"
import { WaitTimeout } from "../src/domain/Errors.js"
import { Progress } from "../services/Progress.js"
import { currentBudget } from "../src/engine/Timeout.js"
import { untilJudged } from "../src/engine/WaitEngine.js"

const idle = (sessionID: string): OpenCodeEvent => ({ directory: "/p", payload: { type: "session.idle", properties: { sessionID } } })
const busy = (sessionID: string): OpenCodeEvent => ({
  directory: "/p",
  payload: { type: "session.status", properties: { sessionID, status: { type: "busy" } } }
})

/**
 * A wait whose looks are recorded (what each looked at) and whose verdict the test sets; only `session.idle` events
 * matter, and say which session to look at.
 */
const harness = Effect.gen(function* () {
  const events = yield* Queue.unbounded<OpenCodeEvent>()
  const looks = yield* Queue.unbounded<string>()
  const verdict = yield* Ref.make(Option.none<string>())
  const wait = (timeout: Duration.DurationInput) =>
    untilJudged({
      events: Stream.fromQueue(events),
      react: (event) =>
        Effect.succeed(event.payload.type === "session.idle" ? Option.some(event.payload.properties.sessionID) : Option.none()),
      everything: "everything",
      judge: (what) => Effect.zipRight(Queue.offer(looks, what), Ref.get(verdict)),
      waitingFor: "a test",
      timeout,
      onTimeout: Effect.map(Queue.size(looks), (count) => new WaitTimeout({ waitingFor: "a test", seconds: 0, hint: `${count} looks` }))
    })
  return { events, looks, verdict, wait }
})

describe("untilJudged", () => {
  it.effect("looks at everything at once; a verdict then ends the wait without any event", () =>
    Effect.gen(function* () {
      const { looks, verdict, wait } = yield* harness
      yield* Ref.set(verdict, Option.some("settled"))
      assert.strictEqual(yield* wait("60 seconds"), "settled")
      assert.deepStrictEqual(yield* Queue.takeAll(looks).pipe(Effect.map((chunk) => [...chunk])), ["everything"])
    }))

  it.effect("looks again for each relevant event, at what it names, and stops on the first verdict", () =>
    Effect.gen(function* () {
      const { events, looks, verdict, wait } = yield* harness
      const waiting = yield* Effect.fork(wait("60 seconds"))
      assert.strictEqual(yield* Queue.take(looks), "everything")
      // an event that cannot change the verdict is not looked at: the next look is the idle's
      yield* Queue.offer(events, busy("ses_a"))
      yield* Queue.offer(events, idle("ses_a"))
      assert.strictEqual(yield* Queue.take(looks), "ses_a")
      assert.isTrue(Option.isNone(yield* Fiber.poll(waiting)), "no verdict yet: still waiting")
      yield* Ref.set(verdict, Option.some("done"))
      yield* Queue.offer(events, idle("ses_b"))
      assert.strictEqual(yield* Queue.take(looks), "ses_b")
      assert.strictEqual(yield* Fiber.join(waiting), "done")
      yield* Queue.offer(events, idle("ses_c"))
      yield* TestClock.adjust("10 seconds")
      assert.strictEqual(yield* Queue.size(looks), 0, "nothing is looked at after the verdict")
    }))

  it.effect("the safety tick looks at everything every 2 s when no event comes", () =>
    Effect.gen(function* () {
      const { looks, verdict, wait } = yield* harness
      const waiting = yield* Effect.fork(wait("60 seconds"))
      assert.strictEqual(yield* Queue.take(looks), "everything")
      yield* TestClock.adjust("1999 millis")
      assert.strictEqual(yield* Queue.size(looks), 0, "no look before the tick")
      yield* TestClock.adjust("1 millis")
      assert.strictEqual(yield* Queue.take(looks), "everything")
      yield* Ref.set(verdict, Option.some("late"))
      yield* TestClock.adjust("2 seconds")
      assert.strictEqual(yield* Queue.take(looks), "everything")
      assert.strictEqual(yield* Fiber.join(waiting), "late")
    }))

  it.effect("runs out of time with the error onTimeout makes then", () =>
    Effect.gen(function* () {
      const { looks, wait } = yield* harness
      const waiting = yield* Effect.fork(Effect.either(wait("5 seconds")))
      assert.strictEqual(yield* Queue.take(looks), "everything")
      yield* TestClock.adjust("4 seconds")
      assert.isTrue(Option.isNone(yield* Fiber.poll(waiting)))
      yield* TestClock.adjust("1 second")
      const outcome = yield* Fiber.join(waiting)
      assert.isTrue(Either.isLeft(outcome))
      if (Either.isLeft(outcome)) {
        const error = outcome.left
        assert.strictEqual(error._tag, "WaitTimeout")
        // the looks at 2 and 4 s (the first was taken): the error was made when the time ran out
        if (error._tag === "WaitTimeout") assert.strictEqual(error.hint, "2 looks")
      }
    }))

  it.effect("the command's --timeout budget ends the wait sooner than its own limit", () =>
    Effect.gen(function* () {
      const { looks, wait } = yield* harness
      const cleaning = yield* Ref.make(false)
      const waiting = yield* Effect.fork(
        Effect.either(wait("600 seconds")).pipe(
          Effect.locally(currentBudget, Option.some({ deadline: 3_000, seconds: 3, cleaning }))
        )
      )
      assert.strictEqual(yield* Queue.take(looks), "everything")
      yield* TestClock.adjust("3 seconds")
      const outcome = yield* Fiber.join(waiting)
      assert.isTrue(Either.isLeft(outcome) && outcome.left._tag === "WaitTimeout")
    }))

  it.effect("the spinner is shown while waiting for the next look, never during a look (a look may print)", () =>
    Effect.gen(function* () {
      const spinning = yield* Ref.make(false)
      const labels: Array<string> = []
      const during: Array<boolean> = []
      const events = yield* Queue.unbounded<OpenCodeEvent>()
      const looked = yield* Queue.unbounded<void>()
      const waitingForIt = untilJudged({
        events: Stream.fromQueue(events),
        react: () => Effect.succeed(Option.some<void>(undefined)),
        everything: undefined,
        judge: () =>
          Effect.gen(function* () {
            during.push(yield* Ref.get(spinning))
            yield* Queue.offer(looked, undefined)
            return during.length === 2 ? Option.some("done") : Option.none()
          }),
        waitingFor: "the second look",
        timeout: "60 seconds",
        onTimeout: Effect.succeed(new WaitTimeout({ waitingFor: "", seconds: 0, hint: "" }))
      }).pipe(
        Effect.provideService(Progress, {
          note: () => Effect.void,
          waiting: (label, self) =>
            Effect.acquireUseRelease(
              Effect.zipRight(Ref.set(spinning, true), Effect.sync(() => labels.push(label))),
              () => self,
              () => Ref.set(spinning, false)
            )
        })
      )
      const fiber = yield* Effect.fork(waitingForIt)
      yield* Queue.take(looked)
      // between looks the spinner comes back (and a test that never sees it times out)
      yield* Effect.repeat(Effect.zipLeft(Ref.get(spinning), Effect.yieldNow()), { until: (on) => on })
      yield* Queue.offer(events, idle("ses_a"))
      assert.strictEqual(yield* Fiber.join(fiber), "done")
      assert.deepStrictEqual(during, [false, false])
      assert.isFalse(yield* Ref.get(spinning))
      assert.include(labels, "waiting for the second look")
    }))
})
