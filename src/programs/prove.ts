/**
 * `ocm prove FILE|DIR…`: every scenario file is read and checked first (one that cannot run is bad input before
 * anything starts), then each scenario runs on a fresh sandbox of its own, `jobs` at a time, each step told as it
 * is proved. The run ends with its result, then ScenarioFailed (exit 16) when an expectation did not hold, or a
 * SandboxError (exit 14) when a sandbox could not start.
 */
import * as FileSystem from "@effect/platform/FileSystem"
import * as Path from "@effect/platform/Path"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Mailbox from "effect/Mailbox"
import * as Stream from "effect/Stream"
import { InProcessCli } from "../../services/InProcessCli.js"
import { InvalidInput, type SandboxError, ScenarioFailed } from "../domain/Errors.js"
import { writeFileAtomic } from "../local/Files.js"
import { junitXml } from "../prove/Report.js"
import { type ProveEvent, type ProveResult, runScenario, sandboxFailure } from "../prove/Runner.js"
import { type LoadedScenario, loadScenario, scenarioFiles } from "../prove/ScenarioFile.js"

export interface ProveOptions {
  /** How many scenarios run at once (each is one sandbox: one opencode server). */
  readonly jobs: number
  /** Write a JUnit XML report here (atomically). */
  readonly junit?: string | undefined
  /** Where transcripts of failing steps go; default: a new temp dir `ocm-prove-*`, made when first needed. */
  readonly reports?: string | undefined
  /** The environment shell steps start from. */
  readonly environment: Readonly<Record<string, string>>
}

/** Reads and checks every scenario named; the first that cannot run is the failure. */
export const loadScenarios = (args: ReadonlyArray<string>) =>
  Effect.gen(function* () {
    const cli = yield* InProcessCli
    const files = yield* scenarioFiles(args)
    return yield* Effect.forEach(files, (file) => loadScenario(file, { commandProblem: cli.problem }))
  })

const reportsDirectory = (reports: string | undefined) =>
  Effect.gen(function* () {
    const fs = yield* FileSystem.FileSystem
    const path = yield* Path.Path
    if (reports === undefined) return yield* fs.makeTempDirectory({ prefix: "ocm-prove-" })
    const dir = path.resolve(reports)
    yield* fs.makeDirectory(dir, { recursive: true })
    return dir
  })

/** The reports dir, made the first time a failing step needs it (and only then). */
export const reportsDirOnce = (reports: string | undefined) =>
  Effect.gen(function* () {
    const fs = yield* FileSystem.FileSystem
    const path = yield* Path.Path
    return yield* Effect.cached(
      reportsDirectory(reports).pipe(Effect.provideService(FileSystem.FileSystem, fs), Effect.provideService(Path.Path, path))
    )
  })

/** Runs loaded scenarios, telling each step, each scenario and the result as they come. */
export const runScenarios = (loaded: ReadonlyArray<LoadedScenario>, options: ProveOptions) =>
  Stream.unwrapScoped(
    Effect.gen(function* () {
      const path = yield* Path.Path
      const reportsDir = yield* reportsDirOnce(options.reports)
      const mailbox = yield* Mailbox.make<ProveEvent, ScenarioFailed | SandboxError | InvalidInput>()
      const publish = (event: ProveEvent) => Effect.asVoid(mailbox.offer(event))
      const all = Effect.gen(function* () {
        const started = yield* Clock.currentTimeMillis
        const reports = yield* Effect.forEach(
          loaded,
          (scenario) =>
            runScenario(scenario, { environment: options.environment, reportsDir }, publish).pipe(Effect.tap(publish)),
          { concurrency: Math.max(1, options.jobs) }
        )
        const failed = reports.filter((report) => report.status === "failed")
        const junit = options.junit === undefined ? undefined : path.resolve(options.junit)
        const result: ProveResult = {
          _tag: "Result",
          scenarios: reports,
          passed: reports.filter((report) => report.status === "passed").length,
          failed: failed.length,
          errors: reports.filter((report) => report.status === "error").length,
          durationMs: (yield* Clock.currentTimeMillis) - started,
          junit
        }
        if (junit !== undefined) {
          yield* writeFileAtomic(junit, junitXml(result)).pipe(
            Effect.mapError((error) =>
              error._tag === "InvalidInput" ? error : new InvalidInput({ message: `--junit ${junit}: cannot write it: ${error.message}` })
            )
          )
        }
        yield* publish(result)
        const broken = sandboxFailure(reports)
        if (broken !== undefined) return yield* broken
        if (failed.length > 0) return yield* new ScenarioFailed({ failed: failed.map((report) => report.scenario), total: reports.length })
      })
      yield* all.pipe(Mailbox.into(mailbox), Effect.forkScoped)
      return Mailbox.toStream(mailbox)
    })
  )

/** Reads the scenarios named (bad input before anything starts), then runs them. */
export const prove = (args: ReadonlyArray<string>, options: ProveOptions) =>
  Stream.unwrap(Effect.map(loadScenarios(args), (loaded) => runScenarios(loaded, options)))
