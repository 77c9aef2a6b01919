/**
 * A scenario file (`ocm prove`): the sandbox to start, the model's script, and the steps to run on it in order,
 * each with what it must prove. One schema, so that a file that does not fit it is refused before anything starts
 * (exit 2, with the line: ScenarioFile.ts). Each schema is built when first used (`Schema.suspend`), not when the
 * module loads, which every start of the CLI does (README, Benchmarks).
 */
import * as Schema from "effect/Schema"
import { exitCodes } from "../domain/Errors.js"
import { ModelScript } from "../../services/ScriptedModel.js"

/** Seconds, decimals allowed: positive and finite. */
const Seconds = Schema.suspend(() => Schema.Number.pipe(
  Schema.filter((value) => Number.isFinite(value) && value > 0, { message: () => "must be a positive number of seconds" })
))

const validRegex = (source: string) => {
  try {
    new RegExp(source)
    return true
  } catch {
    return false
  }
}

const Pattern = Schema.suspend(() => Schema.String.pipe(
  Schema.filter(validRegex, { message: (issue) => `is not a valid regular expression: ${String(issue.actual)}` })
))

/** One text, or several that must all hold. */
const Texts = Schema.suspend(() => Schema.Union(Schema.String, Schema.Array(Schema.String)))

/** The checks a text can be put to; each given one must hold. */
export const textCheckFields = {
  equals: Schema.optional(Schema.String),
  contains: Schema.optional(Texts),
  excludes: Schema.optional(Texts),
  matches: Schema.optional(Pattern)
}

/** A text check: a plain string means `equals`. */
export const TextCheck = Schema.suspend(() => Schema.Union(Schema.String, Schema.Struct(textCheckFields)))
export type TextCheck = typeof TextCheck.Type

/** A count: exactly N, or a range. */
export const Count = Schema.suspend(() => Schema.Union(
  Schema.NonNegativeInt,
  Schema.Struct({ atLeast: Schema.optional(Schema.NonNegativeInt), atMost: Schema.optional(Schema.NonNegativeInt) })
))
export type Count = typeof Count.Type

/** Tags a step can end with besides the typed errors: a bad command line, a bug. */
const otherTags = ["ValidationError", "Defect"]
export const outcomeTags: ReadonlyArray<string> = [...Object.keys(exitCodes), ...otherTags]

/** `ok`, `failed` (any failure), an error tag (`WaitTimeout`) or an exit code (124). */
export const Outcome = Schema.suspend(() => Schema.Union(
  Schema.Int,
  Schema.String.pipe(
    Schema.filter((value) => value === "ok" || value === "failed" || outcomeTags.includes(value), {
      message: (issue) => `must be ok, failed, an exit code or one of the error tags ${outcomeTags.join(", ")}; got ${JSON.stringify(issue.actual)}`
    })
  )
))
export type Outcome = typeof Outcome.Type

export const ToolCheck = Schema.suspend(() => Schema.Struct({
  name: Schema.String,
  status: Schema.optional(Schema.String),
  /** Fields the tool's input must have, with these values (other fields may be there too). */
  input: Schema.optional(Schema.Record({ key: Schema.String, value: Schema.Unknown })),
  output: Schema.optional(TextCheck),
  /** How many of the session's tool parts match; at least one when absent. */
  count: Schema.optional(Count)
}))
export type ToolCheck = typeof ToolCheck.Type

export const SessionStatusName = Schema.suspend(() => Schema.Literal("idle", "busy", "retry", "blocked"))

export const SessionCheck = Schema.suspend(() => Schema.Struct({
  /** The session: when absent, the step's own (its document's sessionID), else `${session}`. */
  id: Schema.optional(Schema.String),
  messages: Schema.optional(
    Schema.Struct({ user: Schema.optional(Count), assistant: Schema.optional(Count), total: Schema.optional(Count) })
  ),
  /** The last user message. */
  lastUser: Schema.optional(
    Schema.Struct({
      text: Schema.optional(TextCheck),
      system: Schema.optional(TextCheck),
      agent: Schema.optional(Schema.String),
      /** provider/model */
      model: Schema.optional(Schema.String)
    })
  ),
  /** The last assistant message's written text. */
  lastReply: Schema.optional(TextCheck),
  tools: Schema.optional(Schema.Array(ToolCheck)),
  todo: Schema.optional(
    Schema.Struct({
      count: Schema.optional(Count),
      items: Schema.optional(Schema.Array(Schema.Struct({ content: TextCheck, status: Schema.optional(Schema.String) })))
    })
  ),
  /** The session's changes as a unified diff (what `ocm diff` prints). */
  diff: Schema.optional(TextCheck),
  /** idle, busy, retry, or blocked (on a permission, as `ocm status` judges the tree); or `{blocked: {permission}}`. */
  status: Schema.optional(
    Schema.Union(
      SessionStatusName,
      Schema.Struct({ blocked: Schema.Struct({ permission: Schema.optional(Schema.String), pattern: Schema.optional(TextCheck) }) })
    )
  )
}))
export type SessionCheck = typeof SessionCheck.Type

/** What the scripted model received during the step (chat requests; title requests are OpenCode's own business). */
export const ModelCheck = Schema.suspend(() => Schema.Struct({
  requests: Schema.optional(Count),
  /** The system text of the step's last chat request. */
  system: Schema.optional(TextCheck),
  /** The tools the step's last chat request offered. */
  tools: Schema.optional(
    Schema.Struct({ include: Schema.optional(Schema.Array(Schema.String)), exclude: Schema.optional(Schema.Array(Schema.String)) })
  ),
  /** The last user text of the step's last chat request. */
  lastUserText: Schema.optional(TextCheck),
  /** The rule of the model's script that answered the step's last chat request. */
  rule: Schema.optional(Schema.String)
}))
export type ModelCheck = typeof ModelCheck.Type

