/**
 * `ocm prove` through the built bin, on real sandboxes: every step kind and every expectation kind
 * (fixtures/scenarios), two scenarios at once, a scenario that fails on purpose (exit 16, expected against actual,
 * a JUnit failure, the session's transcript), NDJSON, a malformed file (exit 2 with its line, nothing started), and
 * Ctrl-C (exit 130, no process of any sandbox or step left).
 */
import * as Command from "@effect/platform/Command"
import * as FileSystem from "@effect/platform/FileSystem"
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Schedule from "effect/Schedule"
import * as Stream from "effect/Stream"
import { readdirSync, readFileSync, readlinkSync } from "node:fs"
import { PlatformLayer } from "../layers/TestLayers.js"
import { cleanEnvironment, ocmBin, repoRoot, runOcm } from "./support/cli.js"

const scenarios = `${repoRoot}fixtures/scenarios`

/** Alive and not a zombie. */
const alive = (pid: number) => {
  try {
    return !/^\d+ \(.*\) Z /.test(readFileSync(`/proc/${pid}/stat`, "utf8"))
  } catch {
    return false
  }
}

/** Live processes working in `dir` (or below it) or whose environment has `TMPDIR=dir`: a sandbox's, a step's. */
const processesIn = (dir: string) =>
  readdirSync("/proc")
    .filter((entry) => /^\d+$/.test(entry) && alive(Number(entry)))
    .flatMap((pid) => {
      // a process can end while it is looked at: then it is not there
      try {
        const inDir =
          readlinkSync(`/proc/${pid}/cwd`).startsWith(dir) ||
          readFileSync(`/proc/${pid}/environ`, "utf8").split("\0").includes(`TMPDIR=${dir}`)
        return inDir ? [`${pid}: ${readFileSync(`/proc/${pid}/cmdline`, "utf8").replace(/\0/g, " ")}`] : []
      } catch {
        return []
      }
    })

/** A TMPDIR of its own (every sandbox's dirs and processes show there) and a state home no sandbox of the user's is in. */
const isolated = Effect.gen(function* () {
  const fs = yield* FileSystem.FileSystem
  const tmp = yield* fs.makeTempDirectoryScoped({ prefix: "ocm-prove-test-tmp-" })
  const stateHome = yield* fs.makeTempDirectoryScoped({ prefix: "ocm-prove-test-state-" })
  return { tmp, env: cleanEnvironment({ TMPDIR: tmp, XDG_STATE_HOME: stateHome, XDG_CONFIG_HOME: `${stateHome}/config` }) }
})

const ndjson = (text: string) =>
  text
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line) as Record<string, unknown>)

