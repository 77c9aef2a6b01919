/**
 * The expectations of a step, judged against what was observed: pure functions from a check and the facts to a
 * verdict with the expected and the actual value side by side, so a failure shows both. Observing the facts (the
 * live session, the model's record, files, events) is Observe.ts's business.
 */
import type { MessageWithParts, Todo, ToolPart } from "../domain/Domain.js"
import { writtenText } from "../domain/Domain.js"
import type { Count, EventsCheck, Expect, FileCheck, ModelCheck, Outcome, SessionCheck, TextCheck, ToolCheck } from "./Scenario.js"
import { lookup } from "./Template.js"

export interface CheckResult {
  /** What was checked: `reply contains`, `session.messages.user`. */
  readonly check: string
  readonly ok: boolean
  readonly expected: string
  readonly actual: string
}

/** How a step ended: its exit code (0: success), and the error's tag and one line when it failed. */
export interface StepOutcome {
  readonly code: number
  readonly tag?: string | undefined
  readonly message?: string | undefined
}

/** A request of the scripted model's record, as far as the checks read it. */
export interface ModelRequestFacts {
  readonly kind: string
  readonly system: string
  readonly toolNames: ReadonlyArray<string>
  readonly lastUserText: string
  readonly rule?: string | undefined
}

export interface BlockedOn {
  readonly permission: string
  readonly patterns: ReadonlyArray<string>
}

export interface SessionFacts {
  readonly id: string
  readonly messages: ReadonlyArray<MessageWithParts>
  readonly todo?: ReadonlyArray<Todo> | undefined
  readonly diff?: string | undefined
  readonly status?: { readonly type: string; readonly blocked: ReadonlyArray<BlockedOn> } | undefined
}

const MAX_SHOWN = 1200

/** A value as a report shows it: strings quoted, long ones cut. */
export const show = (value: unknown): string => {
  const text = value === undefined ? "nothing" : JSON.stringify(value) ?? String(value)
  return text.length > MAX_SHOWN ? `${text.slice(0, MAX_SHOWN)}… (${text.length} characters)` : text
}

const result = (check: string, ok: boolean, expected: string, actual: string): CheckResult => ({ check, ok, expected, actual })

const list = (texts: string | ReadonlyArray<string> | undefined): ReadonlyArray<string> =>
  texts === undefined ? [] : typeof texts === "string" ? [texts] : texts

/** Each part of a text check (a plain string: equals) against the actual text (undefined: there is none). */
export const textChecks = (label: string, check: TextCheck, actual: string | undefined): ReadonlyArray<CheckResult> => {
  const spec = typeof check === "string" ? { equals: check } : check
  const shown = show(actual)
  const text = actual ?? ""
  const found = actual !== undefined
  return [
    ...(spec.equals === undefined ? [] : [result(`${label} equals`, found && text === spec.equals, show(spec.equals), shown)]),
    ...list(spec.contains).map((part) => result(`${label} contains`, found && text.includes(part), show(part), shown)),
    ...list(spec.excludes).map((part) => result(`${label} excludes`, !text.includes(part), `no ${show(part)}`, shown)),
    ...(spec.matches === undefined ? [] : [result(`${label} matches`, found && new RegExp(spec.matches).test(text), `/${spec.matches}/`, shown)])
  ]
}

const countText = (count: Count) =>
  typeof count === "number"
    ? `${count}`
    : [count.atLeast === undefined ? "" : `at least ${count.atLeast}`, count.atMost === undefined ? "" : `at most ${count.atMost}`]
        .filter((part) => part !== "")
        .join(" and ") || "any number"

export const countHolds = (count: Count, actual: number) =>
  typeof count === "number" ? actual === count : (count.atLeast ?? 0) <= actual && actual <= (count.atMost ?? Infinity)

export const countCheck = (label: string, count: Count, actual: number, detail = ""): CheckResult =>
  result(label, countHolds(count, actual), countText(count), `${actual}${detail}`)

const outcomeText = (outcome: StepOutcome) =>
  outcome.code === 0 ? "ok" : `exit ${outcome.code}${outcome.tag === undefined ? "" : ` (${outcome.tag})`}${outcome.message ? `: ${outcome.message}` : ""}`

/** The step's outcome; when nothing is said, it must be ok. */
export const outcomeCheck = (expected: Outcome | undefined, actual: StepOutcome): CheckResult => {
  const wanted = expected ?? "ok"
  const ok =
    wanted === "ok"
      ? actual.code === 0
      : wanted === "failed"
        ? actual.code !== 0
        : typeof wanted === "number"
          ? actual.code === wanted
          : actual.tag === wanted
  return result("outcome", ok, typeof wanted === "number" ? `exit ${wanted}` : wanted, outcomeText(actual))
}

/** Deep equality of plain JSON values. */
export const sameValue = (a: unknown, b: unknown): boolean => {
  if (a === b) return true
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((item, i) => sameValue(item, b[i]))
  if (typeof a === "object" && a !== null && typeof b === "object" && b !== null && !Array.isArray(a) && !Array.isArray(b)) {
    const keys = Object.keys(a)
    return keys.length === Object.keys(b).length && keys.every((key) => sameValue((a as never)[key], (b as never)[key]))
  }
  return false
}

