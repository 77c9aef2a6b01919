/**
 * `ocm doctor`: what OpenCode's config resolves to and where each setting comes from, which server ocm would
 * talk to and why, whether auth is configured, whether the server answers with every endpoint ocm uses, and
 * the sandbox state. Every check is reported; a failed one makes the run fail (DoctorFailed, exit 15) after
 * the whole report is printed. The password is never part of the report.
 */
import * as FileSystem from "@effect/platform/FileSystem"
import * as Config from "effect/Config"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import { OpenCodeConnector, usedEndpoints } from "../../services/OpenCodeClient.js"
import { ProcessHost } from "../../services/ProcessHost.js"
import type { Connection } from "../cli/common.js"
import * as OpenCodeConfig from "../local/OpencodeConfig.js"
import type { OpenApiDocument } from "../domain/Domain.js"
import { DoctorFailed } from "../domain/Errors.js"
import { redactUrl } from "../domain/Text.js"
import { howItEnded, readSandboxState, statePath } from "../local/SandboxState.js"
import { resolveServerTarget, type ServerTarget } from "../engine/ServerTarget.js"

export interface DoctorOptions extends Connection {
  /** Skip reachability and endpoints (reported as skipped, not failed). */
  readonly skipServerCheck: boolean
}

export type CheckStatus = "pass" | "fail" | "skip"

export interface Check {
  readonly name: "config" | "base-url" | "auth" | "reachability" | "endpoints" | "sandbox"
  readonly status: CheckStatus
  readonly detail: string
}

export interface Endpoint {
  readonly method: string
  readonly path: string
}

/** The server's own view of its config for a directory (`GET /config`): what prompts sent from there get. */
export interface ServerSettings {
  readonly directory: string
  /** Each reported setting, null when the server's config does not set it (the server's default applies). */
  readonly settings: Readonly<Record<(typeof OpenCodeConfig.reportedSettings)[number], string | null>>
}

export interface DoctorReport {
  /** No check failed (skipped checks are not failures, nor passes: see `summary`). */
  readonly ok: boolean
  readonly summary: { readonly total: number; readonly passed: number; readonly failed: number; readonly skipped: number }
  readonly checks: ReadonlyArray<Check>
  readonly config: {
    readonly cwd: string
    readonly worktree: string
    readonly projectConfigDisabled: boolean
    /** Lowest precedence first: a later source overrides an earlier one. */
    readonly sources: ReadonlyArray<{
      readonly precedence: number
      readonly kind: OpenCodeConfig.ConfigSourceKind
      readonly path: string
      readonly exists: boolean
      readonly parses: boolean
      readonly error?: string
      readonly keys: ReadonlyArray<string>
    }>
    /** What the local config files resolve to (what a server started here would use). */
    readonly effective: ReadonlyArray<OpenCodeConfig.EffectiveSetting>
  }
  readonly server: {
    readonly url?: string
    readonly rule?: string
    readonly ruleDetail?: string
    readonly username: string
    /** "set (from …)" or "not set": never the secret. */
    readonly password: string
    readonly version?: string
    /** The server's effective settings (`GET /config` for the current directory); absent when it was not asked. */
    readonly effective?: ServerSettings
    /** Why the server's settings are missing although it answered. */
    readonly effectiveError?: string
  }
  readonly sandbox: {
    readonly state: "running" | "stale" | "none" | "unreadable"
    readonly statePath: string
    readonly url?: string
  }
}

/** Path parameters are compared by position, not name: `/session/{id}` is `/session/{sessionID}`. */
const pathShape = (path: string) => path.replace(/\{[^}]*\}/g, "{}")

/** The endpoints of `used` that the server's OpenAPI document does not list. */
export const missingEndpoints = (
  doc: OpenApiDocument,
  used: ReadonlyArray<Endpoint> = usedEndpoints
): ReadonlyArray<Endpoint> => {
  const offered = new Set(
    Object.entries(doc.paths).flatMap(([path, methods]) =>
      Object.keys(methods).map((method) => `${method.toLowerCase()} ${pathShape(path)}`)
    )
  )
  return used.filter((endpoint) => !offered.has(`${endpoint.method.toLowerCase()} ${pathShape(endpoint.path)}`))
}

const check = (name: Check["name"], status: CheckStatus, detail: string): Check => ({ name, status, detail })

const messageOf = (error: unknown) =>
  typeof error === "object" && error !== null && "message" in error ? String(error.message) : String(error)

const nonEmptyEnv = (name: string) =>
  Config.string(name).pipe(
    Config.option,
    Config.map(Option.filter((value) => value.trim() !== "")),
    Effect.orElseSucceed(() => Option.none<string>())
  )

