/**
 * Running scenarios: each on a fresh sandbox of its own (started through SandboxStarter, stopped with its scope,
 * Ctrl-C included), its steps in order, each step's expectations judged, its captures kept for the steps after
 * it. A scenario stops at its first failed step; the steps after it are reported as not run.
 */
import * as Path from "@effect/platform/Path"
import * as Clock from "effect/Clock"
import * as Config from "effect/Config"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import { InProcessCli } from "../../services/InProcessCli.js"
import { OpenCodeConnector, type OpenCodeClientShape } from "../../services/OpenCodeClient.js"
import { type SandboxShape, type SandboxStart, sandboxEnvironment, SandboxStarter } from "../../services/Sandbox.js"
import { SandboxError } from "../domain/Errors.js"
import { portableConfig } from "../local/SandboxWorld.js"
import { type CheckResult, jsonChecks, outcomeCheck, readsLiveState, show, type StepOutcome, textChecks } from "./Expect.js"
import { eventType, liveChecks, type Observable, type Window } from "./Observe.js"
import { DEFAULT_STEP_TIMEOUT_SECONDS, DEFAULT_WITHIN_SECONDS, type Expect, type Scenario, type Step, stepKind, type StepKind } from "./Scenario.js"
import type { LoadedScenario } from "./ScenarioFile.js"
import { runStep, type StepExecution, stepLabel, type StepWorld } from "./Steps.js"
import { asText, lookup, substituteDeep } from "./Template.js"

export interface StepReport {
  readonly _tag: "Step"
  readonly scenario: string
  readonly file: string
  /** 1-based. */
  readonly index: number
  readonly label: string
  readonly kind: StepKind
  readonly status: "passed" | "failed" | "skipped"
  readonly durationMs: number
  /** What ran, variables filled in. */
  readonly ran?: string | undefined
  readonly outcome?: StepOutcome | undefined
  /** How many checks held. */
  readonly passedChecks: number
  /** The checks that did not hold, expected against actual. */
  readonly failures: ReadonlyArray<CheckResult>
  /** The session the step was about. */
  readonly session?: string | undefined
  /** The transcript of that session, written when the step failed. */
  readonly transcript?: string | undefined
}

export interface ScenarioReport {
  readonly _tag: "Scenario"
  readonly scenario: string
  readonly file: string
  /** `error`: its sandbox could not start, so nothing was proved. */
  readonly status: "passed" | "failed" | "error"
  readonly error?: string | undefined
  readonly steps: ReadonlyArray<StepReport>
  readonly durationMs: number
}

export interface ScenarioRunOptions {
  /** The environment shell steps start from (the sandbox's variables are put over it). */
  readonly environment: Readonly<Record<string, string>>
  /** Where the transcript of a failing step's session goes (made when first needed). */
  readonly reportsDir: Effect.Effect<string, { readonly message: string }>
}

/** The end of a run of scenarios. */
export interface ProveResult {
  readonly _tag: "Result"
  readonly scenarios: ReadonlyArray<ScenarioReport>
  readonly passed: number
  readonly failed: number
  /** Scenarios whose sandbox could not start. */
  readonly errors: number
  readonly durationMs: number
  /** The JUnit report, when one was written. */
  readonly junit?: string | undefined
}

/** What `ocm prove` tells as it goes: each step, each scenario, then the result. */
export type ProveEvent = StepReport | ScenarioReport | ProveResult

/**
 * The sandbox a scenario asks for, in the options of SandboxStarter (paths read against the scenario's file: a
 * config written into the scenario has its `./` plugin entries and `{file:…}` read from there too, as a config
 * file's are from its own directory).
 */
export const sandboxStartOf = (scenario: Scenario, scenarioDir: string) =>
  Effect.gen(function* () {
    const path = yield* Path.Path
    const config = scenario.sandbox?.config
    const home = yield* Config.string("HOME").pipe(Effect.orElseSucceed(() => scenarioDir))
    return sandboxOptionsOf(
      scenario,
      scenarioDir,
      path,
      typeof config === "object" ? yield* portableConfig(config, scenarioDir, home) : config
    )
  })

