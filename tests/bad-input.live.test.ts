/**
 * Bad input through the real `ocm` binary against a real sandbox: every case is exit 2 with one line on stderr, and
 * the sandbox reads back exactly as before (no session created, deleted, prompted, shared or retitled). A few are
 * also pointed at a port where nothing listens: exit 2 there (not 3) shows no request was even tried.
 */
import * as FileSystem from "@effect/platform/FileSystem"
import { assert, describe, layer } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import { createServer } from "node:net"
import { SandboxClientLayer } from "../layers/TestLayers.js"
import { OpenCodeClient } from "../services/OpenCodeClient.js"
import { Sandbox } from "../services/Sandbox.js"
import { resolveSession } from "../src/engine/SessionResolver.js"
import { type CliResult, ocmInSandbox, succeeded } from "./support/cli.js"

/** Every session of the server with what a command could change: title, last update, share, message count. */
const snapshot = Effect.gen(function* () {
  const client = yield* OpenCodeClient
  const sessions = yield* client.listAllSessions({ limit: 10_000 })
  const rows = yield* Effect.forEach(sessions, (session) =>
    Effect.map(
      client.messages(session.id, { directory: session.directory }),
      (messages) => `${session.id} ${JSON.stringify(session.title)} ${session.time.updated} ${session.share?.url ?? "-"} ${messages.length}`
    )
  )
  return [...rows].sort()
})

/** A port where nothing listens: a request there is refused (exit 3), so exit 2 means none was tried. */
const closedPort = Effect.async<number>((resume) => {
  const server = createServer().listen(0, "127.0.0.1", () => {
    const address = server.address()
    const port = typeof address === "object" && address !== null ? address.port : 0
    server.close(() => resume(Effect.succeed(port)))
  })
})

/** Runs ocm; a run that does not end (baseline `watch ""` watches for ever) fails the test instead of hanging it. */
const attempt = (args: ReadonlyArray<string>) =>
  ocmInSandbox(args).pipe(
    Effect.timeoutFail({
      duration: "90 seconds",
      onTimeout: () => new Error(`ocm ${JSON.stringify(args)} did not end within 90 s`)
    })
  )

const refused = (args: ReadonlyArray<string>, run: CliResult, expect?: string) => {
  const shown = `ocm ${JSON.stringify(args)}`
  assert.strictEqual(run.code, 2, `${shown}: exit ${run.code}: ${run.stderr}${run.stdout}`)
  const lines = run.stderr.trim().split("\n")
  assert.strictEqual(lines.length, 1, `${shown}: one line on stderr: ${run.stderr}`)
  assert.match(lines[0]!, /^ocm: /, shown)
  if (expect !== undefined) assert.include(run.stderr, expect, shown)
}

/** Runs every case (a few at a time), asserts each is refused, and the sandbox reads back unchanged. */
const allRefused = (cases: ReadonlyArray<readonly [ReadonlyArray<string>, string?]>) =>
  Effect.gen(function* () {
    const before = yield* snapshot
    const runs = yield* Effect.forEach(cases, ([args]) => attempt(args), { concurrency: 3 })
    cases.forEach(([args, expect], index) => refused(args, runs[index]!, expect))
    assert.deepStrictEqual(yield* snapshot, before, "every session is still there, unchanged, and none was added")
  })