describe("ocm prove", () => {
  it.live(
    "two scenarios at once: every step kind and expectation passes, the one that fails on purpose exits 16 with its diff, JUnit and transcript",
    () =>
      Effect.gen(function* () {
        const fs = yield* FileSystem.FileSystem
        const { tmp, env } = yield* isolated
        const junit = `${tmp}/report/junit.xml`
        const reports = `${tmp}/transcripts`
        yield* fs.makeDirectory(`${tmp}/report`)
        const run = yield* runOcm(
          ["prove", "--jobs", "2", "--junit", junit, "--reports", reports, `${scenarios}/turns.yaml`, `${scenarios}/failing.yaml`],
          env,
          tmp
        )
        assert.strictEqual(run.code, 16, `${run.stdout}\n${run.stderr}`)
        assert.strictEqual(run.stderr.trim(), "ocm: 1 of 2 scenarios failed: failing")

        // a line per step as it is proved
        const passed = run.stdout.split("\n").filter((line) => line.startsWith("✓ turns › "))
        assert.lengthOf(passed, 14, run.stdout)
        assert.include(run.stdout, "✓ turns › 1. begin a session (")
        assert.include(run.stdout, "✓ turns › 10. a session that does not exist (")
        assert.include(run.stdout, "✓ turns: 14 steps passed")

        // the failure: each check that did not hold, expected against actual, and where the transcript is
        assert.match(
          run.stdout,
          /✗ failing › 1\. ocm begin-session "Reply with ONLY READY\." --agent proof \(\d+\.\ds\)\n    ran: ocm begin-session 'Reply with ONLY READY\.' --agent proof --json\n    reply equals\n      expected: "NOT READY"\n      actual: {3}"READY"\n    transcript: /
        )
        assert.notInclude(run.stdout, "assistant messages", "the checks that held are not listed")
        assert.include(run.stdout, `- failing › 2. ocm final \${session} "Reply with ONLY DONE." (not run)`)
        assert.include(run.stdout, "✗ failing: step 1 of 2 failed, 1 not run")
        assert.match(run.stdout, /2 scenarios: 1 passed, 1 failed \(\d+\.\ds\)\nJUnit report: /)
        const transcript = /transcript: (\S+)/.exec(run.stdout)![1]!
        assert.isTrue(transcript.startsWith(`${reports}/failing-step1-ses_`), transcript)
        const markdown = yield* fs.readFileString(transcript)
        assert.include(markdown, "Reply with ONLY READY.")
        assert.include(markdown, "READY")

        const xml = yield* fs.readFileString(junit)
        assert.match(xml, /<testsuites name="ocm prove" tests="16" failures="1" errors="0" skipped="1" time="[\d.]+">/)
        assert.match(xml, /<testsuite name="turns" file="[^"]*turns\.yaml" time="[\d.]+" tests="14" failures="0" errors="0" skipped="0">/)
        assert.include(xml, '<failure message="reply equals: expected &quot;NOT READY&quot;, actual &quot;READY&quot;" type="ScenarioFailed">')
        assert.include(xml, '<skipped message="not run: an earlier step failed"/>')

        // both sandboxes are stopped and gone; what is left is what was asked for
        assert.deepStrictEqual(processesIn(tmp), [])
        assert.deepStrictEqual((yield* fs.readDirectory(tmp)).sort(), ["report", "transcripts"])
      }).pipe(Effect.scoped, Effect.provide(PlatformLayer)),
    { timeout: 420_000 }
  )

  it.live("--json: an NDJSON event per step and per scenario, then the result line (tools, todo, diff, a permission, abort)", () =>
    Effect.gen(function* () {
      const fs = yield* FileSystem.FileSystem
      const { tmp, env } = yield* isolated
      const run = yield* runOcm(["prove", "--json", `${scenarios}/tools.yaml`], env, tmp)
      assert.strictEqual(run.code, 0, `${run.stdout}\n${run.stderr}`)
      const events = ndjson(run.stdout)
      const steps = events.filter((event) => event["type"] === "step")
      assert.deepStrictEqual(
        steps.map((step) => [step["index"], step["status"], step["failures"]]),
        [1, 2, 3, 4, 5, 6, 7].map((index) => [index, "passed", []])
      )
      const tooled = steps[1]!
      assert.strictEqual(tooled["label"], "todo, a file and a bash call")
      assert.deepStrictEqual(tooled["outcome"], { code: 0 })
      assert.isAtLeast(tooled["passedChecks"] as number, 12)
      assert.match(tooled["session"] as string, /^ses_/)
      assert.deepInclude(events.at(-2)!, { type: "scenario", scenario: "tools", status: "passed", error: null })
      assert.deepInclude(events.at(-1)!, { type: "result", ok: true, total: 1, passed: 1, failed: 0, errors: 0, junit: null })
      assert.deepStrictEqual(processesIn(tmp), [])
      assert.deepStrictEqual(yield* fs.readDirectory(tmp), [], "no sandbox dir, no reports: nothing failed")
    }).pipe(Effect.scoped, Effect.provide(PlatformLayer)), { timeout: 300_000 })

  it.live("a malformed file, or a step that is no session command, is exit 2 with its line before anything starts", () =>
    Effect.gen(function* () {
      const fs = yield* FileSystem.FileSystem
      const { tmp, env } = yield* isolated
      yield* fs.writeFileString(`${tmp}/broken.yaml`, "name: broken\nsteps:\n  - ocm: ping\n    expect:\n      reply: { contain: x }\n")
      const broken = yield* runOcm(["prove", "broken.yaml", `${scenarios}/turns.yaml`], env, tmp)
      assert.strictEqual(broken.code, 2)
      assert.strictEqual(broken.stdout, "")
      assert.strictEqual(
        broken.stderr,
        'ocm: broken.yaml:5: steps[0].expect.reply.contain: is unexpected, expected: "equals" | "contains" | "excludes" | "matches"\n'
      )
      yield* fs.writeFileString(`${tmp}/nested.yaml`, "steps:\n  - ocm: ping\n  - ocm: sandbox up\n")
      const nested = yield* runOcm(["prove", "--json", "nested.yaml"], env, tmp)
      assert.strictEqual(nested.code, 2)
      assert.deepStrictEqual(JSON.parse(nested.stdout), {
        error: {
          tag: "InvalidInput",
          message: 'nested.yaml:3: steps[1].ocm: a step cannot run "ocm sandbox": each scenario runs on its own sandbox already',
          exitCode: 2
        }
      })
      const jobs = yield* runOcm(["prove", "--jobs", "0", "nested.yaml"], env, tmp)
      assert.strictEqual(jobs.code, 2)
      assert.include(jobs.stderr, "--jobs must be 1 or more, got 0")
      // nothing was started: no sandbox dir was ever made
      assert.deepStrictEqual((yield* fs.readDirectory(tmp)).sort(), ["broken.yaml", "nested.yaml"])
    }).pipe(Effect.scoped, Effect.provide(PlatformLayer)), { timeout: 120_000 })

  it.live("a sandbox that cannot start is exit 14, the scenario an error in the report and in JUnit", () =>
    Effect.gen(function* () {
      const fs = yield* FileSystem.FileSystem
      const { tmp, env } = yield* isolated
      yield* fs.writeFileString(`${tmp}/nobin.yaml`, "name: nobin\nsandbox: { opencodeBin: ./no-such-opencode }\nsteps:\n  - ocm: ping\n")
      const run = yield* runOcm(["prove", "--junit", "junit.xml", "nobin.yaml"], env, tmp)
      assert.strictEqual(run.code, 14, `${run.stdout}\n${run.stderr}`)
      assert.match(run.stdout, /^✗ nobin: the sandbox could not start: .*no-such-opencode/)
      assert.match(run.stdout, /1 scenario: 0 passed, 0 failed, 1 could not start/)
      assert.match(run.stderr, /^ocm: sandbox: nobin: .*no-such-opencode/)
      assert.match(yield* fs.readFileString(`${tmp}/junit.xml`), /<error message="the sandbox could not start: [^"]*no-such-opencode[^"]*" type="SandboxError">/)
    }).pipe(Effect.scoped, Effect.provide(PlatformLayer)), { timeout: 120_000 })

  it.live("Ctrl-C while two scenarios run: exit 130, and no sandbox, server or step process is left", () =>
    Effect.gen(function* () {
      const fs = yield* FileSystem.FileSystem
      const { tmp, env } = yield* isolated
      yield* fs.writeFileString(
        `${tmp}/sleeper.yaml`,
        "name: sleeper\nsteps:\n  - ocm: ping\n  - shell: sleep 600 & sleep 601; wait\n"
      )
      yield* fs.writeFileString(
        `${tmp}/slow.yaml`,
        "name: slow\nsteps:\n  - ocm: ping\n  - ocm: one-shot '[[slow 300]] Reply with ONLY LATE.' --agent proof\n"
      )
      const prove = yield* Command.start(
        Command.make(process.execPath, ocmBin, "prove", "--jobs", "2", "sleeper.yaml", "slow.yaml").pipe(
          Command.env(env),
          Command.workingDirectory(tmp)
        )
      )
      const stdout: Array<string> = []
      yield* prove.stdout.pipe(
        Stream.decodeText(),
        Stream.runForEach((text) => Effect.sync(() => void stdout.push(text))),
        Effect.fork
      )
      const stderr = yield* prove.stderr.pipe(Stream.decodeText(), Stream.mkString, Effect.fork)
      // both scenarios are past their first step, and the shell step's sleeps are running in the sleeper's project
      const sleeping = Effect.sync(() => processesIn(tmp).filter((line) => /: sleep 60[01] $/.test(line)).length === 2)
      const bothRunning = Effect.sync(() => {
        const text = stdout.join("")
        return text.includes("✓ sleeper › 1.") && text.includes("✓ slow › 1.")
      })
      yield* Effect.all([bothRunning, sleeping]).pipe(
        Effect.repeat({ schedule: Schedule.spaced("100 millis"), until: ([running, asleep]) => running && asleep }),
        Effect.timeout("180 seconds")
      )
      process.kill(prove.pid, "SIGINT")
      const code = yield* prove.exitCode
      assert.strictEqual(Number(code), 130, `${stdout.join("")}\n${yield* Fiber.join(stderr)}`)
      assert.deepStrictEqual(processesIn(tmp), [], "no process of either sandbox or of the shell step is left")
      assert.deepStrictEqual((yield* fs.readDirectory(tmp)).sort(), ["sleeper.yaml", "slow.yaml"], "the sandboxes' dirs were removed")
    }).pipe(Effect.scoped, Effect.provide(PlatformLayer)), { timeout: 300_000 })
})