const sandboxOptionsOf = (
  scenario: Scenario,
  scenarioDir: string,
  path: Path.Path,
  config: string | Readonly<Record<string, unknown>> | undefined
): SandboxStart => {
  const section = scenario.sandbox ?? {}
  const resolve = (file: string) => path.resolve(scenarioDir, file)
  const options: Record<string, unknown> = {}
  if (section.keep !== undefined) options["keep"] = section.keep
  if (section.opencodeBin !== undefined) options["opencodeBin"] = section.opencodeBin.includes("/") ? resolve(section.opencodeBin) : section.opencodeBin
  if (section.model !== undefined) options["realModel"] = section.model
  if (section.project !== undefined) options["project"] = resolve(section.project)
  if (section.inPlace !== undefined) options["inPlace"] = section.inPlace
  if (config !== undefined) options["config"] = typeof config === "string" ? resolve(config) : config
  if (section.plugins !== undefined) options["plugins"] = section.plugins.map(resolve)
  if (scenario.model !== undefined) options["script"] = scenario.model
  return options as SandboxStart
}

/** What the steps of a scenario see of its sandbox: the same home, state and server for ocm and the shell. */
export const worldOf = (sandbox: SandboxShape, base: Readonly<Record<string, string>>, variables: Readonly<Record<string, string>>): StepWorld => {
  const { info } = sandbox
  const home = {
    HOME: info.home,
    XDG_CONFIG_HOME: `${info.home}/.config`,
    XDG_DATA_HOME: `${info.home}/.local/share`,
    XDG_STATE_HOME: `${info.home}/.local/state`,
    XDG_CACHE_HOME: `${info.home}/.cache`
  }
  const inherited = Object.fromEntries(Object.entries(base).filter(([key]) => !/^(OPENCODE|OCM|XDG)_/.test(key) && key !== "HOME"))
  return {
    projectDir: info.projectDir,
    ocmEnvironment: { PATH: base["PATH"] ?? "/usr/bin:/bin", ...home, ...sandboxEnvironment(info) },
    shellEnvironment: { ...inherited, ...home, ...sandboxEnvironment(info) },
    variables
  }
}

const slug = (text: string) => text.replace(/[^A-Za-z0-9._-]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 60) || "scenario"

/** The checks of a step that read what it returned: its outcome, reply and document. */
const stepChecks = (expect: Expect | undefined, execution: StepExecution): ReadonlyArray<CheckResult> => [
  outcomeCheck(expect?.outcome, execution.outcome),
  ...(expect?.reply === undefined ? [] : textChecks("reply", expect.reply, execution.reply)),
  ...(expect?.json === undefined ? [] : jsonChecks(expect.json, execution.document))
]

/** The live checks, looked at again (every 250 ms) until they all hold or `within` runs out. */
const settledLiveChecks = (expect: Expect, session: string | undefined, world: Observable, window: Window) =>
  Effect.gen(function* () {
    const deadline = (yield* Clock.currentTimeMillis) + (expect.within ?? DEFAULT_WITHIN_SECONDS) * 1000
    for (;;) {
      const checks = yield* liveChecks(expect, session, world, window)
      if (checks.every((check) => check.ok) || (yield* Clock.currentTimeMillis) >= deadline) return checks
      yield* Effect.sleep("250 millis")
    }
  })

interface Running {
  readonly loaded: LoadedScenario
  readonly sandbox: SandboxShape
  readonly observable: Observable
  readonly variables: Record<string, string>
  readonly options: ScenarioRunOptions
}

