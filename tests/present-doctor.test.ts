/** The view of `ocm doctor`: the whole report as text (sources, effective settings, server, checks, summary). */
import { assert, describe, it } from "@effect/vitest"
import { checksSummary, doctorView } from "../src/present/doctor.js"
import { render } from "../src/present/Presenter.js"
import type { DoctorReport } from "../src/programs/doctor.js"

const report: DoctorReport = {
  ok: false,
  summary: { total: 6, passed: 4, failed: 1, skipped: 1 },
  checks: [
    { name: "config", status: "fail", detail: "/p/opencode.json: unexpected token at 1:2" },
    { name: "base-url", status: "pass", detail: "OPENCODE_BASE_URL: http://127.0.0.1:4096" },
    { name: "auth", status: "pass", detail: "password not set" },
    { name: "reachability", status: "pass", detail: "opencode 1.18.33 at http://127.0.0.1:4096 is healthy" },
    { name: "endpoints", status: "skip", detail: "the server did not answer" },
    { name: "sandbox", status: "pass", detail: "none running" }
  ],
  config: {
    cwd: "/p/sub",
    worktree: "/p",
    projectConfigDisabled: false,
    sources: [
      { precedence: 1, kind: "global", path: "/h/.config/opencode/opencode.json", exists: true, parses: true, keys: ["model"] },
      { precedence: 2, kind: "project", path: "/p/opencode.json", exists: true, parses: false, error: "unexpected token at 1:2", keys: [] },
      { precedence: 3, kind: ".opencode", path: "/p/.opencode/opencode.json", exists: false, parses: true, keys: [] }
    ],
    effective: [
      { key: "model", value: "p/m", source: "/h/.config/opencode/opencode.json", overridden: [] },
      { key: "small_model", value: undefined, source: undefined, overridden: [] },
      { key: "default_agent", value: "build", source: "/p/.opencode/opencode.json", overridden: ["/h/.config/opencode/opencode.json"] }
    ]
  },
  server: {
    url: "http://127.0.0.1:4096",
    rule: "OPENCODE_BASE_URL",
    username: "opencode",
    password: "not set",
    version: "1.18.33",
    effective: { directory: "/p/sub", settings: { model: "p/m", small_model: null, default_agent: "plan" } }
  },
  sandbox: { state: "none", statePath: "/s/ocm/sandbox.json" }
}

describe("doctor", () => {
  it("reads the whole report, the server's settings marked where they differ from the local files", () => {
    assert.strictEqual(
      render(doctorView, { json: false }, report),
      [
        "OpenCode config for /p/sub",
        "  project files searched from here up to /p",
        "  sources, lowest precedence first (a later source overrides an earlier one):",
        "    1. global     ok       /h/.config/opencode/opencode.json  sets model",
        "    2. project    INVALID  /p/opencode.json: unexpected token at 1:2",
        "    3. .opencode  missing  /p/.opencode/opencode.json",
        "effective settings from the local config files (OpenCode refuses an invalid source; these leave it out)",
        "  model          p/m  from /h/.config/opencode/opencode.json",
        "  small_model    not set (the server's default applies)",
        "  default_agent  build  from /p/.opencode/opencode.json (overrides /h/.config/opencode/opencode.json)",
        "server",
        "  url       http://127.0.0.1:4096",
        "  rule      OPENCODE_BASE_URL",
        "  username  opencode",
        "  password  not set",
        "  version   1.18.33",
        "server's effective settings (GET /config for /p/sub: what sessions here get)",
        "  model          p/m",
        "  small_model    not set (the server's default applies)",
        "  default_agent  plan  (differs from the local config files: build)",
        "checks",
        "  fail  config: /p/opencode.json: unexpected token at 1:2",
        "  pass  base-url: OPENCODE_BASE_URL: http://127.0.0.1:4096",
        "  pass  auth: password not set",
        "  pass  reachability: opencode 1.18.33 at http://127.0.0.1:4096 is healthy",
        "  skip  endpoints: the server did not answer",
        "  pass  sandbox: none running",
        "1 of 6 checks failed: config; 4 passed, 1 skipped (endpoints)"
      ].join("\n")
    )
  })

  it("--json is the report itself", () => {
    assert.deepStrictEqual(JSON.parse(render(doctorView, { json: true }, report)!), JSON.parse(JSON.stringify(report)))
  })

  it("the summary counts skipped checks apart from passed ones", () => {
    const passing = { ...report, checks: report.checks.map((check) => ({ ...check, status: "pass" as const })) }
    assert.strictEqual(checksSummary({ ...passing, summary: { total: 6, passed: 6, failed: 0, skipped: 0 } }), "all 6 checks passed")
    assert.strictEqual(
      checksSummary({ checks: report.checks.filter((check) => check.status !== "fail"), summary: { total: 5, passed: 4, failed: 0, skipped: 1 } }),
      "4 of 5 checks passed, 1 skipped (endpoints)"
    )
  })
})
