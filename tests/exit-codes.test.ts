import * as Command from "@effect/cli/Command"
import * as HelpDoc from "@effect/cli/HelpDoc"
import * as ValidationError from "@effect/cli/ValidationError"
import { assert, describe, it, vi } from "@effect/vitest"
import * as Cause from "effect/Cause"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as FiberId from "effect/FiberId"
import { capturingConsole } from "./support/console.js"
import {
  AmbiguousSession,
  AssistantTurnFailed,
  DoctorFailed,
  ExitWith,
  InvalidInput,
  ModelNotFound,
  NoAssistantTurn,
  PromptNotRecorded,
  SandboxError,
  ScenarioFailed,
  ServerRejected,
  ServerUnreachable,
  SessionNotFound,
  TranscriptDecodeError,
  Unauthorized,
  WaitTimeout
} from "../src/domain/Errors.js"
import { cliProgram, MainLayer, outcomeOf, parsingConsole } from "../src/cli/Main.js"
import { present, ResultWriter } from "../src/present/Presenter.js"
import { plainText } from "../src/domain/Text.js"

const ctx = { program: "ocm" } as const

// Exit codes as the SPEC lists them, written out here rather than read from Errors.exitCodes so a change there
// is caught.
const cases: ReadonlyArray<readonly [error: Error & { readonly _tag: string }, code: number]> = [
  [new InvalidInput({ message: "--limit must be a positive integer" }), 2],
  [new ServerUnreachable({ url: "http://127.0.0.1:4096", reason: "connection refused" }), 3],
  [new Unauthorized({ url: "http://127.0.0.1:4096" }), 4],
  [new SessionNotFound({ reference: "ses_missing", detail: "no session has that id" }), 5],
  [new ModelNotFound({ search: '"nosuch"', detail: "not among the connected providers' models" }), 5],
  [
    new AmbiguousSession({
      reference: "fix",
      candidates: [
        { id: "ses_1", title: "fix a", directory: "/a" },
        { id: "ses_2", title: "fix b", directory: "/b" }
      ]
    }),
    6
  ],
  [new ServerRejected({ method: "POST", path: "/session", status: 400, detail: "bad body" }), 7],
  [new PromptNotRecorded({ sessionID: "ses_1", messageID: "msg_1", detail: "not in the message list" }), 10],
  [new NoAssistantTurn({ sessionID: "ses_1", messageID: "msg_1", detail: "session went idle" }), 11],
  [
    new AssistantTurnFailed({
      sessionID: "ses_1",
      messageID: "msg_1",
      assistantMessageID: "msg_2",
      errorName: "APIError",
      detail: "model said no"
    }),
    12
  ],
  [new TranscriptDecodeError({ source: "GET /session/ses_1/message", detail: "expected an array" }), 13],
  [new SandboxError({ reason: "opencode did not start" }), 14],
  [new DoctorFailed({ failed: ["server unreachable", "no auth"] }), 15],
  [new ScenarioFailed({ failed: ["resume.yaml"], total: 2 }), 16],
  [new WaitTimeout({ waitingFor: "session idle", seconds: 30, hint: "raise --timeout" }), 124]
]

describe("outcomeOf: typed failures", () => {
  it("covers all 15 error classes", () => {
    assert.strictEqual(new Set(cases.map(([error]) => error._tag)).size, 15)
  })

  for (const [error, code] of cases) {
    it(`${error._tag} exits ${code} with one line and a JSON error`, () => {
      const outcome = outcomeOf(Exit.fail(error), ctx)
      assert.strictEqual(outcome.code, code)
      assert.isString(outcome.line)
      assert.strictEqual(outcome.line, `ocm: ${error.message}`)
      assert.notInclude(outcome.line!, "\n")
      assert.notMatch(outcome.line!, /\bat .*:\d+:\d+/)
      assert.notInclude(outcome.line!, "please report")
      assert.isTrue(error.message.length > 0)
      if (error._tag === "DoctorFailed" || error._tag === "ScenarioFailed") {
        // doctor's --json report (prove's NDJSON) already is the output on stdout, failures included
        assert.isUndefined(outcome.json)
      } else {
        assert.deepStrictEqual(outcome.json, { error: { tag: error._tag, message: error.message, exitCode: code } })
        // the JSON document is plain data that survives a round trip
        assert.deepStrictEqual(JSON.parse(JSON.stringify(outcome.json)), outcome.json)
      }
    })
  }

  it("uses the program name it is given", () => {
    const outcome = outcomeOf(Exit.fail(new InvalidInput({ message: "nope" })), { program: "opencode-transcript" })
    assert.strictEqual(outcome.line, "opencode-transcript: nope")
  })

  it("reports the failure, not the interruption, when a failure and an interruption happen together", () => {
    const error = new SessionNotFound({ reference: "ses_x" })
    const exit = Exit.failCause(Cause.parallel(Cause.interrupt(FiberId.none), Cause.fail(error)))
    const outcome = outcomeOf(exit, { program: "ocm", signal: "SIGINT" })
    assert.strictEqual(outcome.code, 5)
    assert.strictEqual(outcome.line, "ocm: session not found: ses_x")
  })
})