/** One step: run (bounded by its timeout), capture, judge; on failure, its session's transcript. */
const proveStep = (running: Running, step: Step, index: number) =>
  Effect.gen(function* () {
    const { loaded, observable, variables } = running
    const started = yield* Clock.currentTimeMillis
    const window: Window = {
      events: observable.events().length,
      requests: (yield* Effect.orElseSucceed(running.sandbox.modelRequests, () => [])).length
    }
    const seconds = step.timeout ?? loaded.scenario.timeout ?? DEFAULT_STEP_TIMEOUT_SECONDS
    const world = worldOf(running.sandbox, running.options.environment, variables)
    const execution = yield* runStep(step, world).pipe(
      Effect.timeoutTo({
        duration: Duration.seconds(seconds),
        onSuccess: (execution): StepExecution => execution,
        onTimeout: (): StepExecution => ({
          outcome: { code: 124, tag: "WaitTimeout", message: `the step did not finish within ${seconds}s (its timeout)` },
          document: undefined,
          reply: undefined,
          session: undefined,
          ran: stepLabel(step)
        })
      })
    )

    const failures: Array<CheckResult> = []
    let passed = 0
    const judge = (checks: ReadonlyArray<CheckResult>) => {
      for (const check of checks) check.ok ? passed++ : failures.push(check)
    }
    for (const [name, path] of Object.entries(step.capture ?? {})) {
      const value = lookup(execution.document, path)
      if (value === undefined || value === null) {
        failures.push({ check: `capture ${name}`, ok: false, expected: `a value at ${path}`, actual: `the step's document: ${show(execution.document)}` })
      } else {
        variables[name] = asText(value)
        passed++
      }
    }
    const filled = step.expect === undefined ? undefined : substituteDeep(step.expect, variables)
    const expect = filled !== undefined && "value" in filled ? (filled.value as Expect) : step.expect
    judge(stepChecks(expect, execution))
    const session = execution.session ?? variables["session"]
    if (expect !== undefined && readsLiveState(expect)) judge(yield* settledLiveChecks(expect, session, observable, window))

    const about = expect?.session?.id ?? session
    const transcript = failures.length === 0 || about === undefined ? undefined : yield* transcriptOf(running, about, index)
    const report: StepReport = {
      _tag: "Step",
      scenario: loaded.name,
      file: loaded.file,
      index: index + 1,
      label: stepLabel(step),
      kind: stepKind(step),
      status: failures.length === 0 ? "passed" : "failed",
      durationMs: (yield* Clock.currentTimeMillis) - started,
      ran: execution.ran,
      outcome: execution.outcome,
      passedChecks: passed,
      failures,
      session: about,
      transcript
    }
    return report
  })

/** Writes the session's transcript (Markdown) into the reports dir, through `ocm transcript`; its path, or why not. */
const transcriptOf = (running: Running, session: string, index: number) =>
  Effect.gen(function* () {
    const cli = yield* InProcessCli
    const made = yield* Effect.either(running.options.reportsDir)
    if (made._tag === "Left") return `none (${made.left.message})`
    const dir = made.right
    const file = `${dir}/${slug(running.loaded.name)}-step${index + 1}-${slug(session)}.md`
    const world = worldOf(running.sandbox, running.options.environment, running.variables)
    const written = yield* cli.run(["transcript", session, "--output", file], { cwd: world.projectDir, environment: world.ocmEnvironment })
    return written.code === 0 ? file : `none (${written.message ?? `ocm transcript exited ${written.code}`})`
  })

const skipped = (loaded: LoadedScenario, step: Step, index: number): StepReport => ({
  _tag: "Step",
  scenario: loaded.name,
  file: loaded.file,
  index: index + 1,
  label: stepLabel(step),
  kind: stepKind(step),
  status: "skipped",
  durationMs: 0,
  passedChecks: 0,
  failures: []
})

const CONFIRM_SECONDS = 30

/**
 * Waits until the subscription really receives the server's events: OpenCode 1.18.33 sends `server.connected`
 * before it listens to its own bus, so an event published right after it can be lost (measured: a session created
 * on `server.connected` went unseen 6 times in 15). A toast of ours (`tui.toast.show`, nothing else happens without a
 * TUI), sent again each second until one arrives, shows that every later event will; it comes before the first
 * step's window. False when none arrived within CONFIRM_SECONDS.
 */
