import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import { InvalidInput } from "./Errors.js"

/** `--timeout SECONDS` (decimals allowed) as a Duration; anything not positive is bad input. */
export const timeoutFromSeconds = (seconds: number, flag = "--timeout") =>
  Number.isFinite(seconds) && seconds > 0
    ? Effect.succeed(Duration.millis(Math.round(seconds * 1000)))
    : Effect.fail(new InvalidInput({ message: `${flag} must be a positive number of seconds, got ${seconds}` }))
