/**
 * Reading scenario files: YAML (or JSON) decoded with the Scenario schema, then checked for what a schema cannot
 * see (variables used before they exist, command lines that are not ocm commands). Whatever is wrong is one line
 * naming the file, the line and the problem (`bad.yaml:7: steps[1].expect.reply: …`), an InvalidInput (exit 2), so
 * that nothing starts for a file that cannot run.
 */
import * as FileSystem from "@effect/platform/FileSystem"
import * as Path from "@effect/platform/Path"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import { type ParseError, parse as parseJson, printParseErrorCode } from "jsonc-parser"
import { type Document, isMap, isNode, isPair, isScalar, isSeq, LineCounter, parseDocument } from "yaml"
import { InvalidInput } from "../domain/Errors.js"
import { Scenario, type Step } from "./Scenario.js"
import { builtinVariables, pathKeys, referencedVariables, splitWords } from "./Template.js"

export type PathKey = string | number

/** A problem found at a place in the file. */
export interface Problem {
  readonly path: ReadonlyArray<PathKey>
  readonly message: string
}

export interface LoadedScenario {
  /** The file as the user named it (or as found in the directory they named). */
  readonly file: string
  /** The directory its relative paths are read against: the file's own. */
  readonly directory: string
  /** The scenario's `name`, else the file's name. */
  readonly name: string
  readonly scenario: Scenario
}

export interface LoadOptions {
  /** Why these words are not a command a step can run, or undefined (from the CLI's own command tree). */
  readonly commandProblem?: ((words: ReadonlyArray<string>) => string | undefined) | undefined
}

/** `steps[1].expect.reply` */
export const formatPath = (path: ReadonlyArray<PathKey>): string =>
  path.reduce<string>((text, key) => (typeof key === "number" ? `${text}[${key}]` : text === "" ? key : `${text}.${key}`), "")

/** The 1-based line where the node at `path` (or the nearest one above it that exists) starts. */
export const lineOf = (doc: Document, counter: LineCounter, path: ReadonlyArray<PathKey>): number => {
  let node: unknown = doc.contents
  let start = isNode(node) && node.range ? node.range[0] : 0
  for (const key of path) {
    let next: unknown
    if (isMap(node)) {
      const pair = node.items.find((item) => isPair(item) && isScalar(item.key) && String(item.key.value) === String(key))
      if (pair === undefined) break
      // the key's own line: a value can start further down (a nested block)
      if (isNode(pair.key) && pair.key.range) start = pair.key.range[0]
      next = pair.value
    } else if (isSeq(node) && typeof key === "number") {
      next = node.items[key]
      if (isNode(next) && next.range) start = next.range[0]
    } else break
    if (!isNode(next)) break
    node = next
  }
  return counter.linePos(start).line
}

/** The one issue of a schema failure worth naming: the deepest, a broken rule before a mere type mismatch. */
export const chooseIssue = (issues: ReadonlyArray<ParseResult.ArrayFormatterIssue>): ParseResult.ArrayFormatterIssue | undefined => {
  // "Expected undefined" is what every optional field says besides the real problem
  const real = issues.filter((issue) => !issue.message.startsWith("Expected undefined"))
  const candidates = real.length > 0 ? real : issues
  const weight = (issue: ParseResult.ArrayFormatterIssue) => issue.path.length * 2 + (issue._tag === "Type" ? 0 : 1)
  return candidates.reduce<ParseResult.ArrayFormatterIssue | undefined>(
    (best, issue) => (best === undefined || weight(issue) > weight(best) ? issue : best),
    undefined
  )
}

// the parser is made at the first scenario read, not when the module loads (it is memoised per schema)
const decodeScenario = (input: unknown) => Schema.decodeUnknownEither(Scenario, { errors: "all", onExcessProperty: "error" })(input)

/** The strings of an expectation, wherever they are, with their paths. */
const stringsIn = (value: unknown, path: ReadonlyArray<PathKey>): ReadonlyArray<readonly [ReadonlyArray<PathKey>, string]> => {
  if (typeof value === "string") return [[path, value]]
  if (Array.isArray(value)) return value.flatMap((item, i) => stringsIn(item, [...path, i]))
  if (typeof value === "object" && value !== null) return Object.entries(value).flatMap(([key, item]) => stringsIn(item, [...path, key]))
  return []
}


/** What the schema cannot see: a `${name}` used before a step captured it, a capture path, a command's words. */
export const checkScenario = (scenario: Scenario, options: LoadOptions = {}): ReadonlyArray<Problem> => {
  const problems: Array<Problem> = []
  const known = new Set<string>(builtinVariables)
  const unknownIn = (path: ReadonlyArray<PathKey>, text: string) => {
    for (const name of referencedVariables(text)) {
      if (!known.has(name)) {
        problems.push({
          path,
          message: `\${${name}} is not defined here; defined: ${[...known].join(", ")} (a step's capture defines a variable for the steps after it; $\${…} is a literal \${…})`
        })
      }
    }
  }
  scenario.steps.forEach((step: Step, i) => {
    const at = (...rest: ReadonlyArray<PathKey>) => ["steps", i, ...rest]
    if (step.ocm !== undefined) {
      const words = typeof step.ocm === "string" ? splitWords(step.ocm) : step.ocm
      if ("problem" in words) problems.push({ path: at("ocm"), message: words.problem })
      else {
        if (words.length === 0) problems.push({ path: at("ocm"), message: "the command line is empty" })
        else {
          const problem = options.commandProblem?.(words)
          if (problem !== undefined) problems.push({ path: at("ocm"), message: problem })
        }
        words.forEach((word) => unknownIn(at("ocm"), word))
      }
    }
    if (step.write !== undefined) {
      unknownIn(at("write", "path"), step.write.path)
      unknownIn(at("write", "content"), step.write.content)
    }
    if (step.stdin !== undefined) unknownIn(at("stdin"), step.stdin)
    if (step.expect !== undefined) for (const [path, text] of stringsIn(step.expect, at("expect"))) unknownIn(path, text)
    for (const [name, path] of Object.entries(step.capture ?? {})) {
      if (pathKeys(path) === undefined) {
        problems.push({ path: at("capture", name), message: `${JSON.stringify(path)} is not a path into the step's document (proof.userMessageID, items[0].id)` })
      }
      known.add(name)
    }
  })
  return problems
}