/** Whether `actual` has every field of `expected` with the same value (recursively for objects). */
export const hasFields = (expected: Readonly<Record<string, unknown>>, actual: unknown): boolean =>
  typeof actual === "object" &&
  actual !== null &&
  Object.entries(expected).every(([key, value]) => {
    const inner = (actual as Record<string, unknown>)[key]
    return typeof value === "object" && value !== null && !Array.isArray(value)
      ? hasFields(value as Record<string, unknown>, inner)
      : sameValue(value, inner)
  })

export const jsonChecks = (expected: Readonly<Record<string, unknown>>, document: unknown): ReadonlyArray<CheckResult> =>
  Object.entries(expected).map(([path, value]) => {
    const actual = lookup(document, path)
    return result(`json ${path}`, sameValue(value, actual), show(value), show(actual))
  })

// ---------------------------------------------------------------------------------------------------------
// The session

const toolParts = (messages: ReadonlyArray<MessageWithParts>): ReadonlyArray<ToolPart> =>
  messages.flatMap((message) => message.parts.filter((part): part is ToolPart => part.type === "tool"))

const toolOutput = (part: ToolPart) => part.state.output ?? part.state.error ?? ""

const toolMatches = (check: ToolCheck, part: ToolPart) =>
  part.tool === check.name &&
  (check.status === undefined || part.state.status === check.status) &&
  (check.input === undefined || hasFields(check.input, part.state.input)) &&
  (check.output === undefined || textChecks("output", check.output, toolOutput(part)).every((verdict) => verdict.ok))

const toolSummary = (part: ToolPart) =>
  `${part.tool} ${part.state.status} ${JSON.stringify(part.state.input ?? {})} → ${show(toolOutput(part))}`

const toolText = (check: ToolCheck) =>
  [
    check.name,
    check.status,
    check.input === undefined ? undefined : JSON.stringify(check.input),
    check.output === undefined ? undefined : `output ${JSON.stringify(check.output)}`
  ]
    .filter((part) => part !== undefined)
    .join(" ")

const modelText = (model: { readonly providerID: string; readonly modelID: string } | undefined) =>
  model === undefined ? undefined : `${model.providerID}/${model.modelID}`

const statusText = (status: NonNullable<SessionFacts["status"]>) =>
  status.blocked.length > 0
    ? `blocked on permission (${status.blocked.map((blocked) => `${blocked.permission}: ${blocked.patterns.join(" ")}`).join("; ")})`
    : status.type

export const sessionChecks = (check: SessionCheck, facts: SessionFacts): ReadonlyArray<CheckResult> => {
  const checks: Array<CheckResult> = []
  const label = `session ${facts.id}`
  const byRole = (role: string) => facts.messages.filter((message) => message.info.role === role).length
  if (check.messages !== undefined) {
    const { user, assistant, total } = check.messages
    if (user !== undefined) checks.push(countCheck(`${label} user messages`, user, byRole("user")))
    if (assistant !== undefined) checks.push(countCheck(`${label} assistant messages`, assistant, byRole("assistant")))
    if (total !== undefined) checks.push(countCheck(`${label} messages`, total, facts.messages.length))
  }
  if (check.lastUser !== undefined) {
    const last = [...facts.messages].reverse().find((message) => message.info.role === "user")
    const info = last?.info.role === "user" ? last.info : undefined
    const { text, system, agent, model } = check.lastUser
    if (text !== undefined) checks.push(...textChecks(`${label} last user text`, text, last === undefined ? undefined : writtenText(last.parts)))
    if (system !== undefined) checks.push(...textChecks(`${label} last user system`, system, info?.system ?? undefined))
    if (agent !== undefined) checks.push(result(`${label} last user agent`, info?.agent === agent, show(agent), show(info?.agent ?? undefined)))
    if (model !== undefined) {
      const actual = modelText(info?.model ?? undefined)
      checks.push(result(`${label} last user model`, actual === model, show(model), show(actual)))
    }
  }
  if (check.lastReply !== undefined) {
    const last = [...facts.messages].reverse().find((message) => message.info.role === "assistant")
    checks.push(...textChecks(`${label} last reply`, check.lastReply, last === undefined ? undefined : writtenText(last.parts)))
  }
  if (check.tools !== undefined) {
    const parts = toolParts(facts.messages)
    const seen = parts.length === 0 ? " (no tool parts)" : ` of ${parts.length}: ${parts.map(toolSummary).join("; ")}`
    for (const tool of check.tools) {
      const matching = parts.filter((part) => toolMatches(tool, part)).length
      checks.push(countCheck(`${label} tool ${toolText(tool)}`, tool.count ?? { atLeast: 1 }, matching, seen))
    }
  }
  if (check.todo !== undefined) {
    const todos = facts.todo ?? []
    const shown = todos.length === 0 ? "no todo" : todos.map((todo) => `[${todo.status}] ${todo.content}`).join("; ")
    if (check.todo.count !== undefined) checks.push(countCheck(`${label} todo items`, check.todo.count, todos.length, ` (${shown})`))
    for (const item of check.todo.items ?? []) {
      const holds = todos.some(
        (todo) =>
          (item.status === undefined || todo.status === item.status) &&
          textChecks("content", item.content, todo.content).every((verdict) => verdict.ok)
      )
      checks.push(result(`${label} todo item`, holds, `${item.status === undefined ? "" : `[${item.status}] `}${show(item.content)}`, shown))
    }
  }
  if (check.diff !== undefined) checks.push(...textChecks(`${label} diff`, check.diff, facts.diff ?? ""))
  if (check.status !== undefined && facts.status !== undefined) {
    const status = facts.status
    const wanted = check.status
    if (typeof wanted === "string") {
      const holds = wanted === "blocked" ? status.blocked.length > 0 : status.type === wanted && status.blocked.length === 0
      checks.push(result(`${label} status`, holds, wanted, statusText(status)))
    } else {
      const { permission, pattern } = wanted.blocked
      const holds = status.blocked.some(
        (blocked) =>
          (permission === undefined || blocked.permission === permission) &&
          (pattern === undefined || blocked.patterns.some((text) => textChecks("pattern", pattern, text).every((verdict) => verdict.ok)))
      )
      const expected = `blocked on permission${permission === undefined ? "" : ` ${permission}`}${pattern === undefined ? "" : ` ${JSON.stringify(pattern)}`}`
      checks.push(result(`${label} status`, holds, expected, statusText(status)))
    }
  }
  return checks
}

