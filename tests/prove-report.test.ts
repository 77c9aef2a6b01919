/** `ocm prove`'s reports on a made-up run: the lines for a person, the NDJSON events and the JUnit XML. */
import { assert, describe, it } from "@effect/vitest"
import { eventJson, junitXml, resultText, scenarioText, stepText, xmlText } from "../src/prove/Report.js"
import type { ProveResult, ScenarioReport, StepReport } from "../src/prove/Runner.js"

const step = (fields: Partial<StepReport> & Pick<StepReport, "index" | "status">): StepReport => ({
  _tag: "Step",
  scenario: "resume",
  file: "scenarios/resume.yaml",
  label: `step ${fields.index}`,
  kind: "ocm",
  durationMs: 1500,
  passedChecks: 2,
  failures: [],
  ...fields
})

const failedStep = step({
  index: 2,
  status: "failed",
  label: "ocm chat ${session} <hello> & \"bye\"",
  ran: "ocm chat ses_1 '<hello> & \"bye\"' --json",
  outcome: { code: 0 },
  failures: [{ check: "reply equals", ok: false, expected: '"CARRIED"', actual: '"echo: <hello>\u0007"' }],
  session: "ses_1",
  transcript: "/tmp/ocm-prove-x/resume-step2-ses_1.md"
})

const resume: ScenarioReport = {
  _tag: "Scenario",
  scenario: "resume",
  file: "scenarios/resume.yaml",
  status: "failed",
  steps: [step({ index: 1, status: "passed" }), failedStep, step({ index: 3, status: "skipped", durationMs: 0, passedChecks: 0 })],
  durationMs: 4000
}
const broken: ScenarioReport = {
  _tag: "Scenario",
  scenario: "broken",
  file: "scenarios/broken.yaml",
  status: "error",
  error: "opencode serve did not answer health checks within 1m",
  steps: [],
  durationMs: 60000
}
const fine: ScenarioReport = {
  _tag: "Scenario",
  scenario: "fine",
  file: "scenarios/fine.yaml",
  status: "passed",
  steps: [step({ index: 1, status: "passed", scenario: "fine", file: "scenarios/fine.yaml" })],
  durationMs: 2000
}
const result: ProveResult = {
  _tag: "Result",
  scenarios: [resume, broken, fine],
  passed: 1,
  failed: 1,
  errors: 1,
  durationMs: 61234,
  junit: "/work/junit.xml"
}

describe("the report for a person", () => {
  it("a ✓ line per step that passed, - for one not run, ✗ with each failed check and the transcript", () => {
    assert.strictEqual(stepText(step({ index: 1, status: "passed" })), "✓ resume › 1. step 1 (1.5s)")
    assert.strictEqual(stepText(resume.steps[2]!), "- resume › 3. step 3 (not run)")
    assert.strictEqual(
      stepText(failedStep),
      [
        `✗ resume › 2. ocm chat \${session} <hello> & "bye" (1.5s)`,
        `    ran: ocm chat ses_1 '<hello> & "bye"' --json`,
        "    reply equals",
        '      expected: "CARRIED"',
        '      actual:   "echo: <hello>\u0007"',
        "    transcript: /tmp/ocm-prove-x/resume-step2-ses_1.md"
      ].join("\n")
    )
  })

  it("a line per scenario, then the result", () => {
    assert.strictEqual(scenarioText(resume), "✗ resume: step 2 of 3 failed, 1 not run (4.0s)")
    assert.strictEqual(scenarioText(fine), "✓ fine: 1 step passed (2.0s)")
    assert.strictEqual(
      scenarioText(broken),
      "✗ broken: the sandbox could not start: opencode serve did not answer health checks within 1m (60.0s)"
    )
    assert.strictEqual(resultText(result), "3 scenarios: 1 passed, 1 failed, 1 could not start (61.2s)\nJUnit report: /work/junit.xml")
  })
})

describe("NDJSON", () => {
  it("step, scenario and result events", () => {
    assert.deepStrictEqual(eventJson(failedStep), {
      type: "step",
      scenario: "resume",
      file: "scenarios/resume.yaml",
      index: 2,
      label: failedStep.label,
      kind: "ocm",
      status: "failed",
      durationMs: 1500,
      ran: failedStep.ran,
      outcome: { code: 0 },
      passedChecks: 2,
      failures: [{ check: "reply equals", expected: '"CARRIED"', actual: '"echo: <hello>\u0007"' }],
      session: "ses_1",
      transcript: failedStep.transcript
    })
    assert.deepStrictEqual(eventJson(resume), {
      type: "scenario",
      scenario: "resume",
      file: "scenarios/resume.yaml",
      status: "failed",
      error: null,
      steps: { total: 3, passed: 1, failed: 1, skipped: 1 },
      durationMs: 4000
    })
    assert.deepInclude(eventJson(result) as object, { type: "result", ok: false, total: 3, passed: 1, failed: 1, errors: 1, junit: "/work/junit.xml" })
  })
})

describe("JUnit XML", () => {
  it("escapes markup and drops what XML cannot hold", () => {
    assert.strictEqual(xmlText(`a<b>&"c"'d'\u0000\u0007\tok`), "a&lt;b&gt;&amp;&quot;c&quot;&apos;d&apos;\tok")
  })

  it("a suite per scenario, a case per step: failure with expected against actual, skipped, and a sandbox error", () => {
    assert.strictEqual(
      junitXml(result),
      [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<testsuites name="ocm prove" tests="5" failures="1" errors="1" skipped="1" time="61.234">',
        '  <testsuite name="resume" file="scenarios/resume.yaml" time="4.000" tests="3" failures="1" errors="0" skipped="1">',
        '    <testcase name="1. step 1" classname="resume" file="scenarios/resume.yaml" time="1.500"/>',
        '    <testcase name="2. ocm chat ${session} &lt;hello&gt; &amp; &quot;bye&quot;" classname="resume" file="scenarios/resume.yaml" time="1.500">',
        '      <failure message="reply equals: expected &quot;CARRIED&quot;, actual &quot;echo: &lt;hello&gt;&quot;" type="ScenarioFailed">ran: ocm chat ses_1 &apos;&lt;hello&gt; &amp; &quot;bye&quot;&apos; --json',
        "reply equals",
        "  expected: &quot;CARRIED&quot;",
        "  actual:   &quot;echo: &lt;hello&gt;&quot;",
        "transcript: /tmp/ocm-prove-x/resume-step2-ses_1.md</failure>",
        "    </testcase>",
        '    <testcase name="3. step 3" classname="resume" file="scenarios/resume.yaml" time="0.000">',
        '      <skipped message="not run: an earlier step failed"/>',
        "    </testcase>",
        "  </testsuite>",
        '  <testsuite name="broken" file="scenarios/broken.yaml" time="60.000" tests="1" failures="0" errors="1" skipped="0">',
        '    <testcase name="sandbox" classname="broken" file="scenarios/broken.yaml" time="60.000">',
        '      <error message="the sandbox could not start: opencode serve did not answer health checks within 1m" type="SandboxError">the sandbox could not start: opencode serve did not answer health checks within 1m</error>',
        "    </testcase>",
        "  </testsuite>",
        '  <testsuite name="fine" file="scenarios/fine.yaml" time="2.000" tests="1" failures="0" errors="0" skipped="0">',
        '    <testcase name="1. step 1" classname="fine" file="scenarios/fine.yaml" time="1.500"/>',
        "  </testsuite>",
        "</testsuites>",
        ""
      ].join("\n")
    )
  })
})
