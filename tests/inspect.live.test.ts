/**
 * The inspection commands (list|ls, get|show, status, children, todo, abort) through the real `ocm` binary
 * against a real sandbox: what they print is checked against what the server holds.
 */
import * as FileSystem from "@effect/platform/FileSystem"
import { assert, describe, layer } from "@effect/vitest"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Effect from "effect/Effect"
import * as Schedule from "effect/Schedule"
import { SandboxClientLayer } from "../layers/TestLayers.js"
import { OpenCodeClient } from "../services/OpenCodeClient.js"
import { Sandbox } from "../services/Sandbox.js"
import type { Session } from "../src/domain/Domain.js"
import type { IdentityFields } from "../src/domain/Identity.js"
import { writeDefaults } from "../src/local/SessionDefaults.js"
import { type CliResult, ocmInSandbox, succeeded } from "./support/cli.js"

interface Row {
  id: string
  title: string
  directory: string
  parentID: string | null
  created: string
  updated: string
  status: string
  blocked: unknown
}
interface Details {
  id: string
  title: string
  directory: string
  parentID: string | null
  status: string
  defaults: { agent: string | null; model: string | null; variant: string | null } | null
  messages: { user: number; assistant: number }
  children: number
}
interface StatusReport {
  sessionID: string
  status: string
  idle: boolean
  subAgents: { total: number; busy: Array<{ id: string; title: string; parentID: string | null; status: string }> }
}

const configHome = (root: string) => `${root}/ocm-config`

const jsonOf = <A>(args: ReadonlyArray<string>) =>
  Effect.map(ocmInSandbox([...args, "--json"]), (run) => JSON.parse(succeeded(run)) as A)

const failsWith = (run: CliResult, code: number, tag: string) => {
  assert.strictEqual(run.code, code, `expected exit ${code} (${tag}), got ${run.code}: ${run.stderr}`)
  assert.notInclude(run.stderr, "    at ", "no stack trace")
}

/** Stores defaults where the binary reads them (its XDG_CONFIG_HOME), not in this process's config home. */
const storeDefaults = (sessionID: string, defaults: IdentityFields) =>
  Effect.flatMap(Sandbox, ({ info }) =>
    writeDefaults(sessionID, defaults).pipe(
      Effect.withConfigProvider(ConfigProvider.fromMap(new Map([["XDG_CONFIG_HOME", configHome(info.root)]])))
    )
  )

const ids = (rows: ReadonlyArray<Row>) => rows.map((row) => row.id)

/** A turn that stays busy until it is aborted (the test aborts it long before the 20 s are over). */
const startSlowTurn = (session: Session) =>
  Effect.gen(function* () {
    const client = yield* OpenCodeClient
    yield* client.promptAsync(
      session.id,
      // long enough to be running still, however loaded the machine; the test aborts it
      { parts: [{ type: "text", text: "[[slow 300]] Reply with ONLY X." }], agent: "proof" },
      { directory: session.directory }
    )
    yield* client.sessionStatus({ directory: session.directory }).pipe(
      Effect.repeat({ until: (statuses) => statuses[session.id]?.type === "busy", schedule: Schedule.spaced("100 millis") }),
      Effect.timeout("60 seconds")
    )
  })