/** The first problem of a JSON text (strict JSON: no comments, no trailing commas), with its offset. */
const jsonProblem = (text: string): ParseError | undefined => {
  const errors: Array<ParseError> = []
  parseJson(text, errors, { allowTrailingComma: false, disallowComments: true, allowEmptyContent: false })
  return errors[0]
}

/** Reads and validates a scenario; anything wrong is an InvalidInput `FILE:LINE: …`. */
export const loadScenario = (file: string, options: LoadOptions = {}) =>
  Effect.gen(function* () {
    const fs = yield* FileSystem.FileSystem
    const path = yield* Path.Path
    const invalid = (line: number | undefined, message: string) =>
      new InvalidInput({ message: `${file}${line === undefined ? "" : `:${line}`}: ${message}` })
    const text = yield* fs.readFileString(file).pipe(Effect.mapError((error) => invalid(undefined, `cannot read it: ${error.message}`)))
    const counter = new LineCounter()
    const doc = parseDocument(text, { lineCounter: counter, prettyErrors: false, uniqueKeys: true })
    let value: unknown
    if (file.endsWith(".json")) {
      const problem = jsonProblem(text)
      if (problem !== undefined) {
        return yield* invalid(counter.linePos(problem.offset).line, `not valid JSON: ${printParseErrorCode(problem.error)}`)
      }
      value = JSON.parse(text) as unknown
    } else if (doc.errors.length > 0) {
      const error = doc.errors[0]!
      return yield* invalid(counter.linePos(error.pos[0]).line, `not valid YAML: ${error.message.replace(/ at line \d+, column \d+.*$/s, "")}`)
    } else value = doc.toJS()
    const decoded = decodeScenario(value)
    if (Either.isLeft(decoded)) {
      const issue = chooseIssue(ParseResult.ArrayFormatter.formatErrorSync(decoded.left))
      const where = issue === undefined || issue.path.length === 0 ? "" : `${formatPath(issue.path as ReadonlyArray<PathKey>)}: `
      return yield* invalid(
        lineOf(doc, counter, (issue?.path ?? []) as ReadonlyArray<PathKey>),
        `${where}${issue?.message ?? "not a scenario"}`
      )
    }
    const problems = checkScenario(decoded.right, options)
    if (problems.length > 0) {
      const first = problems[0]!
      return yield* invalid(lineOf(doc, counter, first.path), `${formatPath(first.path)}: ${first.message}`)
    }
    const loaded: LoadedScenario = {
      file,
      directory: path.dirname(path.resolve(file)),
      name: decoded.right.name ?? path.basename(file),
      scenario: decoded.right
    }
    return loaded
  })

/**
 * A scenario given as a value (`runScenario` of the testing library): the same schema and checks as a file's,
 * problems named by their path; relative paths are read against `directory`.
 */
export const scenarioFromValue = (value: unknown, directory: string, options: LoadOptions = {}) =>
  Effect.gen(function* () {
    const decoded = decodeScenario(value)
    if (Either.isLeft(decoded)) {
      const issue = chooseIssue(ParseResult.ArrayFormatter.formatErrorSync(decoded.left))
      const where = issue === undefined || issue.path.length === 0 ? "" : `${formatPath(issue.path as ReadonlyArray<PathKey>)}: `
      return yield* new InvalidInput({ message: `scenario: ${where}${issue?.message ?? "not a scenario"}` })
    }
    const first = checkScenario(decoded.right, options)[0]
    if (first !== undefined) return yield* new InvalidInput({ message: `scenario: ${formatPath(first.path)}: ${first.message}` })
    const loaded: LoadedScenario = { file: "scenario", directory, name: decoded.right.name ?? "scenario", scenario: decoded.right }
    return loaded
  })

const scenarioExtensions = [".yaml", ".yml", ".json"]

/**
 * The scenario files the arguments name: a file as it is, a directory's `*.yaml`, `*.yml` and `*.json` files (and
 * its subdirectories'), sorted. A name that is neither, or a directory without any, is bad input.
 */
export const scenarioFiles = (args: ReadonlyArray<string>) =>
  Effect.gen(function* () {
    const fs = yield* FileSystem.FileSystem
    const path = yield* Path.Path
    const files: Array<string> = []
    for (const arg of args) {
      const info = yield* fs.stat(arg).pipe(Effect.mapError(() => new InvalidInput({ message: `${arg}: no such file or directory` })))
      if (info.type !== "Directory") {
        files.push(arg)
        continue
      }
      const found = yield* fs.readDirectory(arg, { recursive: true }).pipe(
        Effect.mapError((error) => new InvalidInput({ message: `${arg}: cannot read the directory: ${error.message}` }))
      )
      const scenarios = found.filter((name) => scenarioExtensions.some((ext) => name.endsWith(ext))).sort()
      if (scenarios.length === 0) {
        return yield* new InvalidInput({ message: `${arg}: no scenario files (*.yaml, *.yml, *.json) in this directory` })
      }
      files.push(...scenarios.map((name) => path.join(arg, name)))
    }
    return files
  })
