/** How `ocm doctor` reads: the config sources and what they resolve to, the server, each check, a summary. */
import { type CheckStatus, type DoctorReport, settingOf } from "../programs/doctor.js"
import { table, type View } from "./Presenter.js"

const shown = (value: unknown) => (typeof value === "string" && value !== "" ? value : JSON.stringify(value))

/** "all 6 checks passed", "4 of 6 checks passed, 2 skipped: …", "1 of 6 checks failed: …; 3 passed, 2 skipped: …". */
export const checksSummary = (report: Pick<DoctorReport, "checks" | "summary">) => {
  const { total, passed, failed, skipped } = report.summary
  const names = (status: CheckStatus) =>
    report.checks
      .filter((entry) => entry.status === status)
      .map((entry) => entry.name)
      .join(", ")
  const skippedPart = skipped === 0 ? "" : `${skipped} skipped (${names("skip")})`
  if (failed > 0) return `${failed} of ${total} checks failed: ${names("fail")}; ${passed} passed${skipped === 0 ? "" : `, ${skippedPart}`}`
  return skipped === 0 ? `all ${total} checks passed` : `${passed} of ${total} checks passed, ${skippedPart}`
}

const serverSettingsLines = (report: DoctorReport): ReadonlyArray<string> => {
  const { server, config } = report
  if (server.effective === undefined) {
    return [`server's effective settings: ${server.effectiveError ?? "not read (the server was not checked, or did not answer)"}`]
  }
  const local = new Map(config.effective.map((setting) => [setting.key, setting.value === undefined ? null : settingOf(setting.value)]))
  return [
    `server's effective settings (GET /config for ${server.effective.directory}: what sessions here get)`,
    table(
      Object.entries(server.effective.settings).map(([key, value]) => [
        key,
        `${value ?? "not set (the server's default applies)"}${local.get(key) === value ? "" : `  (differs from the local config files: ${local.get(key) ?? "not set"})`}`
      ])
    )
  ]
}

/** The human form of the report. */
export const renderDoctorReport = (report: DoctorReport): string => {
  const { config, server } = report
  const sourceStatus = (source: DoctorReport["config"]["sources"][number]) =>
    !source.exists
      ? `missing  ${source.path}`
      : !source.parses
        ? `INVALID  ${source.path}: ${source.error ?? "does not parse"}`
        : `ok       ${source.path}${source.keys.length > 0 ? `  sets ${source.keys.join(", ")}` : "  (empty)"}`
  return [
    `OpenCode config for ${config.cwd}`,
    config.projectConfigDisabled
      ? "  project config disabled by OPENCODE_DISABLE_PROJECT_CONFIG"
      : `  project files searched from here up to ${config.worktree}`,
    "  sources, lowest precedence first (a later source overrides an earlier one):",
    table(config.sources.map((source) => [`${source.precedence}. ${source.kind}`, sourceStatus(source)]), "    "),
    config.sources.some((source) => !source.parses)
      ? "effective settings from the local config files (OpenCode refuses an invalid source; these leave it out)"
      : "effective settings from the local config files (what a server started here would use)",
    table(
      config.effective.map((setting) => [
        setting.key,
        setting.source === undefined
          ? "not set (the server's default applies)"
          : `${shown(setting.value)}  from ${setting.source}${setting.overridden.length > 0 ? ` (overrides ${setting.overridden.join(", ")})` : ""}`
      ])
    ),
    "server",
    table([
      ["url", server.url ?? "(none)"],
      ["rule", server.rule === undefined ? undefined : `${server.rule}${server.ruleDetail === undefined ? "" : ` (${server.ruleDetail})`}`],
      ["username", server.username],
      ["password", server.password],
      ["version", server.version]
    ]),
    ...serverSettingsLines(report),
    "checks",
    table(report.checks.map((entry) => [entry.status, `${entry.name}: ${entry.detail}`])),
    checksSummary(report)
  ].join("\n")
}

/** The report as text, or as it is (`--json`). */
export const doctorView: View<DoctorReport> = {
  json: (report) => report,
  text: renderDoctorReport
}
