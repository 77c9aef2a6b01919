/**
 * `opencode-manager/testing` (from the sources): README's @effect/vitest example exactly as written there (its import
 * aside; tests/readme.test.ts checks it is the same), `runScenario` of a value that passes and of one that fails, and
 * a value that is not a scenario.
 */
import * as FileSystem from "@effect/platform/FileSystem"
import { assert, describe, it, layer } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { PlatformLayer } from "../layers/TestLayers.js"
import { ocm, reportText, runScenario, sandboxLayer } from "../src/testing.js"

// README: from here
// real time: the sandbox starts and the turns run on the clock, not a TestClock
layer(sandboxLayer(), { excludeTestServices: true, timeout: 300_000 })("a resumed session", (it) => {
  it.effect("answers in the same session", () =>
    Effect.gen(function* () {
      const begun = yield* ocm("begin-session", "Reply with ONLY READY.", "--agent", "proof")
      assert.strictEqual(begun.reply, "READY")
      const again = yield* ocm("chat", begun.session!, "Reply with ONLY AGAIN.")
      assert.strictEqual(again.reply, "AGAIN")
      assert.strictEqual(again.session, begun.session)
    }))
})
// README: to here

describe("runScenario", () => {
  it.live("runs a value on a fresh sandbox: a step that holds, then one that fails with expected against actual", () =>
    Effect.gen(function* () {
      const fs = yield* FileSystem.FileSystem
      const reports = yield* fs.makeTempDirectoryScoped({ prefix: "ocm-testing-reports-" })
      const report = yield* runScenario({
        name: "value",
        steps: [
          { ocm: 'begin-session "Reply with ONLY READY." --agent proof', capture: { session: "sessionID" }, expect: { reply: "READY" } },
          { ocm: ["chat", "${session}", "Reply with ONLY AGAIN."], expect: { reply: "ONCE MORE" } },
          { ocm: "final ${session} 'Reply with ONLY DONE.'" }
        ]
      }, { reports })
      assert.strictEqual(report.status, "failed")
      assert.deepStrictEqual(report.steps.map((step) => step.status), ["passed", "failed", "skipped"])
      assert.deepStrictEqual(report.steps[1]!.failures, [{ check: "reply equals", ok: false, expected: '"ONCE MORE"', actual: '"AGAIN"' }])
      const text = reportText(report)
      assert.include(text, "✓ value › 1. ocm begin-session")
      assert.include(text, '      expected: "ONCE MORE"\n      actual:   "AGAIN"')
      assert.include(text, "✗ value: step 2 of 3 failed, 1 not run")
      // the failing step's session, as it was: its transcript in the reports dir
      assert.include(yield* fs.readFileString(report.steps[1]!.transcript!), "AGAIN")
    }).pipe(Effect.scoped, Effect.provide(PlatformLayer)), { timeout: 300_000 })

  it.live("a value that is not a scenario is bad input, naming where", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(runScenario({ steps: [{ ocm: "ping", expect: { reply: { contain: "x" } } }] } as never))
      assert.strictEqual(error._tag, "InvalidInput")
      assert.strictEqual(
        error.message,
        'scenario: steps[0].expect.reply.contain: is unexpected, expected: "equals" | "contains" | "excludes" | "matches"'
      )
    }))
})
