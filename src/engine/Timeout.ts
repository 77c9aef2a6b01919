import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as FiberRef from "effect/FiberRef"
import * as Option from "effect/Option"
import * as Ref from "effect/Ref"
import { WaitTimeout } from "../domain/Errors.js"

/** The whole command's time budget (`--timeout`): when it ends (epoch ms) and what the user gave. */
export interface CommandBudget {
  readonly deadline: number
  readonly seconds: number
  /** Set while the command cleans up after its own timeout: the backstop then lets it finish and report. */
  readonly cleaning: Ref.Ref<boolean>
}

/** The budget of the command running in this fiber, if it has one; set by `withCommandTimeout`. */
export const currentBudget: FiberRef.FiberRef<Option.Option<CommandBudget>> = FiberRef.unsafeMake(
  Option.none<CommandBudget>()
)

/** What a command may still spend after its budget ran out: interrupting and reporting, not more waiting. */
const GRACE = Duration.millis(800)

/**
 * The time a wait may take: `limit`, or less when the command's budget ends sooner. `bounded` says whether the
 * budget is what decides, so a caller can report a timeout (124) instead of its own verdict.
 */
export const withinBudget = (limit: Duration.DurationInput) =>
  Effect.gen(function* () {
    const own = Duration.decode(limit)
    const budget = yield* FiberRef.get(currentBudget)
    if (Option.isNone(budget)) return { duration: own, budget }
    const left = Duration.millis(Math.max(1, budget.value.deadline - (yield* Clock.currentTimeMillis)))
    return Duration.lessThan(left, own) ? { duration: left, budget } : { duration: own, budget: Option.none<CommandBudget>() }
  })

/**
 * Clean-up after a timeout (abort the turn, as `--abort-on-timeout` asked): it runs past the budget, cannot be cut
 * short by the backstop, and is bounded by the call's own timeout (9 s) instead. Whether it succeeded is
 * returned, its failure is not (the timeout is what gets reported).
 */
export const cleanupAfterTimeout = <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<boolean, never, R> =>
  Effect.gen(function* () {
    const budget = yield* FiberRef.get(currentBudget)
    if (Option.isSome(budget)) yield* Ref.set(budget.value.cleaning, true)
    return yield* effect.pipe(
      Effect.locally(currentBudget, Option.none()),
      Effect.match({ onFailure: () => false, onSuccess: () => true })
    )
  }).pipe(Effect.uninterruptible)

/**
 * Bounds a whole command by `--timeout SECONDS`: server-target and session resolution, every request and every
 * wait. Waits and requests inside see the budget (`withinBudget`) and end at it with their own WaitTimeout; this
 * is the backstop for anything else, a moment later.
 */
export const withCommandTimeout =
  (duration: Duration.Duration) =>
  <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E | WaitTimeout, R> =>
    Effect.gen(function* () {
      const seconds = Duration.toSeconds(duration)
      const deadline = (yield* Clock.currentTimeMillis) + Duration.toMillis(duration)
      const cleaning = yield* Ref.make(false)
      const backstop = Effect.gen(function* () {
        yield* Effect.sleep(Duration.sum(duration, GRACE))
        // a command cleaning up after its own timeout (aborting the turn) finishes and reports that timeout
        if (yield* Ref.get(cleaning)) return yield* Effect.never
        return yield* new WaitTimeout({ waitingFor: "the command to finish (--timeout)", seconds, hint: "" })
      })
      return yield* Effect.raceFirst(
        Effect.locally(effect, currentBudget, Option.some({ deadline, seconds, cleaning })),
        backstop
      )
    })

/**
 * The `--timeout` of a parsed command line: the innermost subcommand's own `timeout` option, if it has one.
 * @effect/cli hands a parent the chosen subcommand as `subcommand: Some([tag, its parsed options])`.
 */
export const commandLineTimeout = (config: unknown): Duration.Duration | undefined => {
  let node: unknown = config
  while (typeof node === "object" && node !== null) {
    const { timeout, subcommand } = node as { timeout?: unknown; subcommand?: unknown }
    const value = Option.isOption(timeout) ? Option.getOrUndefined(timeout) : timeout
    if (Duration.isDuration(value)) return value
    if (!Option.isOption(subcommand) || Option.isNone(subcommand)) return undefined
    node = Array.isArray(subcommand.value) ? subcommand.value[1] : subcommand.value
  }
  return undefined
}