/** Username and where the password comes from, by the same rules as resolveServerTarget; never the password. */
const authConfiguration = (passwordFile: string | undefined) =>
  Effect.gen(function* () {
    const username = Option.getOrElse(yield* nonEmptyEnv("OPENCODE_SERVER_USERNAME"), () => "opencode")
    if (passwordFile !== undefined) {
      const fs = yield* FileSystem.FileSystem
      const content = yield* Effect.either(fs.readFileString(passwordFile))
      if (Either.isLeft(content)) {
        return { username, password: "set (from --password-file)", problem: `--password-file: cannot read ${passwordFile}` }
      }
      return content.right.trim() === ""
        ? { username, password: "set (from --password-file)", problem: `--password-file: ${passwordFile} is empty` }
        : { username, password: "set (from --password-file)" }
    }
    const fromEnv = Option.isSome(yield* nonEmptyEnv("OPENCODE_SERVER_PASSWORD"))
    return { username, password: fromEnv ? "set (from OPENCODE_SERVER_PASSWORD)" : "not set" }
  })

const configCheck = (discovery: OpenCodeConfig.ConfigDiscovery): Check => {
  const existing = discovery.sources.filter((source) => source.exists)
  const broken = existing.filter((source) => !source.parses)
  // OpenCode quietly skips a missing OPENCODE_CONFIG file; whoever set the variable expects it to be read
  const named = discovery.sources.filter((source) => source.kind === "OPENCODE_CONFIG" && !source.exists)
  const problems = [
    ...broken.map((source) => `${source.path}: ${source.error ?? "does not parse"} (OpenCode will not load its config until this is fixed)`),
    ...named.map((source) => `OPENCODE_CONFIG names ${source.path}, which does not exist (OpenCode ignores it)`)
  ]
  if (problems.length > 0) return check("config", "fail", problems.join("; "))
  return check(
    "config",
    "pass",
    existing.length === 0 ? "no config file found (OpenCode's defaults apply)" : `${existing.length} source(s) found, all parse`
  )
}

const sandboxCheck = Effect.gen(function* () {
  const path = yield* statePath.pipe(Effect.orElseSucceed(() => "(unknown state file path)"))
  const state = yield* Effect.either(readSandboxState)
  if (Either.isLeft(state)) {
    return {
      check: check("sandbox", "fail", `the state file ${path} cannot be read: ${messageOf(state.left)}; "ocm sandbox down" removes it`),
      report: { state: "unreadable", statePath: path } as const
    }
  }
  if (Option.isNone(state.right)) {
    return { check: check("sandbox", "pass", "none running"), report: { state: "none", statePath: path } as const }
  }
  const { alive, state: sandbox } = state.right.value
  return alive
    ? {
        check: check("sandbox", "pass", `running at ${sandbox.url} (supervisor ${sandbox.supervisorPid}, server ${sandbox.serverPid})`),
        report: { state: "running", statePath: path, url: sandbox.url } as const
      }
    : {
        check: check(
          "sandbox",
          "fail",
          `stale state file ${path}: the sandbox at ${sandbox.url} is gone (${howItEnded(sandbox)}); "ocm sandbox down" (or the next "ocm sandbox up") cleans it up`
        ),
        report: { state: "stale", statePath: path, url: sandbox.url } as const
      }
})

interface ServerChecks {
  readonly checks: ReadonlyArray<Check>
  readonly version?: string
  readonly effective?: Either.Either<ServerSettings, string>
}

/** A setting's value as the report shows it: a string as it is, anything else as JSON, unset as null. */
export const settingOf = (value: unknown) => (typeof value === "string" && value !== "" ? value : value === undefined || value === null ? null : JSON.stringify(value))

const serverChecks = (target: ServerTarget, auth: { readonly password: string }, skip: boolean, cwd: string) =>
  Effect.gen(function* () {
    const authPass = check("auth", "pass", `password ${auth.password}`)
    if (skip) {
      return {
        checks: [
          authPass,
          check("reachability", "skip", "--skip-server-check"),
          check("endpoints", "skip", "--skip-server-check")
        ]
      } satisfies ServerChecks
    }
    // the client's own rule: silent for 9 s is unreachable, a server that answered may be slow (a first /doc is)
    const client = yield* Effect.flatMap(OpenCodeConnector, (connector) => connector.connect(target))
    const health = yield* Effect.either(client.health)
    if (Either.isLeft(health)) {
      const unauthorized = health.left._tag === "Unauthorized"
      return {
        checks: [
          unauthorized
            ? check(
                "auth",
                "fail",
                auth.password === "not set"
                  ? "the server answered 401: it wants a password (OPENCODE_SERVER_PASSWORD or --password-file)"
                  : `the server answered 401: it refused the password ${auth.password.replace(/^set /, "")}`
              )
            : authPass,
          check("reachability", "fail", unauthorized ? `${redactUrl(target.url)} answered 401 Unauthorized` : health.left.message),
          check("endpoints", "skip", "the server did not answer")
        ]
      } satisfies ServerChecks
    }
    const { healthy, version } = health.right
    const reachability = healthy
      ? check("reachability", "pass", `opencode ${version} at ${redactUrl(target.url)} is healthy`)
      : check("reachability", "fail", `opencode ${version} at ${redactUrl(target.url)} says it is not healthy`)
    const doc = yield* Effect.either(client.openApi)
    const endpoints = Either.match(doc, {
      onLeft: (error) => check("endpoints", "fail", `cannot read the server's /doc: ${error.message}`),
      onRight: (document) => {
        const missing = missingEndpoints(document)
        return missing.length === 0
          ? check("endpoints", "pass", `all ${usedEndpoints.length} endpoints ocm uses are in /doc`)
          : check(
              "endpoints",
              "fail",
              `missing from /doc: ${missing.map((endpoint) => `${endpoint.method.toUpperCase()} ${endpoint.path}`).join(", ")}`
            )
      }
    })
    const config = yield* Effect.either(client.config({ directory: cwd }))
    const effective = Either.match(config, {
      onLeft: (error) => Either.left(`GET /config failed: ${error.message}`),
      onRight: (served) =>
        Either.right<ServerSettings>({
          directory: cwd,
          settings: Object.fromEntries(
            OpenCodeConfig.reportedSettings.map((key) => [key, settingOf(served[key])])
          ) as ServerSettings["settings"]
        })
    })
    return { checks: [authPass, reachability, endpoints], version, effective } satisfies ServerChecks
  })

