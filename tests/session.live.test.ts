/** create|new with stored defaults, messages|msgs, last: through the ocm binary against a real sandbox. */
import { assert, describe, layer } from "@effect/vitest"
import * as FileSystem from "@effect/platform/FileSystem"
import * as Effect from "effect/Effect"
import { SandboxClientLayer } from "../layers/TestLayers.js"
import { OpenCodeClient } from "../services/OpenCodeClient.js"
import { Sandbox } from "../services/Sandbox.js"
import { ocmInSandbox, succeeded } from "./support/cli.js"

describe("session commands against a real sandbox", () => {
  layer(SandboxClientLayer(), { timeout: 300_000, excludeTestServices: true })((it) => {
    it.effect("create stores defaults that a later chat uses; new -q prints only the id; --parent makes a child", () =>
      Effect.gen(function* () {
        const client = yield* OpenCodeClient
        const { info } = yield* Sandbox
        const created = JSON.parse(succeeded(yield* ocmInSandbox(["create", "--title", "with defaults", "--agent", "proof", "--model", "scripted/scripted", "--json"])))
        assert.strictEqual(created.title, "with defaults")
        assert.deepStrictEqual(
          { agent: created.defaults.agent, model: created.defaults.model },
          { agent: "proof", model: "scripted/scripted" }
        )
        assert.isTrue(created.defaults.file.startsWith(`${info.root}/ocm-config/ocm/sessions/`))

        // a brand-new session with stored defaults: nothing to observe, the defaults decide
        const chat = JSON.parse(succeeded(yield* ocmInSandbox(["chat", created.id, "Reply with ONLY DEFAULTS.", "--json"])))
        assert.strictEqual(chat.reply, "DEFAULTS")
        assert.deepStrictEqual(chat.proof.identity.source, { agent: "stored defaults", model: "stored defaults", variant: "server default" })
        const flagWins = JSON.parse(succeeded(yield* ocmInSandbox(["chat", created.id, "Reply with ONLY FLAG.", "--agent", "build", "--json"])))
        assert.strictEqual(flagWins.proof.identity.agent, "build")

        const quiet = succeeded(yield* ocmInSandbox(["new", "-q", "--parent", created.id]))
        assert.match(quiet, /^ses_\S+\n$/)
        const child = yield* client.getSession(quiet.trim())
        assert.strictEqual(child.parentID, created.id)
        assert.strictEqual(child.directory, info.projectDir)
        // -d is --dir (occtl's short flag)
        const elsewhere = succeeded(yield* ocmInSandbox(["new", "-q", "-d", info.root, "--title", "elsewhere"])).trim()
        assert.strictEqual((yield* client.getSession(elsewhere, { directory: info.root })).directory, info.root)
        // a relative DIR is ocm's, not the server's (whose working directory is the project)
        const nested = `${info.projectDir}/nested`
        yield* (yield* FileSystem.FileSystem).makeDirectory(nested, { recursive: true })
        for (const command of [["new", "-q"], ["begin-session", "Reply with ONLY HERE."]]) {
          const id = succeeded(yield* ocmInSandbox([...command, "-d", "."], { cwd: nested })).trim()
          assert.strictEqual((yield* client.getSession(id, { directory: nested })).directory, nested, command[0])
        }

        const bad = yield* ocmInSandbox(["create", "--model", "nope"])
        assert.strictEqual(bad.code, 2)

        // rm removes the stored defaults with the session; --keep-defaults keeps them (occtl's flag)
        const fs = yield* FileSystem.FileSystem
        assert.isTrue(yield* fs.exists(created.defaults.file))
        succeeded(yield* ocmInSandbox(["rm", created.id]))
        assert.isFalse(yield* fs.exists(created.defaults.file))
        const orphaned = yield* ocmInSandbox(["chat", created.id, "Reply with ONLY GONE."])
        assert.strictEqual(orphaned.code, 5)
        const keep = JSON.parse(succeeded(yield* ocmInSandbox(["create", "--agent", "proof", "--json"])))
        assert.isTrue((JSON.parse(succeeded(yield* ocmInSandbox(["delete", keep.id, "--keep-defaults", "--json"]))) as { deleted: boolean }).deleted)
        assert.isTrue(yield* fs.exists(keep.defaults.file))
        const orphans = JSON.parse(succeeded(yield* ocmInSandbox(["list", "--orphans", "--json"]))) as Array<{ sessionID: string }>
        assert.isTrue(orphans.some((orphan) => orphan.sessionID === keep.id), "listed as an orphan")
      }))

    it.effect("messages lists, filters by role, limits and shows tool steps with --verbose; last prints the reply", () =>
      Effect.gen(function* () {
        const session = JSON.parse(succeeded(yield* ocmInSandbox(["begin-session", "Reply with ONLY ONE.", "--agent", "proof", "--json"])))
        succeeded(yield* ocmInSandbox(["chat", session.sessionID, "Reply with ONLY TWO."]))
        succeeded(
          yield* ocmInSandbox([
            "chat",
            session.sessionID,
            '[[tool bash {"command": "echo listed", "description": "list"}]] Reply with ONLY THREE.',
            "--agent",
            "build"
          ])
        )
        const all = JSON.parse(succeeded(yield* ocmInSandbox(["messages", session.sessionID, "--json"]))) as Array<{ info: { role: string } }>
        assert.strictEqual(all.filter((m) => m.info.role === "user").length, 3)
        const users = JSON.parse(succeeded(yield* ocmInSandbox(["msgs", session.sessionID, "--role", "user", "--json"]))) as Array<{ info: { role: string } }>
        assert.isTrue(users.length === 3 && users.every((m) => m.info.role === "user"))
        const lastTwo = JSON.parse(succeeded(yield* ocmInSandbox(["messages", session.sessionID, "--limit", "2", "--json"]))) as Array<unknown>
        assert.strictEqual(lastTwo.length, 2)

        const text = succeeded(yield* ocmInSandbox(["messages", session.sessionID, "--text-only", "--role", "assistant"]))
        assert.include(text, "ONE")
        assert.include(text, "THREE")
        assert.notInclude(text, "──", "no headers with --text-only")
        const verbose = succeeded(yield* ocmInSandbox(["messages", session.sessionID, "--verbose"]))
        assert.include(verbose, "[tool bash completed]")
        assert.match(verbose, /\[tool bash completed\] [^\n]*\n {4}listed\n/, "the tool's output, indented, under its step")
        assert.include(verbose, "Reply with ONLY TWO.")

        assert.strictEqual(succeeded(yield* ocmInSandbox(["last", session.sessionID])), "THREE\n")
        assert.include(succeeded(yield* ocmInSandbox(["last", session.sessionID, "--role", "user"])), "Reply with ONLY THREE.")
        const limitZero = yield* ocmInSandbox(["messages", session.sessionID, "--limit", "0"])
        assert.strictEqual(limitZero.code, 2)
      }))

    it.effect("rm --orphans removes the stored defaults of sessions that are gone, only those, and nothing when the server cannot be asked", () =>
      Effect.gen(function* () {
        const fs = yield* FileSystem.FileSystem
        const { info } = yield* Sandbox
        type Created = { id: string; defaults: { file: string } }
        const create = (...args: Array<string>) =>
          Effect.map(ocmInSandbox(["create", "--agent", "proof", "--json", ...args]), (run) => JSON.parse(succeeded(run)) as Created)
        const live = yield* create("--title", "orphan probe live")
        // a session of another directory (another project) is not gone
        const elsewhere = yield* create("--title", "orphan probe elsewhere", "-d", info.root)
        const deleted = yield* create("--title", "orphan probe deleted")
        succeeded(yield* ocmInSandbox(["delete", deleted.id, "--keep-defaults"]))
        const defaultsDir = live.defaults.file.slice(0, live.defaults.file.lastIndexOf("/"))
        const neverID = "ses_0000000000000orphanprobe"
        const never = `${defaultsDir}/${neverID}.json`
        yield* fs.writeFileString(never, '{"agent":"proof"}\n')
        const present = (file: string) => fs.exists(file)

        // a transport failure is that failure, and removes nothing
        const unreachable = yield* ocmInSandbox(["rm", "--orphans", "--url", "http://127.0.0.1:9"])
        assert.strictEqual(unreachable.code, 3, unreachable.stderr)
        assert.isTrue((yield* present(deleted.defaults.file)) && (yield* present(never)))

        // bad input, before any request
        for (const args of [["rm", "--orphans", live.id], ["delete", "--orphans", "--keep-defaults"], ["rm"]]) {
          const run = yield* ocmInSandbox(args)
          assert.strictEqual(run.code, 2, `${args.join(" ")}: ${run.stderr}`)
          assert.match(run.stderr, /^ocm: /m)
        }
        assert.isTrue((yield* present(deleted.defaults.file)) && (yield* present(never)))

        const removed = JSON.parse(succeeded(yield* ocmInSandbox(["rm", "--orphans", "--json"]))) as {
          removed: Array<{ sessionID: string; file: string; defaults: unknown }>
        }
        const ids = removed.removed.map((entry) => entry.sessionID)
        assert.includeMembers(ids, [deleted.id, neverID])
        assert.notInclude(ids, live.id)
        assert.notInclude(ids, elsewhere.id)
        assert.deepInclude(removed.removed, { sessionID: neverID, file: never, defaults: { agent: "proof", model: null, variant: null } })
        assert.isFalse(yield* present(deleted.defaults.file))
        assert.isFalse(yield* present(never))
        assert.isTrue(yield* present(live.defaults.file))
        assert.isTrue(yield* present(elsewhere.defaults.file))

        // nothing left: said on stderr, exit 0; list --orphans agrees
        const again = yield* ocmInSandbox(["rm", "--orphans"])
        assert.strictEqual(again.code, 0, again.stderr)
        assert.strictEqual(again.stdout, "")
        assert.include(again.stderr, "nothing removed")
        assert.deepStrictEqual(JSON.parse(succeeded(yield* ocmInSandbox(["list", "--orphans", "--json"]))), [])
      }), 300_000)

    it.effect("last after an aborted or failed turn says what happened and exits 12 (AssistantTurnFailed)", () =>
      Effect.gen(function* () {
        const session = JSON.parse(succeeded(yield* ocmInSandbox(["begin-session", "Reply with ONLY FIRST.", "--agent", "proof", "--json"])))
        assert.strictEqual(succeeded(yield* ocmInSandbox(["last", session.sessionID])), "FIRST\n")

        // a slow turn stopped by --abort-on-timeout: its reply carries MessageAbortedError
        const cut = yield* ocmInSandbox(["chat", session.sessionID, "[[slow 20]] Reply with ONLY NEVER-WHOLE.", "--timeout", "1", "--abort-on-timeout"])
        assert.strictEqual(cut.code, 124, cut.stderr)
        succeeded(yield* ocmInSandbox(["wait", session.sessionID, "--timeout", "30"]))
        const aborted = yield* ocmInSandbox(["last", session.sessionID])
        assert.strictEqual(aborted.code, 12, `${aborted.stdout} ${aborted.stderr}`)
        assert.strictEqual(aborted.stdout, "", "no empty line passed off as the reply")
        assert.match(aborted.stderr, /^ocm: the assistant turn msg_\w+ in session ses_\w+ was aborted: MessageAbortedError/m)
        const asJson = yield* ocmInSandbox(["last", session.sessionID, "--json"])
        assert.strictEqual(asJson.code, 12)
        assert.strictEqual((JSON.parse(asJson.stdout) as { error: { tag: string } }).error.tag, "AssistantTurnFailed")
        // the user side is still there to read
        assert.include(succeeded(yield* ocmInSandbox(["last", session.sessionID, "--role", "user"])), "NEVER-WHOLE")

        // a provider failure the server does not retry
        const failedTurn = yield* ocmInSandbox(["chat", session.sessionID, "[[fail 400]] Reply with ONLY NEVER.", "--timeout", "60"])
        assert.strictEqual(failedTurn.code, 12, failedTurn.stderr)
        const failed = yield* ocmInSandbox(["last", session.sessionID])
        assert.strictEqual(failed.code, 12, `${failed.stdout} ${failed.stderr}`)
        assert.match(failed.stderr, /^ocm: the assistant turn msg_\w+ in session ses_\w+ failed: \w+/m)
        assert.strictEqual(failed.stdout, "")

        // a later good turn makes last succeed again
        succeeded(yield* ocmInSandbox(["chat", session.sessionID, "Reply with ONLY AGAIN."]))
        assert.strictEqual(succeeded(yield* ocmInSandbox(["last", session.sessionID])), "AGAIN\n")
      }), 300_000)
    it.effect("models: ready-to-use ids, three-segment ids whole, --enabled, --grep, exact provider/model", () =>
      Effect.gen(function* () {
        type Row = { id: string; provider: string; model: string; connected: boolean; isDefault: boolean; variants: Array<string> }
        const enabled = JSON.parse(succeeded(yield* ocmInSandbox(["models", "--enabled", "--json"]))) as Array<Row>
        assert.isTrue(enabled.every((row) => row.connected))
        assert.deepInclude(enabled.map((row) => [row.id, row.isDefault]), ["scripted/scripted", true])
        const exact = JSON.parse(succeeded(yield* ocmInSandbox(["models", "openrouter/openai/gpt-5", "--all", "--json"]))) as Array<Row>
        assert.deepStrictEqual(
          exact.map((row) => [row.id, row.provider, row.model]),
          [["openrouter/openai/gpt-5", "openrouter", "openai/gpt-5"]]
        )
        const grep = JSON.parse(succeeded(yield* ocmInSandbox(["models", "anthropic", "--all", "--grep", "SONNET", "--json"]))) as Array<Row>
        assert.isAbove(grep.length, 0)
        assert.isTrue(grep.every((row) => row.provider === "anthropic" && row.id.toLowerCase().includes("sonnet")))
        const human = succeeded(yield* ocmInSandbox(["models", "scripted"]))
        assert.strictEqual(human.trim().split("\n").length, 1)
        assert.match(human, /^scripted\/scripted \(default\)/)
      }), 300_000)

    // each `models` asks for GET /provider, a 6 MB answer that takes the server seconds on a loaded machine
    it.effect("models lists the connected providers by default, the catalogue with --all; a search without a match exits 5", () =>
      Effect.gen(function* () {
        type Row = { id: string; provider: string; connected: boolean }
        const rowsOf = (run: { code: number; stdout: string; stderr: string }) => JSON.parse(succeeded(run)) as Array<Row>
        // connected in the sandbox: the scripted provider (and OpenCode's own free models); the catalogue has thousands
        const connected = rowsOf(yield* ocmInSandbox(["models", "--json"]))
        assert.isTrue(connected.every((row) => row.connected))
        assert.include(connected.map((row) => row.id), "scripted/scripted")
        assert.deepStrictEqual(rowsOf(yield* ocmInSandbox(["models", "--enabled", "--json"])), connected, "--enabled is the default")
        const catalogue = rowsOf(yield* ocmInSandbox(["models", "--all", "--json"]))
        assert.isAbove(catalogue.length, connected.length + 100)
        assert.isTrue(catalogue.some((row) => !row.connected))
        assert.deepInclude(catalogue.map((row) => [row.id, row.connected]), ["scripted/scripted", true])
        assert.isTrue(catalogue.some((row) => row.provider === "anthropic" && !row.connected))

        // no match: exit 5 with a message, never an empty list and 0
        for (const args of [["scripted/nosuchmodel"], ["--all", "--grep", "no-such-model-text"]]) {
          const run = yield* ocmInSandbox(["models", ...args])
          assert.strictEqual(run.code, 5, `ocm models ${args.join(" ")}: exit ${run.code}: ${run.stderr}`)
          assert.strictEqual(run.stdout, "")
          assert.match(run.stderr, /^ocm: no model matches .+\n$/)
        }
        // a provider that is in the catalogue but not connected: the message says where to look
        const notConnected = yield* ocmInSandbox(["models", "anthropic", "--json"])
        assert.strictEqual(notConnected.code, 5, notConnected.stderr)
        const error = (JSON.parse(notConnected.stdout) as { error: { tag: string; message: string } }).error
        assert.strictEqual(error.tag, "ModelNotFound")
        assert.include(error.message, "ocm models --all")

        // contradictory or blank input: exit 2 before any request (an unreachable server would be exit 3)
        const nowhere = ["--url", "http://127.0.0.1:9"]
        for (const args of [["--all", "--enabled"], ["   "], ["--grep", " "]]) {
          const run = yield* ocmInSandbox(["models", ...args, ...nowhere])
          assert.strictEqual(run.code, 2, `ocm models ${args.join(" ")}: exit ${run.code}: ${run.stderr}`)
        }
      }), 300_000)
  })
})
