/**
 * How a run of scenarios reads: a line for a person per step as it is proved (✓ or ✗, and for a failure each
 * check expected against actual and the session's transcript), the NDJSON events of `--json`, and a JUnit XML
 * report for CI systems. Pure.
 */
import type { ProveEvent, ProveResult, ScenarioReport, StepReport } from "./Runner.js"

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)}s`

const plural = (count: number, word: string) => `${count} ${word}${count === 1 ? "" : "s"}`

export const stepText = (step: StepReport): string => {
  const head = `${step.scenario} › ${step.index}. ${step.label}`
  if (step.status === "skipped") return `- ${head} (not run)`
  if (step.status === "passed") return `✓ ${head} (${seconds(step.durationMs)})`
  const lines = [`✗ ${head} (${seconds(step.durationMs)})`]
  if (step.ran !== undefined && step.ran !== step.label) lines.push(`    ran: ${step.ran}`)
  for (const failure of step.failures) {
    lines.push(`    ${failure.check}`, `      expected: ${failure.expected}`, `      actual:   ${failure.actual}`)
  }
  if (step.transcript !== undefined) lines.push(`    transcript: ${step.transcript}`)
  return lines.join("\n")
}

export const scenarioText = (scenario: ScenarioReport): string => {
  const time = seconds(scenario.durationMs)
  if (scenario.status === "error") return `✗ ${scenario.scenario}: the sandbox could not start: ${scenario.error ?? "unknown"} (${time})`
  if (scenario.status === "passed") return `✓ ${scenario.scenario}: ${plural(scenario.steps.length, "step")} passed (${time})`
  const failed = scenario.steps.find((step) => step.status === "failed")
  const notRun = scenario.steps.filter((step) => step.status === "skipped").length
  return `✗ ${scenario.scenario}: step ${failed?.index ?? "?"} of ${scenario.steps.length} failed${notRun === 0 ? "" : `, ${notRun} not run`} (${time})`
}

export const resultText = (result: ProveResult): string => {
  const total = result.scenarios.length
  const parts = [`${result.passed} passed`, `${result.failed} failed`, ...(result.errors === 0 ? [] : [`${result.errors} could not start`])]
  const lines = [`${plural(total, "scenario")}: ${parts.join(", ")} (${seconds(result.durationMs)})`]
  if (result.junit !== undefined) lines.push(`JUnit report: ${result.junit}`)
  return lines.join("\n")
}

export const eventText = (event: ProveEvent): string => {
  switch (event._tag) {
    case "Step":
      return stepText(event)
    case "Scenario":
      return scenarioText(event)
    case "Result":
      return resultText(event)
  }
}

const stepJson = (step: StepReport) => ({
  type: "step",
  scenario: step.scenario,
  file: step.file,
  index: step.index,
  label: step.label,
  kind: step.kind,
  status: step.status,
  durationMs: step.durationMs,
  ran: step.ran ?? null,
  outcome: step.outcome ?? null,
  passedChecks: step.passedChecks,
  failures: step.failures.map(({ check, expected, actual }) => ({ check, expected, actual })),
  session: step.session ?? null,
  transcript: step.transcript ?? null
})

const count = (scenario: ScenarioReport, status: StepReport["status"]) => scenario.steps.filter((step) => step.status === status).length

const scenarioJson = (scenario: ScenarioReport) => ({
  type: "scenario",
  scenario: scenario.scenario,
  file: scenario.file,
  status: scenario.status,
  error: scenario.error ?? null,
  steps: { total: scenario.steps.length, passed: count(scenario, "passed"), failed: count(scenario, "failed"), skipped: count(scenario, "skipped") },
  durationMs: scenario.durationMs
})

/** The NDJSON event of `--json`: `step`, `scenario`, and last `result`. */
export const eventJson = (event: ProveEvent): unknown => {
  switch (event._tag) {
    case "Step":
      return stepJson(event)
    case "Scenario":
      return scenarioJson(event)
    case "Result":
      return {
        type: "result",
        ok: event.failed === 0 && event.errors === 0,
        total: event.scenarios.length,
        passed: event.passed,
        failed: event.failed,
        errors: event.errors,
        durationMs: event.durationMs,
        junit: event.junit ?? null,
        scenarios: event.scenarios.map(({ scenario, file, status, error }) => ({ scenario, file, status, error: error ?? null }))
      }
  }
}

// ---------------------------------------------------------------------------------------------------------
// JUnit XML

/** Text as XML character data or an attribute value: escaped, and without the characters XML 1.0 cannot hold. */
export const xmlText = (text: string): string =>
  text
    .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g, "")
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&apos;")

const attributes = (values: Readonly<Record<string, string | number>>) =>
  Object.entries(values)
    .map(([key, value]) => `${key}="${xmlText(String(value))}"`)
    .join(" ")

const junitSeconds = (ms: number) => (ms / 1000).toFixed(3)

const failureBody = (step: StepReport) =>
  [
    ...(step.ran === undefined ? [] : [`ran: ${step.ran}`]),
    ...step.failures.flatMap((failure) => [failure.check, `  expected: ${failure.expected}`, `  actual:   ${failure.actual}`]),
    ...(step.transcript === undefined ? [] : [`transcript: ${step.transcript}`])
  ].join("\n")

const testcase = (scenario: ScenarioReport, step: StepReport) => {
  const head = `    <testcase ${attributes({ name: `${step.index}. ${step.label}`, classname: scenario.scenario, file: scenario.file, time: junitSeconds(step.durationMs) })}`
  if (step.status === "passed") return `${head}/>`
  if (step.status === "skipped") return `${head}>\n      <skipped ${attributes({ message: "not run: an earlier step failed" })}/>\n    </testcase>`
  const first = step.failures[0]
  const message = first === undefined ? "failed" : `${first.check}: expected ${first.expected}, actual ${first.actual}`
  return `${head}>\n      <failure ${attributes({ message, type: "ScenarioFailed" })}>${xmlText(failureBody(step))}</failure>\n    </testcase>`
}

const testsuite = (scenario: ScenarioReport) => {
  const head = {
    name: scenario.scenario,
    file: scenario.file,
    time: junitSeconds(scenario.durationMs)
  }
  if (scenario.status === "error") {
    const message = `the sandbox could not start: ${scenario.error ?? "unknown"}`
    return [
      `  <testsuite ${attributes({ ...head, tests: 1, failures: 0, errors: 1, skipped: 0 })}>`,
      `    <testcase ${attributes({ name: "sandbox", classname: scenario.scenario, file: scenario.file, time: junitSeconds(scenario.durationMs) })}>`,
      `      <error ${attributes({ message, type: "SandboxError" })}>${xmlText(message)}</error>`,
      "    </testcase>",
      "  </testsuite>"
    ].join("\n")
  }
  return [
    `  <testsuite ${attributes({ ...head, tests: scenario.steps.length, failures: count(scenario, "failed"), errors: 0, skipped: count(scenario, "skipped") })}>`,
    ...scenario.steps.map((step) => testcase(scenario, step)),
    "  </testsuite>"
  ].join("\n")
}

/** The JUnit XML report: a test suite per scenario, a test case per step. */
export const junitXml = (result: ProveResult): string => {
  const all = result.scenarios
  const totals = {
    name: "ocm prove",
    tests: all.reduce((sum, scenario) => sum + (scenario.status === "error" ? 1 : scenario.steps.length), 0),
    failures: all.reduce((sum, scenario) => sum + count(scenario, "failed"), 0),
    errors: result.errors,
    skipped: all.reduce((sum, scenario) => sum + count(scenario, "skipped"), 0),
    time: junitSeconds(result.durationMs)
  }
  return ['<?xml version="1.0" encoding="UTF-8"?>', `<testsuites ${attributes(totals)}>`, ...all.map(testsuite), "</testsuites>", ""].join("\n")
}
