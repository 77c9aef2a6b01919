/**
 * `opencode-manager/testing`: `ocm prove`'s scenarios for a TypeScript author's own tests. Run a scenario (a file
 * or a value) on a fresh sandbox and get its report; or take a configured sandbox as a layer (for @effect/vitest's
 * `layer`) and run ocm command lines against it as a scenario's steps run them.
 */
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as OpenCodeClientLive from "../layers/OpenCodeClientLive.js"
import * as PlatformLive from "../layers/PlatformLive.js"
import * as SandboxLive from "../layers/SandboxLive.js"
import { InProcessCli } from "../services/InProcessCli.js"
import { ProcessHost } from "../services/ProcessHost.js"
import { Sandbox } from "../services/Sandbox.js"
import type { ModelScript } from "../services/ScriptedModel.js"
import { ocm as ocmTree } from "./cli/Cli.js"
import { InvalidInput } from "./domain/Errors.js"
import * as InProcess from "./cli/InProcess.js"
import { reportsDirOnce } from "./programs/prove.js"
import { eventText } from "./prove/Report.js"
import { runScenario as runLoaded, type ScenarioReport, sandboxStartOf, worldOf } from "./prove/Runner.js"
import type { SandboxSection, Scenario } from "./prove/Scenario.js"
import { checkScenario, formatPath, loadScenario, scenarioFromValue } from "./prove/ScenarioFile.js"
import { runStep, type StepExecution } from "./prove/Steps.js"

export type { CheckResult, StepOutcome } from "./prove/Expect.js"
export type { ScenarioReport, StepReport } from "./prove/Runner.js"
export type { Expect, SandboxSection, Scenario, Step } from "./prove/Scenario.js"
export type { StepExecution } from "./prove/Steps.js"
export { InProcessCli, type CliRun, type InProcessCliShape } from "../services/InProcessCli.js"

const environment = (): Readonly<Record<string, string>> =>
  Object.fromEntries(Object.entries(process.env).filter((entry): entry is [string, string] => entry[1] !== undefined))

/** ocm's command tree, run in this process. */
const inProcessCli = InProcess.layer(() => ocmTree)

/** Everything a scenario runs on: Node's platform, sandboxes started for it, clients of them, ocm's commands. */
const scenarioLayer = Layer.mergeAll(SandboxLive.starter, OpenCodeClientLive.connector, inProcessCli).pipe(
  Layer.provideMerge(PlatformLive.layer)
)

export interface RunScenarioOptions {
  /** Where the transcript of a failing step's session goes (default: a new temp dir `ocm-prove-*`, made when needed). */
  readonly reports?: string | undefined
}

/**
 * Runs one scenario — a file (YAML or JSON), or a value of the same shape whose relative paths are read against the
 * current directory — on a fresh sandbox that is stopped when it ends, and returns its report. A scenario that
 * cannot run is an InvalidInput; one whose expectation did not hold is a report with `status: "failed"`
 * (`reportText` shows it as `ocm prove` does), one whose sandbox could not start `status: "error"`.
 */
export const runScenario = (scenario: string | Scenario, options: RunScenarioOptions = {}) =>
  Effect.gen(function* () {
    const cli = yield* InProcessCli
    const host = yield* ProcessHost
    const loaded =
      typeof scenario === "string"
        ? yield* loadScenario(scenario, { commandProblem: cli.problem })
        : yield* scenarioFromValue(scenario, host.cwd, { commandProblem: cli.problem })
    const reportsDir = yield* reportsDirOnce(options.reports)
    return yield* runLoaded(loaded, { environment: environment(), reportsDir }, () => Effect.void)
  }).pipe(Effect.provide(scenarioLayer))

/** A scenario's report as `ocm prove` prints it: a line per step (a failure: expected against actual), then its verdict. */
export const reportText = (report: ScenarioReport): string => [...report.steps.map(eventText), eventText(report)].join("\n")

/**
 * A sandbox configured as a scenario's `sandbox:` section configures it (and `script`, the model's script), a client
 * of it, and ocm's commands in-process: a layer for @effect/vitest's `layer`, or for `Effect.provide`.
 */
export const sandboxLayer = (options: SandboxSection & { readonly script?: ModelScript | undefined } = {}) => {
  const { script, ...sandbox } = options
  const scenario: Scenario = { sandbox, ...(script === undefined ? {} : { model: script }), steps: [] }
  const pending = checkScenario(scenario)[0]
  return Layer.unwrapEffect(
    pending !== undefined
      ? Effect.fail(new InvalidInput({ message: `sandboxLayer: ${formatPath(pending.path)}: ${pending.message}` }))
      : Effect.map(sandboxStartOf(scenario, process.cwd()), (start) =>
          SandboxLive.client().pipe(
            Layer.provideMerge(SandboxLive.layer(start as SandboxLive.SandboxOptions)),
            Layer.provideMerge(inProcessCli),
            Layer.provideMerge(PlatformLive.layer)
          )
        ).pipe(Effect.provide(PlatformLive.layer))
  )
}

/**
 * Runs an ocm command line against the sandbox in context, as a scenario's `ocm:` step runs it: in this process, in
 * the sandbox's project and home, with `--json` when the command has it. Its outcome, document and reply.
 */
export const ocm = (...words: ReadonlyArray<string>): Effect.Effect<StepExecution, never, Sandbox | InProcessCli> =>
  Effect.flatMap(Sandbox, (sandbox) =>
    runStep({ ocm: [words[0] ?? "", ...words.slice(1)] }, worldOf(sandbox, environment(), {})).pipe(Effect.provide(PlatformLive.layer))
  )
