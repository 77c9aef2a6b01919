/** Pure pieces of the transport: URL redaction and the base URL's query, the command's `--timeout` budget. */
import { assert, describe, it } from "@effect/vitest"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import * as TestClock from "effect/TestClock"
import { splitBaseUrl } from "../layers/OpenCodeClientLive.js"
import { ServerRejected, ServerUnreachable, Unauthorized } from "../src/Errors.js"
import { redactUrl, redactUrlsIn } from "../src/Text.js"
import { commandLineTimeout, withCommandTimeout, withinBudget } from "../src/Timeout.js"

describe("redactUrl", () => {
  it("hides every query value, keeps the names", () => {
    assert.strictEqual(redactUrl("http://127.0.0.1:1/?token=SECRET"), "http://127.0.0.1:1/?token=***")
    assert.strictEqual(redactUrl("https://host/api?token=S1&user=me&flag"), "https://host/api?token=***&user=***&***")
  })

  it("hides a fragment and user info, and leaves a plain URL alone", () => {
    assert.strictEqual(redactUrl("http://u:p@host:4096/x#frag"), "http://***@host:4096/x#***")
    assert.strictEqual(redactUrl("http://127.0.0.1:4096"), "http://127.0.0.1:4096")
  })

  it("redacts every URL inside a text", () => {
    assert.strictEqual(
      redactUrlsIn("GET http://h/?token=SECRET/global/health failed; see https://x/?a=b"),
      "GET http://h/?token=*** failed; see https://x/?a=***"
    )
  })

  it("is what the transport errors show", () => {
    const url = "http://127.0.0.1:1/?token=SECRET"
    for (const error of [
      new ServerUnreachable({ url, reason: `connect to ${url} failed`, hint: `try ${url}` }),
      new Unauthorized({ url }),
      new ServerRejected({ method: "GET", path: "/session", status: 400, detail: `bad ${url}` })
    ]) {
      assert.notInclude(error.message, "SECRET")
    }
  })
})

describe("splitBaseUrl", () => {
  it("keeps a base URL's query to send with every call and drops the fragment", () => {
    assert.deepStrictEqual(splitBaseUrl("http://h:1/?token=S&x=1#f"), { base: "http://h:1", baseParams: [["token", "S"], ["x", "1"]] })
    assert.deepStrictEqual(splitBaseUrl("http://h:1/prefix/"), { base: "http://h:1/prefix", baseParams: [] })
  })
})

describe("the command's --timeout", () => {
  it("is the innermost subcommand's own option, as @effect/cli hands it to the root", () => {
    const parsed = (options: object) => ({ subcommand: Option.some([{ key: "tag" }, options]) })
    const seconds = (config: unknown) => {
      const timeout = commandLineTimeout(config)
      return timeout === undefined ? undefined : Duration.toSeconds(timeout)
    }
    assert.strictEqual(seconds(parsed({ timeout: Option.some(Duration.seconds(2)) })), 2)
    assert.strictEqual(seconds(parsed({ timeout: Duration.seconds(600) })), 600)
    assert.strictEqual(seconds(parsed({ timeout: Option.none() })), undefined)
    assert.strictEqual(seconds(parsed({ json: true })), undefined)
    assert.strictEqual(seconds({ subcommand: Option.some([{}, parsed({ timeout: Duration.seconds(5) })]) }), 5)
    assert.strictEqual(seconds(parsed({ timeout: 600 })), undefined, "only a parsed Duration is a timeout")
  })

  it.effect("clamps a wait to what is left of the budget, and says so", () =>
    Effect.gen(function* () {
      const outside = yield* withinBudget("30 seconds")
      assert.isTrue(Option.isNone(outside.budget))
      assert.strictEqual(Duration.toMillis(outside.duration), 30_000)
      const inside = yield* withCommandTimeout(Duration.seconds(2))(
        Effect.zipRight(TestClock.adjust("500 millis"), Effect.all([withinBudget("30 seconds"), withinBudget("1 second")]))
      )
      assert.strictEqual(Duration.toMillis(inside[0].duration), 1500)
      assert.isTrue(Option.isSome(inside[0].budget))
      assert.strictEqual(Duration.toMillis(inside[1].duration), 1000)
      assert.isTrue(Option.isNone(inside[1].budget), "the wait's own limit decides")
    }))

  it.effect("ends a command that waits for ever with WaitTimeout soon after the budget", () =>
    Effect.gen(function* () {
      const fiber = yield* Effect.fork(Effect.flip(withCommandTimeout(Duration.seconds(2))(Effect.never)))
      yield* TestClock.adjust("2 seconds")
      assert.isNull(fiber.unsafePoll())
      yield* TestClock.adjust("1 second")
      const error = yield* Fiber.join(fiber)
      assert.strictEqual(error._tag, "WaitTimeout")
      assert.strictEqual(error.seconds, 2)
    }))
})