// ---------------------------------------------------------------------------------------------------------
// The model's record, files, events

export const modelChecks = (check: ModelCheck, requests: ReadonlyArray<ModelRequestFacts>): ReadonlyArray<CheckResult> => {
  const chats = requests.filter((request) => request.kind === "chat")
  const last = chats.at(-1)
  const none = "no chat request during the step"
  const checks: Array<CheckResult> = []
  if (check.requests !== undefined) checks.push(countCheck("model chat requests", check.requests, chats.length))
  if (check.system !== undefined) {
    checks.push(
      ...(last === undefined
        ? [result("model system", false, show(check.system), none)]
        : textChecks("model system", check.system, last.system))
    )
  }
  if (check.lastUserText !== undefined) {
    checks.push(
      ...(last === undefined
        ? [result("model last user text", false, show(check.lastUserText), none)]
        : textChecks("model last user text", check.lastUserText, last.lastUserText))
    )
  }
  if (check.tools !== undefined) {
    const offered = last?.toolNames ?? []
    const actual = last === undefined ? none : show(offered)
    for (const name of check.tools.include ?? []) checks.push(result("model tools include", offered.includes(name), show(name), actual))
    for (const name of check.tools.exclude ?? []) checks.push(result("model tools exclude", last !== undefined && !offered.includes(name), `no ${show(name)}`, actual))
  }
  if (check.rule !== undefined) {
    checks.push(result("model rule", last?.rule === check.rule, show(check.rule), last === undefined ? none : show(last.rule)))
  }
  return checks
}

/** A file's text, or undefined when there is no such file. */
export type FileFacts = Readonly<Record<string, string | undefined>>

export const fileChecks = (checks: ReadonlyArray<FileCheck>, files: FileFacts): ReadonlyArray<CheckResult> =>
  checks.flatMap((check) => {
    const text = files[check.path]
    const label = `file ${check.path}`
    const where = text === undefined ? "absent" : "exists"
    const { equals, contains, excludes, matches } = check
    const textCheck = { ...(equals === undefined ? {} : { equals }), ...(contains === undefined ? {} : { contains }), ...(excludes === undefined ? {} : { excludes }), ...(matches === undefined ? {} : { matches }) }
    return [
      ...(check.exists === undefined ? [] : [result(`${label} exists`, (text !== undefined) === check.exists, check.exists ? "exists" : "absent", where)]),
      ...(check.absent === undefined ? [] : [result(`${label} absent`, (text === undefined) === check.absent, check.absent ? "absent" : "exists", where)]),
      ...(Object.keys(textCheck).length === 0 ? [] : textChecks(label, textCheck, text))
    ]
  })

export const eventChecks = (check: EventsCheck, types: ReadonlyArray<string>): ReadonlyArray<CheckResult> => {
  const distinct = [...new Set(types)]
  const actual = distinct.length === 0 ? "no events" : distinct.join(", ")
  return [
    ...(check.seen ?? []).map((type) => result(`event ${type} seen`, distinct.includes(type), type, actual)),
    ...(check.notSeen ?? []).map((type) => result(`event ${type} not seen`, !distinct.includes(type), `no ${type}`, actual))
  ]
}

/** Whether an expectation reads live state, which is looked at again until it holds (`within`). */
export const readsLiveState = (expect: Expect | undefined) =>
  expect !== undefined &&
  (expect.session !== undefined || expect.model !== undefined || expect.files !== undefined || expect.events !== undefined)