/** Runs every check and gathers the report; it never fails, a problem is a failed check. */
export const doctorReport = (options: DoctorOptions) =>
  Effect.gen(function* () {
    const host = yield* ProcessHost
    const environment = yield* OpenCodeConfig.openCodeEnvironment(host.cwd)
    const discovery = yield* OpenCodeConfig.discoverConfig(environment)
    const passwordFile = Option.getOrUndefined(options.passwordFile)
    const auth = yield* authConfiguration(passwordFile)
    const target = yield* Effect.either(
      resolveServerTarget({
        url: Option.getOrUndefined(options.url),
        attach: Option.getOrUndefined(options.attach),
        passwordFile
      })
    )

    const urlCheck = Either.match(target, {
      onLeft: (error) => check("base-url", "fail", messageOf(error)),
      onRight: ({ url, rule, detail }) => check("base-url", "pass", `${rule}: ${redactUrl(url)}${detail === undefined ? "" : ` (${detail})`}`)
    })
    const server: ServerChecks =
      auth.problem !== undefined
        ? {
            checks: [
              check("auth", "fail", auth.problem),
              check("reachability", "skip", "auth is not configured correctly"),
              check("endpoints", "skip", "auth is not configured correctly")
            ]
          }
        : Either.isLeft(target)
          ? {
              checks: [
                check("auth", "pass", `password ${auth.password}`),
                check("reachability", "skip", "no valid base URL"),
                check("endpoints", "skip", "no valid base URL")
              ]
            }
          : yield* serverChecks(target.right, auth, options.skipServerCheck, discovery.cwd)
    const sandbox = yield* sandboxCheck
    const checks = [configCheck(discovery), urlCheck, ...server.checks, sandbox.check]

    const resolved = Either.getRight(target)
    const count = (status: CheckStatus) => checks.filter((entry) => entry.status === status).length
    const report: DoctorReport = {
      ok: count("fail") === 0,
      summary: { total: checks.length, passed: count("pass"), failed: count("fail"), skipped: count("skip") },
      checks,
      config: {
        cwd: discovery.cwd,
        worktree: discovery.worktree,
        projectConfigDisabled: discovery.projectConfigDisabled,
        sources: discovery.sources.map((source, index) => ({
          precedence: index + 1,
          kind: source.kind,
          path: source.path,
          exists: source.exists,
          parses: source.parses,
          ...(source.error === undefined ? {} : { error: source.error }),
          keys: source.keys
        })),
        effective: OpenCodeConfig.effectiveSettings(discovery.sources)
      },
      server: {
        ...Option.match(resolved, {
          onNone: () => ({}),
          onSome: ({ url, rule, detail }) => ({ url: redactUrl(url), rule, ...(detail === undefined ? {} : { ruleDetail: detail }) })
        }),
        username: auth.username,
        password: auth.password,
        ...(server.version === undefined ? {} : { version: server.version }),
        ...(server.effective === undefined
          ? {}
          : Either.match(server.effective, {
              onLeft: (effectiveError) => ({ effectiveError }),
              onRight: (effective) => ({ effective })
            }))
      },
      sandbox: sandbox.report
    }
    return report
  })

/** Fails with DoctorFailed, naming each failed check, when the report has one; otherwise the report. */
export const doctorVerdict = (report: DoctorReport): Effect.Effect<DoctorReport, DoctorFailed> =>
  report.ok
    ? Effect.succeed(report)
    : Effect.fail(
        new DoctorFailed({
          failed: report.checks.filter((entry) => entry.status === "fail").map((entry) => `${entry.name}: ${entry.detail}`)
        })
      )
