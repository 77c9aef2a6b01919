/** `ocm prove FILE|DIR…`: scenario files, each run on a fresh sandbox; the layers it runs on. */
import * as Args from "@effect/cli/Args"
import * as Command from "@effect/cli/Command"
import * as HelpDoc from "@effect/cli/HelpDoc"
import * as Options from "@effect/cli/Options"
import * as ValidationError from "@effect/cli/ValidationError"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import { availableParallelism } from "node:os"
import * as OpenCodeClientLive from "../../layers/OpenCodeClientLive.js"
import * as SandboxLive from "../../layers/SandboxLive.js"
import { prove } from "../programs/prove.js"
import { presentStream } from "../present/Presenter.js"
import { proveView } from "../present/prove.js"
import { referenceArg, resultFile } from "./common.js"
import * as InProcess from "./InProcess.js"

/** Scenarios at once by default: one per core, at most 4 (each is one opencode server, busy while it starts). */
export const defaultJobs = () => Math.max(1, Math.min(availableParallelism(), 4))

/** The command tree a step runs in-process, with what it needs from the CLI's context. */
// the parsed arguments (A) are the tree's own business: any tree of commands will do
export type StepCommands<R> = () => Command.Command<"ocm", R, unknown, any>

/** The layers `prove` runs on: sandboxes started for it, clients of them, and ocm's own commands in-process. */
export const proveLayer = <R>(root: StepCommands<R>) =>
  Layer.mergeAll(SandboxLive.starter, OpenCodeClientLive.connector, InProcess.layer<R>(root))

export const proveCommand = <R>(root: StepCommands<R>) =>
  Command.make(
    "prove",
    {
      scenarios: referenceArg("scenario").pipe(
        Args.withDescription("a scenario file (YAML or JSON), or a directory of them"),
        Args.atLeast(1)
      ),
      jobs: Options.integer("jobs").pipe(
        Options.mapEffect((jobs) =>
          jobs >= 1 ? Effect.succeed(jobs) : Effect.fail(ValidationError.invalidValue(HelpDoc.p(`--jobs must be 1 or more, got ${jobs}`)))
        ),
        Options.withDescription(`scenarios run at once, each on its own sandbox (default: the cores, at most 4; here ${defaultJobs()})`),
        Options.optional
      ),
      junit: resultFile("junit").pipe(Options.withDescription("also write a JUnit XML report to this file"), Options.optional),
      reports: Options.text("reports").pipe(
        Options.withDescription("directory for the transcripts of failing steps' sessions (default: a new temp dir ocm-prove-*)"),
        Options.optional
      ),
      json: Options.boolean("json").pipe(Options.withDescription("NDJSON on stdout: an event per step and per scenario, then a result line"))
    },
    (options) =>
      presentStream(proveView, options)(
        prove(options.scenarios, {
          jobs: Option.getOrElse(options.jobs, defaultJobs),
          junit: Option.getOrUndefined(options.junit),
          reports: Option.getOrUndefined(options.reports),
          environment: Object.fromEntries(Object.entries(process.env).filter((entry): entry is [string, string] => entry[1] !== undefined))
        })
      ).pipe(Effect.provide(proveLayer(root)))
  ).pipe(
    Command.withDescription(
      "run scenario files, each on a fresh sandbox: ocm commands, shell commands and files as steps, each proved by its expectations; exit 16 if one fails"
    )
  )