export const FileCheck = Schema.suspend(() => Schema.Struct({
  /** Relative to the project. */
  path: Schema.String,
  exists: Schema.optional(Schema.Boolean),
  absent: Schema.optional(Schema.Boolean),
  ...textCheckFields
}))
export type FileCheck = typeof FileCheck.Type

export const EventsCheck = Schema.suspend(() => Schema.Struct({
  /** Event types (a plugin's own too) that must arrive from the step's start. */
  seen: Schema.optional(Schema.Array(Schema.String)),
  notSeen: Schema.optional(Schema.Array(Schema.String))
}))
export type EventsCheck = typeof EventsCheck.Type

export const Expect = Schema.suspend(() => Schema.Struct({
  /** Default: ok. */
  outcome: Schema.optional(Outcome),
  reply: Schema.optional(TextCheck),
  /** Values in the step's document, by path (`proof.identity.agent: proof`). */
  json: Schema.optional(Schema.Record({ key: Schema.String, value: Schema.Unknown })),
  session: Schema.optional(SessionCheck),
  model: Schema.optional(ModelCheck),
  files: Schema.optional(Schema.Array(FileCheck)),
  events: Schema.optional(EventsCheck),
  /**
   * Seconds the checks of live state (session, model, files, events) may take to hold: they are looked at again
   * until they all hold or this runs out. Default 5.
   */
  within: Schema.optional(Seconds)
}))
export type Expect = typeof Expect.Type

// a record's key (capture) must be a schema itself, not a suspended one
const Name = Schema.String.pipe(
  Schema.filter((value) => /^[A-Za-z_][A-Za-z0-9_]*$/.test(value), {
    message: (issue) => `a variable name is letters, digits and _ (not starting with a digit); got ${JSON.stringify(issue.actual)}`
  })
)

export const stepKinds = ["ocm", "shell", "write"] as const
export type StepKind = (typeof stepKinds)[number]

export const Step = Schema.suspend(() => Schema.Struct({
  name: Schema.optional(Schema.String),
  /** An ocm command line: one string (split as a shell would, without expansion) or its words. */
  ocm: Schema.optional(Schema.Union(Schema.String, Schema.NonEmptyArray(Schema.String))),
  /** A command for `sh -c` in the project, with OPENCODE_BASE_URL (and the sandbox's other variables) set. */
  shell: Schema.optional(Schema.String),
  /** Puts a file into the project. */
  write: Schema.optional(Schema.Struct({ path: Schema.String, content: Schema.String })),
  /** Standard input of the command (`send --stdin`, a shell command). */
  stdin: Schema.optional(Schema.String),
  /** Seconds the step may take; default: the scenario's `timeout`. */
  timeout: Schema.optional(Seconds),
  /** Variables taken from the step's document: `session: sessionID`. */
  capture: Schema.optional(Schema.Record({ key: Name, value: Schema.String })),
  expect: Schema.optional(Expect)
}).pipe(
  Schema.filter(
    (step) => {
      const kinds = stepKinds.filter((kind) => step[kind] !== undefined)
      return kinds.length === 1 || `a step is exactly one of ${stepKinds.join(", ")}; this one has ${kinds.length === 0 ? "none" : kinds.join(" and ")}`
    }
  )
))
export type Step = typeof Step.Type

/** The sandbox the scenario runs on (the options of `ocm sandbox up`); paths are relative to the scenario file. */
export const SandboxSection = Schema.suspend(() => Schema.Struct({
  /** A directory copied in as the sandbox's project (or, with `inPlace`, used where it is). */
  project: Schema.optional(Schema.String),
  inPlace: Schema.optional(Schema.Boolean),
  /**
   * OpenCode config merged over the sandbox's proof config: a JSON or JSONC file (relative to the scenario), or the
   * config itself (its `./` plugin entries and `{file:…}` read from the scenario's directory too).
   */
  config: Schema.optional(Schema.Union(Schema.String, Schema.Record({ key: Schema.String, value: Schema.Unknown }))),
  /** Plugin files the server loads. */
  plugins: Schema.optional(Schema.Array(Schema.String)),
  /** A real provider's model (`provider/model`) as the default instead of the scripted one. */
  model: Schema.optional(Schema.String),
  opencodeBin: Schema.optional(Schema.String),
  /** Keep the sandbox's temp dirs after the scenario (for inspection). */
  keep: Schema.optional(Schema.Boolean)
}))
export type SandboxSection = typeof SandboxSection.Type

export const Scenario = Schema.suspend(() => Schema.Struct({
  name: Schema.optional(Schema.String),
  sandbox: Schema.optional(SandboxSection),
  /** The scripted model's script: what it answers, rule by rule (README, "The scripted model"). */
  model: Schema.optional(ModelScript),
  /** Seconds each step may take unless it says otherwise; default 120. */
  timeout: Schema.optional(Seconds),
  steps: Schema.Array(Step).pipe(Schema.minItems(1, { message: () => "a scenario needs at least one step" }))
}))
export type Scenario = typeof Scenario.Type

export const DEFAULT_STEP_TIMEOUT_SECONDS = 120
export const DEFAULT_WITHIN_SECONDS = 5

export const stepKind = (step: Step): StepKind => stepKinds.find((kind) => step[kind] !== undefined)!