describe("outcomeOf: other endings", () => {
  it("success is 0 with nothing to print", () => {
    const outcome = outcomeOf(Exit.succeed("done"), ctx)
    assert.deepStrictEqual(outcome, { code: 0 })
    assert.isUndefined(outcome.line)
    assert.isUndefined(outcome.json)
  })

  it("ExitWith exits with its code and prints nothing", () => {
    for (const code of [7, 0, 1, 42]) {
      const outcome = outcomeOf(Exit.fail(new ExitWith({ code })), ctx)
      assert.strictEqual(outcome.code, code)
      assert.isUndefined(outcome.line)
      assert.isUndefined(outcome.json)
    }
  })

  it("an interrupt is 130, or 143 after SIGTERM, with nothing printed", () => {
    const interrupted = Exit.interrupt(FiberId.none)
    const plain = outcomeOf(interrupted, ctx)
    assert.strictEqual(plain.code, 130)
    assert.isUndefined(plain.line)
    assert.strictEqual(outcomeOf(interrupted, { program: "ocm", signal: "SIGINT" }).code, 130)
    const term = outcomeOf(interrupted, { program: "ocm", signal: "SIGTERM" })
    assert.strictEqual(term.code, 143)
    assert.isUndefined(term.line)
    // several interruptions are still interrupt-only
    const both = Exit.failCause(Cause.sequential(Cause.interrupt(FiberId.none), Cause.interrupt(FiberId.make(1, 0))))
    assert.strictEqual(outcomeOf(both, { program: "ocm", signal: "SIGTERM" }).code, 143)
  })

  it("a defect is 1 with one line asking for a bug report, without the stack", () => {
    const outcome = outcomeOf(Exit.die(new Error("boom")), ctx)
    assert.strictEqual(outcome.code, 1)
    assert.isString(outcome.line)
    assert.isTrue(outcome.line!.startsWith("ocm: "))
    assert.include(outcome.line!, "please report")
    assert.include(outcome.line!, "boom")
    assert.notInclude(outcome.line!, "\n")
    assert.deepStrictEqual(outcome.json, { error: { tag: "Defect", message: "boom", exitCode: 1 } })
  })

  it("a defect that is not an Error is still reported", () => {
    const outcome = outcomeOf(Exit.die("raw string"), ctx)
    assert.strictEqual(outcome.code, 1)
    assert.include(outcome.line!, "please report")
    assert.include(outcome.line!, "raw string")
  })

  it("a typed failure with an unknown tag is treated as a defect (1)", () => {
    const outcome = outcomeOf(Exit.fail({ _tag: "Mystery", message: "who knows" }), ctx)
    assert.strictEqual(outcome.code, 1)
    assert.include(outcome.line!, "please report")
    assert.include(outcome.line!, "who knows")
    assert.strictEqual(outcome.json?.error.tag, "Defect")
    assert.strictEqual(outcome.json?.error.exitCode, 1)
  })

  it("a tag that only exists on Object.prototype is not an exit code", () => {
    const outcome = outcomeOf(Exit.fail({ _tag: "toString", message: "sneaky" }), ctx)
    assert.strictEqual(outcome.code, 1)
  })

  it("a failure without a tag is treated as a defect (1)", () => {
    const outcome = outcomeOf(Exit.fail(new Error("plain error")), ctx)
    assert.strictEqual(outcome.code, 1)
    assert.include(outcome.line!, "plain error")
  })

  it("an @effect/cli ValidationError is 2 with its explanation as the one plain line and the JSON document", () => {
    const error = ValidationError.invalidValue(HelpDoc.p("'soon' is not a float"))
    const outcome = outcomeOf(Exit.fail(error), ctx)
    assert.strictEqual(outcome.code, 2)
    assert.strictEqual(outcome.line, "ocm: 'soon' is not a float")
    assert.deepStrictEqual(outcome.json, { error: { tag: "ValidationError", message: "'soon' is not a float", exitCode: 2 } })
    const missing = outcomeOf(Exit.fail(ValidationError.missingValue(HelpDoc.p("Missing argument <session>"))), ctx)
    assert.strictEqual(missing.code, 2)
    assert.strictEqual(missing.line, "ocm: Missing argument <session>")
    const several = HelpDoc.sequence(HelpDoc.h1("Problem"), HelpDoc.p("two\nlines"))
    assert.strictEqual(outcomeOf(Exit.fail(ValidationError.invalidArgument(several)), ctx).line, "ocm: Problem two lines")
  })
})

