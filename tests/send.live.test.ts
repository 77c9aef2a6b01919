/** send|prompt, stream and watch through the ocm binary against a real sandbox. */
import * as Command from "@effect/platform/Command"
import { assert, describe, layer } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import { SandboxClientLayer } from "../layers/TestLayers.js"
import { OpenCodeClient } from "../services/OpenCodeClient.js"
import { Sandbox } from "../services/Sandbox.js"
import { cleanEnvironment, ocmBin, ocmInSandbox, succeeded } from "./support/cli.js"

const environment = Effect.map(Sandbox, ({ info }) =>
  cleanEnvironment({ OPENCODE_BASE_URL: info.url, XDG_CONFIG_HOME: `${info.root}/ocm-config` })
)

const newSession = Effect.map(ocmInSandbox(["create", "-q", "--agent", "proof"]), (run) => succeeded(run).trim())

describe("send, stream and watch against a real sandbox", () => {
  layer(SandboxClientLayer(), { timeout: 300_000, excludeTestServices: true })((it) => {
    it.effect("send: witnessed reply; -s and words; --stdin; prompt alias; --async returns while the turn runs", () =>
      Effect.gen(function* () {
        const client = yield* OpenCodeClient
        const id = yield* newSession
        assert.strictEqual(succeeded(yield* ocmInSandbox(["send", "-s", id, "Reply", "with", "ONLY", "WORDS."])), "WORDS\n")
        assert.strictEqual(succeeded(yield* ocmInSandbox(["prompt", "--session", id, "--stdin"], { stdin: "Reply with ONLY PIPED.\n" })), "PIPED\n")
        const json = JSON.parse(succeeded(yield* ocmInSandbox(["send", "-s", id, "Reply with ONLY PROVED.", "--json"])))
        assert.strictEqual(json.reply, "PROVED")
        // either witness of busy→idle is the protocol's; under load the safety poll may see the idle first
        assert.oneOf(json.proof.completedBy, ["session.idle event", "status poll"])

        const sent = JSON.parse(succeeded(yield* ocmInSandbox(["send", "-s", id, "--async", "[[slow 3]] Reply with ONLY LATER.", "--json"])))
        assert.strictEqual(sent.mode, "sent")
        assert.deepStrictEqual(sent.proof.assistantMessageIDs, [])
        const status = yield* client.sessionStatus({ directory: sent.directory })
        assert.strictEqual(status[id]?.type, "busy", "returned while the turn runs")
        assert.strictEqual(succeeded(yield* ocmInSandbox(["wait", id, "--timeout", "30"])), "LATER\n")

        // -w is --wait (occtl's short flag): the witnessed turn, then the sub-agent sessions
        assert.strictEqual(succeeded(yield* ocmInSandbox(["send", "-w", "-s", id, "Reply with ONLY WAITED."])), "WAITED\n")
        const both = yield* ocmInSandbox(["send", "-s", id, "--async", "--wait", "x"])
        assert.strictEqual(both.code, 2)
        const nothing = yield* ocmInSandbox(["send", "-s", id])
        assert.strictEqual(nothing.code, 2)
      }))

    it.effect("stream: text as it is written and tool steps; --json is NDJSON ending in a result line", () =>
      Effect.gen(function* () {
        const id = yield* newSession
        const human = succeeded(yield* ocmInSandbox(["stream", "-s", id, "[[slow 1]] Reply with ONLY text that arrives in pieces."]))
        assert.strictEqual(human, "text that arrives in pieces\n")
        const tools = succeeded(
          yield* ocmInSandbox(["stream", "-s", id, "--agent", "build", '[[tool bash {"command": "echo streamed", "description": "s"}]] Reply with ONLY AFTER.'])
        )
        // a step when it starts (with the description the model gave it) and when it ends (with its title)
        assert.match(tools, /^\[tool bash running\] s\n\[tool bash completed\] echo streamed\n/)
        assert.match(tools, /AFTER\n$/)

        const lines = succeeded(yield* ocmInSandbox(["stream", "-s", id, "Reply with ONLY NDJSON.", "--json"])).trim().split("\n")
        const parsed = lines.map((line) => JSON.parse(line) as { type: string; reply?: string })
        assert.isAbove(parsed.length, 3)
        assert.include(parsed.map((p) => p.type), "message.part.delta")
        assert.strictEqual(parsed[parsed.length - 1]!.type, "result")
        assert.strictEqual(parsed[parsed.length - 1]!.reply, "NDJSON")
      }))

    it.effect("stream notes each provider retry once on stderr (the turn engine's note, not a second one of its own)", () =>
      Effect.gen(function* () {
        const client = yield* OpenCodeClient
        const id = yield* newSession
        const run = yield* ocmInSandbox(["stream", "-s", id, "[[fail 503]] Reply with ONLY NEVER.", "--timeout", "8", "--abort-on-timeout"])
        assert.strictEqual(run.code, 124, run.stderr)
        const notes = run.stderr.split("\n").filter((line) => line.includes("the provider is being retried"))
        assert.isAtLeast(notes.length, 1, run.stderr)
        for (const line of notes) assert.match(line, /^ocm: the provider is being retried \(attempt \d+\): /)
        const attempts = notes.map((line) => /attempt (\d+)/.exec(line)![1])
        assert.deepStrictEqual(attempts, [...new Set(attempts)], `each retry once: ${run.stderr}`)
        const status = yield* client.sessionStatus({ directory: (yield* client.getSession(id)).directory })
        assert.isUndefined(status[id], "aborted, so no longer retrying")
      }))

    it.effect("watch --events with a type the server never sends is exit 2 before it subscribes", () =>
      Effect.gen(function* () {
        const id = yield* newSession
        const run = yield* ocmInSandbox(["watch", id, "--events", "session.idel,message.*"])
        assert.strictEqual(run.code, 2, run.stderr)
        assert.strictEqual(run.stdout, "")
        assert.strictEqual(run.stderr, 'ocm: --events: unknown event type "session.idel"; did you mean session.idle?\n', "no 'watching' note: it never subscribed")
        const json = yield* ocmInSandbox(["watch", "--all", "--events", "nope", "--json"])
        assert.strictEqual(json.code, 2, json.stderr)
        assert.strictEqual((JSON.parse(json.stdout) as { error: { tag: string } }).error.tag, "ValidationError")
      }))

    it.effect("watch prints a session's events until interrupted (exit 130); --text-only prints the reply text", () =>
      Effect.gen(function* () {
        const { info } = yield* Sandbox
        const id = yield* newSession
        const env = yield* environment
        const watcher = (args: ReadonlyArray<string>) =>
          Command.start(
            Command.make(process.execPath, ocmBin, "watch", id, ...args).pipe(Command.env(env), Command.workingDirectory(info.projectDir))
          )
        const json = yield* watcher(["--json"])
        const text = yield* watcher(["--text-only"])
        const family = yield* watcher(["--json", "--events", "session.*"])
        const linesOf = (process: typeof json) => process.stdout.pipe(Stream.decodeText(), Stream.splitLines)
        // wait until the watchers are subscribed (they say so on stderr) before the turn starts
        yield* Effect.forEach([json, text, family], (p) =>
          p.stderr.pipe(Stream.decodeText(), Stream.filter((chunk) => chunk.includes("watching")), Stream.runHead, Effect.timeout("60 seconds"))
        )
        succeeded(yield* ocmInSandbox(["send", "-s", id, "Reply with ONLY WATCHED."]))
        const events = yield* linesOf(json).pipe(
          Stream.map((line) => JSON.parse(line) as { type: string; sessionID?: string }),
          Stream.takeUntil((event) => event.type === "session.idle"),
          Stream.runCollect,
          Effect.timeout("60 seconds")
        )
        const types = [...events].map((event) => event.type)
        assert.include(types, "message.updated")
        assert.strictEqual(types[types.length - 1], "session.idle")
        const firstText = yield* linesOf(text).pipe(Stream.runHead, Effect.timeout("60 seconds"))
        assert.strictEqual(firstText._tag === "Some" ? firstText.value : "", "WATCHED", "the reply, not the prompt")
        // --events session.*: that family only
        const sessionEvents = yield* linesOf(family).pipe(
          Stream.map((line) => (JSON.parse(line) as { type: string }).type),
          Stream.takeUntil((type) => type === "session.idle"),
          Stream.runCollect,
          Effect.timeout("60 seconds")
        )
        assert.include([...sessionEvents], "session.status")
        for (const type of sessionEvents) assert.match(type, /^session\./)
        yield* Effect.forEach([json, text, family], (p) => Effect.sync(() => process.kill(p.pid, "SIGINT")))
        assert.strictEqual(Number(yield* json.exitCode), 130)
        assert.strictEqual(Number(yield* text.exitCode), 130)
        assert.strictEqual(Number(yield* family.exitCode), 130)
      }).pipe(Effect.scoped))
  })
})