const confirmSubscription = (client: OpenCodeClientShape, directory: string, events: () => ReadonlyArray<string>) =>
  Effect.gen(function* () {
    const deadline = (yield* Clock.currentTimeMillis) + CONFIRM_SECONDS * 1000
    const seen = () => events().includes("tui.toast.show")
    while ((yield* Clock.currentTimeMillis) < deadline) {
      yield* Effect.ignore(client.showToast({ title: "ocm prove", message: "subscribed", variant: "info" }, { directory }))
      for (let look = 0; look < 10 && !seen(); look++) yield* Effect.sleep("100 millis")
      if (seen()) return true
    }
    return false
  })

/**
 * Runs one scenario on a sandbox of its own, telling `publish` each step as it is proved. Never fails: a sandbox
 * that cannot start is the report's `error`; an interruption (Ctrl-C) stops the sandbox and goes on up.
 */
export const runScenario = (loaded: LoadedScenario, options: ScenarioRunOptions, publish: (step: StepReport) => Effect.Effect<void>) =>
  Effect.scoped(
    Effect.gen(function* () {
      const starter = yield* SandboxStarter
      const connector = yield* OpenCodeConnector
      const started = yield* Clock.currentTimeMillis
      const ended = (status: ScenarioReport["status"], steps: ReadonlyArray<StepReport>, error?: string) =>
        Effect.map(Clock.currentTimeMillis, (now): ScenarioReport => ({
          _tag: "Scenario",
          scenario: loaded.name,
          file: loaded.file,
          status,
          error,
          steps,
          durationMs: now - started
        }))

      const scenarioDir = loaded.directory
      const sandbox = yield* Effect.either(starter.start(yield* sandboxStartOf(loaded.scenario, scenarioDir)))
      if (sandbox._tag === "Left") {
        return yield* ended("error", [], sandbox.left._tag === "SandboxError" ? sandbox.left.reason : sandbox.left.message)
      }
      const { info } = sandbox.right
      const client = yield* connector.connect({ url: info.url, rule: "sandbox", username: "opencode", password: undefined })
      // one subscription for the whole scenario, from before its first step: every step's window is in it
      const subscription = yield* Effect.either(client.subscribe)
      if (subscription._tag === "Left") return yield* ended("error", [], `cannot subscribe to the sandbox's events: ${subscription.left.message}`)
      const events: Array<string> = []
      yield* subscription.right.events.pipe(
        Stream.runForEach((event) => Effect.sync(() => void events.push(eventType(event.payload)))),
        Effect.ignore,
        Effect.forkScoped
      )
      if (!(yield* confirmSubscription(client, info.projectDir, () => events))) {
        return yield* ended("error", [], `the sandbox's event stream showed no event of ours within ${CONFIRM_SECONDS}s`)
      }
      const running: Running = {
        loaded,
        sandbox: sandbox.right,
        observable: { client, sandbox: sandbox.right, projectDir: info.projectDir, events: () => events },
        variables: {
          project: info.projectDir,
          url: info.url,
          modelUrl: info.modelUrl,
          root: info.root,
          home: info.home,
          scenarioDir
        },
        options
      }
      const reports: Array<StepReport> = []
      const steps = loaded.scenario.steps
      for (let index = 0; index < steps.length; index++) {
        const report = yield* proveStep(running, steps[index]!, index)
        reports.push(report)
        yield* publish(report)
        if (report.status === "failed") {
          for (let rest = index + 1; rest < steps.length; rest++) {
            const notRun = skipped(loaded, steps[rest]!, rest)
            reports.push(notRun)
            yield* publish(notRun)
          }
          return yield* ended("failed", reports)
        }
      }
      return yield* ended("passed", reports)
    })
  )

/** The failure a run of scenarios ends with: a sandbox that could not start wins, then a failed expectation. */
export const sandboxFailure = (reports: ReadonlyArray<ScenarioReport>) => {
  const broken = reports.filter((report) => report.status === "error")
  return broken.length === 0
    ? undefined
    : new SandboxError({ reason: `${broken.map((report) => `${report.scenario}: ${report.error}`).join("; ")}` })
}