describe("parsingConsole", () => {
  const defaultConsole = Effect.runSync(Effect.console)
  const recorded = () => {
    const lines: Array<{ stream: string; args: ReadonlyArray<unknown> }> = []
    const base: Console.Console = {
      ...defaultConsole,
      log: (...args) => Effect.sync(() => void lines.push({ stream: "out", args })),
      error: (...args) => Effect.sync(() => void lines.push({ stream: "err", args })),
      unsafe: { ...defaultConsole.unsafe, log: (...args) => void lines.push({ stream: "out", args }) }
    }
    return { lines, base }
  }
  const styled = "\u001b[0;1mUSAGE\u001b[0m"
  const ocm = { program: "ocm", words: [] }

  it("drops ANSI styling from what it prints when colours are off, and keeps it when they are on", () => {
    const plain = recorded()
    Effect.runSync(parsingConsole(plain.base, false, ocm).log(styled, 1))
    parsingConsole(plain.base, false, ocm).unsafe.log(styled)
    assert.deepStrictEqual(plain.lines, [{ stream: "out", args: ["USAGE", 1] }, { stream: "out", args: ["USAGE"] }])
    const coloured = recorded()
    Effect.runSync(parsingConsole(coloured.base, true, ocm).log(styled))
    assert.deepStrictEqual(coloured.lines, [{ stream: "out", args: [styled] }])
  })

  it("prints no error of its own: the exit-code mapping prints the ValidationError that follows", () => {
    const { base, lines } = recorded()
    Effect.runSync(parsingConsole(base, false, ocm).error("Missing argument <session>"))
    assert.deepStrictEqual(lines, [])
  })

  it("strips only colour and style sequences", () => {
    assert.strictEqual(plainText("\u001b[0;37;1mocm\u001b[0m [x] 50%"), "ocm [x] 50%")
  })
})

describe("a command's result", () => {
  // text that reads like help: were it printed through the console @effect/cli is given, it would be rewritten
  const helpLike = "USAGE\n\n$ probe [--x]\n\u001b[1mbold\u001b[0m"
  const probe = Command.make("probe", {}, () => present({ json: () => helpLike, text: () => helpLike }, { json: false })(undefined))

  it.effect("goes to stdout as it is in the CLI, never through the console that parsing and help use", () =>
    Effect.gen(function* () {
      const printed: Array<unknown> = []
      const spy = vi.spyOn(globalThis.console, "log").mockImplementation((...args) => void printed.push(...args))
      const { exit, captured } = yield* capturingConsole(
        cliProgram(probe, { name: "ocm", version: "0.0.0" }, false)(["node", "ocm"]).pipe(Effect.provide(MainLayer))
      ).pipe(Effect.ensuring(Effect.sync(() => spy.mockRestore())))
      assert.isTrue(Exit.isSuccess(exit))
      assert.deepStrictEqual(printed, [helpLike])
      assert.deepStrictEqual(captured.stdout, [])
    }))

  it.effect("goes to the ResultWriter a library provides", () =>
    Effect.gen(function* () {
      const written: Array<string> = []
      yield* probe.handler({}).pipe(Effect.provideService(ResultWriter, { line: (text) => Effect.sync(() => void written.push(text)) }))
      assert.deepStrictEqual(written, [helpLike])
    }))
})