describe("bad input is exit 2 before any request", () => {
  layer(SandboxClientLayer(), { timeout: 300_000, excludeTestServices: true })((it) => {
    it.effect(
      "an empty, blank or too short SESSION never acts on a session; destroying and publishing need SESSION named",
      () =>
        Effect.gen(function* () {
          const client = yield* OpenCodeClient
          const { info } = yield* Sandbox
          // the only title with a space (`rm " "` matched it), then two more: the latest exists
          const spaced = yield* client.createSession({ directory: info.projectDir, title: "keep me" })
          yield* client.prompt(spaced.id, { parts: [{ type: "text", text: "Reply with ONLY KEPT." }], agent: "proof" })
          yield* client.createSession({ directory: info.projectDir, title: "kept-second" })
          const latest = yield* client.createSession({ directory: info.projectDir, title: "kept-latest" })
          const prompt = "Reply with ONLY TOUCHED."
          yield* allRefused([
            [["delete", ""], "empty or blank"],
            [["rm", ""], "empty or blank"],
            [["rm", " "], "empty or blank"],
            [["delete", "   ", "--json"]],
            [["final", "", prompt], "empty or blank"],
            [["chat", "", prompt]],
            [["chat", " ", prompt, "--no-reply"]],
            [["send", "-s", "", prompt], "--session"],
            [["prompt", "--session", "  ", "--async", prompt]],
            [["stream", "-s", "", prompt]],
            [["abort", ""]],
            [["wait-all", "", "--timeout", "5"]],
            [["wait-all", latest.id, " ", "--timeout", "5"]],
            [["wait-any", " ", "--timeout", "5"]],
            [["wait-for-idle", "", "--timeout", "5"]],
            [["is-idle", ""]],
            [["wait-for-text", "KEPT", "", "--timeout", "5"]],
            [["respond", "", "--response", "reject"]],
            [["transcript", ""]],
            [["summary", " "]],
            [["share", ""]],
            [["share"], "Missing argument <session>"],
            [["unshare", ""]],
            [["get", ""]],
            [["status", " "]],
            [["messages", ""]],
            [["last", ""]],
            [["todo", ""]],
            [["diff", ""]],
            [["children", ""]],
            [["watch", ""]],
            [["create", "--parent", "", "--title", "never-made"], "--parent"],
            [["wt", "remove", ""]],
            [["wt", "remove", " "]],
            [["wt", "remove"], "Missing argument"],
            [["rm"], "Missing argument <session>"],
            [["delete"], "Missing argument <session>"],
            // a real search term: not "ke" (a substring of "keep me"), not "ses_" (the start of every id)
            [["rm", "ke"], "too short"],
            [["delete", "ses_"], "too short"],
            [["final", "ME", prompt], "too short"],
            [["share", "ses_k"], "too short"]
          ])
          // the same refusals reach no server at all: a port where nothing listens would be exit 3
          const nowhere = `http://127.0.0.1:${yield* closedPort}`
          for (const args of [["delete", ""], ["rm", " "], ["final", "", prompt], ["chat", "\t", prompt], ["share"]]) {
            refused(args, yield* attempt([...args, "--url", nowhere]))
          }
          // named exactly, short is fine; omitted still means the latest for commands that only read
          assert.include(succeeded(yield* attempt(["get", "keep me"])), spaced.id)
          assert.include(succeeded(yield* attempt(["get", "--json"])), latest.id)
        }),
      600_000
    )

    it.effect(
      "--dir that is missing or blank, --out into a missing directory, blank --title, TEXT or scope, contradicting flags",
      () =>
        Effect.gen(function* () {
          const client = yield* OpenCodeClient
          const fs = yield* FileSystem.FileSystem
          const { info } = yield* Sandbox
          const session = yield* client.createSession({ directory: info.projectDir, title: "flags-target" })
          yield* client.prompt(session.id, { parts: [{ type: "text", text: "Reply with ONLY FLAGS." }], agent: "proof" })
          const missing = `${info.root}/no-such-directory`
          const aFile = `${info.root}/a-file`
          yield* fs.writeFileString(aFile, "not a directory\n")
          const prompt = "Reply with ONLY NEVER."
          const run = ["run", "--model", "scripted/scripted", "--agent", "proof"]
          yield* allRefused([
            [["create", "-d", missing, "--title", "never-made"], "no such directory"],
            [["create", "--dir", ""], "--dir"],
            [["create", "--dir", "  "], "--dir"],
            [["create", "-d", aFile], "directory"],
            [["one-shot", prompt, "--agent", "proof", "-d", missing], "no such directory"],
            [["begin-session", prompt, "--agent", "proof", "--dir", missing]],
            [["begin-session", prompt, "--agent", "proof", "--dir", ""]],
            [[...run, prompt, "-d", missing]],
            [[...run, prompt, "--dir", " "]],
            [["create", "--title", " "], "--title"],
            [["new", "--title", ""]],
            [["begin-session", prompt, "--agent", "proof", "--title", "  "]],
            [["one-shot", prompt, "--agent", "proof", "--title", ""]],
            [[...run, prompt, "--title", "   "]],
            [[...run, prompt, "--out", `${missing}/out.txt`], "no such directory"],
            [[...run, prompt, "--raw", `${missing}/raw.json`]],
            [[...run, prompt, "--stderr", `${missing}/err.txt`]],
            [[...run, prompt, "-o", info.root], "is a directory"],
            [[...run, prompt, "--out", `${aFile}/out.txt`]],
            [["transcript", session.id, "--output", `${missing}/t.md`]],
            [["models", "   "], "empty or blank"],
            [["wait-for-text", "   ", session.id, "--timeout", "5"], "blank"],
            [["send", "-s", session.id, "--no-reply", "--wait", prompt], "--no-reply and --wait"],
            [["prompt", "-s", session.id, "--no-reply", "-w", prompt], "--no-reply and --wait"],
            [["send", "-s", session.id, "--async", "--no-reply", prompt], "--async and --no-reply"],
            [["send", "-s", session.id, "--async", "--abort-on-timeout", prompt], "--async and --abort-on-timeout"],
            [["send", "-s", session.id, "--no-reply", "--abort-on-timeout", prompt], "--no-reply and --abort-on-timeout"],
            [["chat", session.id, prompt, "--no-reply", "--abort-on-timeout"], "--no-reply and --abort-on-timeout"],
            [["wt", "run", "never-made", prompt, "--abort-on-timeout"], "--abort-on-timeout needs --wait"],
            [["watch", session.id, "--json", "--text-only"], "--json and --text-only"]
          ])
          const worktrees = yield* attempt(["wt", "list", "--json"])
          assert.notInclude(succeeded(worktrees), "never-made", "no worktree was made")
          const nowhere = `http://127.0.0.1:${yield* closedPort}`
          for (const args of [
            ["create", "-d", missing],
            ["one-shot", prompt, "--title", " "],
            [...run, prompt, "--out", `${missing}/out.txt`],
            ["send", "-s", session.id, "--no-reply", "--wait", prompt],
            ["models", " "]
          ]) {
            refused(args, yield* attempt([...args, "--url", nowhere]))
          }
        }),
      600_000
    )

    it.effect("the library's resolveSession: blank is InvalidInput, never the latest; omitted is the latest", () =>
      Effect.gen(function* () {
        const client = yield* OpenCodeClient
        const { info } = yield* Sandbox
        const latest = yield* client.createSession({ directory: info.projectDir, title: "library-latest" })
        for (const reference of ["", " ", "\n"]) {
          const resolved = yield* Effect.either(resolveSession(reference, info.projectDir))
          assert.isTrue(Either.isLeft(resolved), JSON.stringify(reference))
          assert.strictEqual(Either.isLeft(resolved) ? resolved.left._tag : "", "InvalidInput")
        }
        const short = yield* Effect.either(resolveSession("li", info.projectDir))
        assert.strictEqual(Either.isLeft(short) ? short.left._tag : "", "InvalidInput")
        assert.strictEqual((yield* resolveSession(undefined, info.projectDir)).id, latest.id)
        assert.strictEqual((yield* resolveSession("library-lat", info.projectDir)).id, latest.id)
      }))
  })
})