describe("inspection commands against a real sandbox", () => {
  layer(SandboxClientLayer(), { timeout: 300_000, excludeTestServices: true })((it) => {
    it.effect("list: root sessions here, newest first; --children, DIR, --all, --sort title --asc, --limit", () =>
      Effect.gen(function* () {
        const client = yield* OpenCodeClient
        const fs = yield* FileSystem.FileSystem
        const { info } = yield* Sandbox
        const tag = `list-${Date.now()}`
        const older = yield* client.createSession({ directory: info.projectDir, title: `${tag} b-older` })
        const newer = yield* client.createSession({ directory: info.projectDir, title: `${tag} a-newer` })
        const child = yield* client.createSession({ directory: info.projectDir, parentID: older.id, title: `${tag} child` })
        const subdir = `${info.projectDir}/${tag}`
        yield* fs.makeDirectory(subdir, { recursive: true })
        const elsewhere = yield* client.createSession({ directory: subdir, title: `${tag} elsewhere` })

        const here = yield* jsonOf<Array<Row>>(["list"])
        assert.includeMembers(ids(here), [older.id, newer.id])
        assert.notInclude(ids(here), child.id, "root sessions only")
        assert.notInclude(ids(here), elsewhere.id, "the current directory only")
        assert.isTrue(here.every((row) => row.directory === info.projectDir && row.parentID === null))
        assert.isTrue(here.every((row, i) => i === 0 || here[i - 1]!.updated >= row.updated), "newest updated first")
        assert.isBelow(ids(here).indexOf(newer.id), ids(here).indexOf(older.id))
        const row = here.find((r) => r.id === older.id)!
        assert.deepStrictEqual(row, {
          id: older.id,
          title: older.title,
          directory: info.projectDir,
          parentID: null,
          created: new Date(older.time.created).toISOString(),
          updated: row.updated,
          status: "idle",
          blocked: null
        })

        const human = succeeded(yield* ocmInSandbox(["ls"])).split("\n")
        const line = human.find((l) => l.startsWith(older.id))
        assert.isDefined(line)
        assert.match(line!, new RegExp(`^${older.id}\\s+idle\\s+\\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z\\s+${older.title}$`))

        const withChildren = yield* jsonOf<Array<Row>>(["list", "--children"])
        assert.strictEqual(withChildren.find((r) => r.id === child.id)?.parentID, older.id)

        assert.deepStrictEqual(ids(yield* jsonOf<Array<Row>>(["list", tag])), [elsewhere.id], "DIR, relative to here")

        // a session in a directory outside the server's git project belongs to another OpenCode project
        yield* fs.makeDirectory(`${info.root}/outside-${tag}`, { recursive: true })
        const outsider = yield* client.createSession({ directory: `${info.root}/outside-${tag}`, title: `outsider ${tag}` })
        const all = yield* jsonOf<Array<Row>>(["list", "--all"])
        assert.includeMembers(ids(all), [older.id, newer.id, elsewhere.id, outsider.id])
        // and a reference finds it from here by its title
        assert.strictEqual((yield* jsonOf<{ id: string }>(["show", `outsider ${tag}`])).id, outsider.id)
        const allHuman = succeeded(yield* ocmInSandbox(["list", "--all"]))
        assert.match(allHuman, new RegExp(`${elsewhere.id}.*${elsewhere.title}\\s+${subdir}`))

        const byTitle = yield* jsonOf<Array<Row>>(["list", "--sort", "title", "--asc"])
        const titles = byTitle.map((r) => r.title)
        assert.deepStrictEqual(titles, [...titles].sort((a, b) => a.localeCompare(b, undefined, { sensitivity: "base" })))
        assert.isBelow(ids(byTitle).indexOf(newer.id), ids(byTitle).indexOf(older.id))
        const byTitleDescending = yield* jsonOf<Array<Row>>(["list", "--sort", "title"])
        assert.deepStrictEqual(ids(byTitleDescending), [...ids(byTitle)].reverse())

        const limited = yield* jsonOf<Array<Row>>(["list", "--limit", "1"])
        assert.deepStrictEqual(ids(limited), ids(here).slice(0, 1))
        const oldestFirst = yield* jsonOf<Array<Row>>(["list", "--sort", "created", "--asc", "--limit", "2"])
        assert.lengthOf(oldestFirst, 2)
        assert.isTrue(oldestFirst[0]!.created <= oldestFirst[1]!.created)
      }))

    it.effect("--active, status busy vs idle (tree-aware: waiting on a busy sub-agent), abort witnessed", () =>
      Effect.gen(function* () {
        const client = yield* OpenCodeClient
        const { info } = yield* Sandbox
        const tag = `active-${Date.now()}`
        const busy = yield* client.createSession({ directory: info.projectDir, title: `${tag} busy` })
        const parent = yield* client.createSession({ directory: info.projectDir, title: `${tag} parent` })
        const subAgent = yield* client.createSession({ directory: info.projectDir, parentID: parent.id, title: `${tag} sub-agent` })
        yield* startSlowTurn(busy)
        yield* startSlowTurn(subAgent)

        const active = yield* jsonOf<Array<Row>>(["list", "--active"])
        assert.include(ids(active), busy.id)
        assert.notInclude(ids(active), parent.id, "idle itself")
        assert.isTrue(active.every((r) => r.status !== "idle"))
        assert.strictEqual(active.find((r) => r.id === busy.id)?.status, "busy")
        assert.includeMembers(ids(yield* jsonOf<Array<Row>>(["list", "--active", "--children"])), [busy.id, subAgent.id])

        assert.strictEqual(succeeded(yield* ocmInSandbox(["status", busy.id])), "busy\n")
        const busyReport = yield* jsonOf<StatusReport>(["status", busy.id])
        assert.strictEqual(busyReport.status, "busy")
        assert.isFalse(busyReport.idle)

        const waiting = yield* jsonOf<StatusReport>(["status", parent.id])
        assert.strictEqual(waiting.status, "idle")
        assert.isFalse(waiting.idle, "a parent with a busy sub-agent is not idle")
        assert.deepStrictEqual(waiting.subAgents, {
          total: 1,
          busy: [{ id: subAgent.id, title: subAgent.title, parentID: parent.id, status: "busy" }]
        })
        assert.strictEqual(
          succeeded(yield* ocmInSandbox(["status", parent.id])),
          `idle\nwaiting on 1 sub-agent session: ${subAgent.id} (busy)\n`
        )
        const children = yield* jsonOf<Array<Row>>(["children", parent.id])
        assert.deepStrictEqual(children.map((r) => [r.id, r.status]), [[subAgent.id, "busy"]])

        const aborted = yield* jsonOf<unknown>(["abort", busy.id])
        assert.deepStrictEqual(aborted, { sessionID: busy.id, title: busy.title, aborted: true, wasBusy: true, status: "idle" })
        assert.isUndefined((yield* client.sessionStatus({ directory: info.projectDir }))[busy.id], "the witness: no longer busy")
        const abortedHuman = succeeded(yield* ocmInSandbox(["abort", subAgent.id]))
        assert.strictEqual(abortedHuman, `aborted ${subAgent.id}: it was busy, now idle\n`)
        assert.isUndefined((yield* client.sessionStatus({ directory: info.projectDir }))[subAgent.id])

        const settled = yield* jsonOf<StatusReport>(["status", parent.id])
        assert.isTrue(settled.idle)
        assert.deepStrictEqual(settled.subAgents.busy, [])
        assert.strictEqual(succeeded(yield* ocmInSandbox(["status", busy.id])), "idle\n")
        // aborting an idle session is not an error
        assert.isFalse((yield* jsonOf<{ wasBusy: boolean }>(["abort", busy.id])).wasBusy)
      }))

    it.effect("show|get: details with stored defaults, message and child counts; list --orphans", () =>
      Effect.gen(function* () {
        const client = yield* OpenCodeClient
        const { info } = yield* Sandbox
        const tag = `show-${Date.now()}`
        const session = yield* client.createSession({ directory: info.projectDir, title: `${tag} shown` })
        yield* client.prompt(session.id, { parts: [{ type: "text", text: "Reply with ONLY SHOWN." }], agent: "proof" })
        yield* client.createSession({ directory: info.projectDir, parentID: session.id, title: `${tag} child` })
        yield* storeDefaults(session.id, { agent: "proof", model: { providerID: "scripted", modelID: "scripted" }, variant: "high" })

        const details = yield* jsonOf<Details>(["show", session.id])
        assert.strictEqual(details.id, session.id)
        assert.strictEqual(details.title, session.title)
        assert.strictEqual(details.directory, info.projectDir)
        assert.isNull(details.parentID)
        assert.strictEqual(details.status, "idle")
        assert.deepStrictEqual(details.defaults, { agent: "proof", model: "scripted/scripted", variant: "high" })
        assert.deepStrictEqual(details.messages, { user: 1, assistant: 1 })
        assert.strictEqual(details.children, 1)

        const human = succeeded(yield* ocmInSandbox(["get", `${tag} SHOWN`]))
        assert.include(human, `${session.id}  ${session.title}`)
        assert.match(human, /defaults\s+agent proof, model scripted\/scripted, variant high/)
        assert.match(human, /messages\s+1 user, 1 assistant/)
        assert.match(human, /children\s+1/)

        const bare = yield* client.createSession({ directory: info.projectDir, title: `${tag} bare` })
        const latest = yield* jsonOf<Details>(["show"])
        assert.strictEqual(latest.id, bare.id, "omitted SESSION: the latest root session here")
        assert.isNull(latest.defaults)

        const gone = yield* client.createSession({ directory: info.projectDir, title: `${tag} gone` })
        yield* storeDefaults(gone.id, { agent: "build" })
        yield* client.deleteSession(gone.id)
        const orphans = yield* jsonOf<Array<{ sessionID: string; file: string; defaults: unknown }>>(["list", "--orphans"])
        const orphan = orphans.find((o) => o.sessionID === gone.id)
        assert.deepStrictEqual(orphan, {
          sessionID: gone.id,
          file: `${configHome(info.root)}/ocm/sessions/${gone.id}.json`,
          defaults: { agent: "build", model: null, variant: null }
        })
        assert.notInclude(orphans.map((o) => o.sessionID), session.id, "its session still exists")
      }))

    it.effect("children: the child sessions with their status; none is an empty result", () =>
      Effect.gen(function* () {
        const client = yield* OpenCodeClient
        const { info } = yield* Sandbox
        const tag = `children-${Date.now()}`
        const parent = yield* client.createSession({ directory: info.projectDir, title: `${tag} parent` })
        const first = yield* client.createSession({ directory: info.projectDir, parentID: parent.id, title: `${tag} first` })
        const second = yield* client.createSession({ directory: info.projectDir, parentID: parent.id, title: `${tag} second` })
        const children = yield* jsonOf<Array<Row>>(["children", parent.id])
        assert.sameMembers(ids(children), [first.id, second.id])
        assert.isTrue(children.every((r) => r.parentID === parent.id && r.status === "idle"))
        const human = succeeded(yield* ocmInSandbox(["children", parent.id]))
        assert.include(human, `${first.id}  idle`)
        assert.include(human, second.title)
        const none = yield* ocmInSandbox(["children", first.id])
        succeeded(none)
        assert.strictEqual(none.stdout, "")
        assert.include(none.stderr, "no child sessions")
        assert.deepStrictEqual(yield* jsonOf<Array<Row>>(["children", first.id]), [])
      }))

    it.effect("todo: the list a build-agent turn wrote with todowrite, as JSON and as a checklist", () =>
      Effect.gen(function* () {
        const client = yield* OpenCodeClient
        const { info } = yield* Sandbox
        const session = yield* client.createSession({ directory: info.projectDir, title: `todo-${Date.now()}` })
        const todowrite = JSON.stringify({ todos: [{ content: "first", status: "pending", priority: "high", id: "1" }] })
        yield* client.prompt(session.id, {
          parts: [{ type: "text", text: `[[tool todowrite ${todowrite}]] Reply with ONLY OK.` }],
          agent: "build"
        })
        assert.deepStrictEqual(yield* jsonOf<Array<unknown>>(["todo", session.id]), [
          { content: "first", status: "pending", priority: "high" }
        ])
        assert.strictEqual(succeeded(yield* ocmInSandbox(["todo", session.id])), "[ ] first  (high)\n")

        const empty = yield* client.createSession({ directory: info.projectDir, title: `todo-empty-${Date.now()}` })
        assert.deepStrictEqual(yield* jsonOf<Array<unknown>>(["todo", empty.id]), [])
        assert.strictEqual(succeeded(yield* ocmInSandbox(["todo", empty.id])), "")
      }))

    it.effect("bad input exits 2 before any request; an unknown session exits 5", () =>
      Effect.gen(function* () {
        // an unreachable server would exit 3: exit 2 proves the check ran before any request
        const nowhere = ["--url", "http://127.0.0.1:9"]
        for (const args of [
          ["list", "--limit", "0"],
          ["list", "--limit", "-3"],
          ["list", "--limit", "1.5"],
          ["list", "--sort", "size"],
          ["list", "--all", "some/dir"],
          ["ls", "--orphans", "--active"]
        ]) {
          const run = yield* ocmInSandbox([...args, ...nowhere])
          failsWith(run, 2, `InvalidInput: ocm ${args.join(" ")}`)
        }
        const limitZero = yield* ocmInSandbox(["list", "--limit", "0", "--json"])
        failsWith(limitZero, 2, "InvalidInput")
        assert.strictEqual((JSON.parse(limitZero.stdout) as { error: { tag: string } }).error.tag, "InvalidInput")

        const unknown = `ses_doesnotexist${Date.now()}`
        for (const command of ["show", "get", "status", "children", "todo", "abort"]) {
          failsWith(yield* ocmInSandbox([command, unknown]), 5, `SessionNotFound: ${command}`)
        }
        const byTitle = yield* ocmInSandbox(["abort", `no-such-title-${Date.now()}`, "--json"])
        failsWith(byTitle, 5, "SessionNotFound")
        assert.strictEqual((JSON.parse(byTitle.stdout) as { error: { tag: string } }).error.tag, "SessionNotFound")
      }))
  })
})
