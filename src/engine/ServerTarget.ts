/**
 * Which OpenCode server ocm talks to (SPEC §3), decided once per run by the first rule that applies:
 * --url/--attach → OPENCODE_BASE_URL → OPENCODE_SERVER_HOST/PORT → the running ocm sandbox →
 * a discovered local `opencode serve` → http://127.0.0.1:4096. A sandbox state file whose sandbox is gone is an
 * error (SandboxError), never a reason to try the next rule.
 */
import * as FileSystem from "@effect/platform/FileSystem"
import * as Config from "effect/Config"
import * as Effect from "effect/Effect"
import * as FiberRef from "effect/FiberRef"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import { InvalidInput } from "../domain/Errors.js"
import { ProcessHost } from "../../services/ProcessHost.js"
import { note } from "../../services/Progress.js"
import { readSandboxState, sandboxGone, statePath, unreadableState } from "../local/SandboxState.js"
import { redactUrl } from "../domain/Text.js"

export type { ServerTarget, TargetRule } from "../domain/ServerTarget.js"
import type { ServerTarget, TargetRule } from "../domain/ServerTarget.js"

export interface TargetFlags {
  readonly url?: string | undefined
  readonly attach?: string | undefined
  readonly passwordFile?: string | undefined
}

export const DEFAULT_URL = "http://127.0.0.1:4096"

/** Parses and normalises a base URL; credentials inside it are refused so they never reach a log. */
export const normaliseUrl = (raw: string, origin: string): Effect.Effect<string, InvalidInput> =>
  Effect.try({
    try: () => new URL(raw.includes("://") ? raw : `http://${raw}`),
    // never echo the input: it may hold credentials
    catch: () => new InvalidInput({ message: `${origin}: not a valid URL` })
  }).pipe(
    Effect.filterOrFail(
      (url) => url.protocol === "http:" || url.protocol === "https:",
      () => new InvalidInput({ message: `${origin}: only http and https URLs are supported` })
    ),
    Effect.filterOrFail(
      (url) => url.username === "" && url.password === "",
      () =>
        new InvalidInput({
          message: `${origin}: put credentials in OPENCODE_SERVER_PASSWORD or --password-file, not in the URL`
        })
    ),
    Effect.map((url) => url.toString().replace(/\/+$/, ""))
  )

/** The password held in a file (`--password-file`), surrounding whitespace trimmed; never echoed. */
export const readPasswordFile = (file: string) =>
  Effect.gen(function* () {
    const fs = yield* FileSystem.FileSystem
    const text = yield* fs.readFileString(file).pipe(
      Effect.mapError(() => new InvalidInput({ message: `--password-file: cannot read ${file}` }))
    )
    return Redacted.make(text.trim())
  })

const optionalEnv = (name: string) =>
  Config.string(name).pipe(
    Config.option,
    Config.map(Option.filter((value) => value.trim() !== ""))
  )

/**
 * The listening TCP sockets in the text of `/proc/net/tcp` or `/proc/net/tcp6`: socket inode → port. Columns:
 * sl, local address (hex ip:port), remote address, state (0A is LISTEN), queues, timers, retransmits, uid,
 * timeout, inode.
 */
export const listeningSockets = (table: string): ReadonlyMap<string, number> => {
  const sockets = new Map<string, number>()
  for (const line of table.split("\n").slice(1)) {
    const columns = line.trim().split(/\s+/)
    if (columns.length < 10 || columns[3] !== "0A") continue
    const local = columns[1]!
    const port = Number.parseInt(local.slice(local.lastIndexOf(":") + 1), 16)
    if (Number.isInteger(port) && port > 0) sockets.set(columns[9]!, port)
  }
  return sockets
}

/** This machine's listening sockets (inode → port), IPv4 and IPv6. */
const listeningSocketsNow = Effect.gen(function* () {
  const fs = yield* FileSystem.FileSystem
  const tables = yield* Effect.forEach(["/proc/net/tcp", "/proc/net/tcp6"], (table) =>
    fs.readFileString(table).pipe(Effect.orElseSucceed(() => ""))
  )
  return new Map(tables.flatMap((table) => [...listeningSockets(table)]))
})

/** A server started without a port (`opencode serve` tries 4096, then takes any) is found by its sockets. */
const listeningPortOf = (pid: string, sockets: ReadonlyMap<string, number>) =>
  Effect.gen(function* () {
    const fs = yield* FileSystem.FileSystem
    const fds = yield* fs.readDirectory(`/proc/${pid}/fd`).pipe(Effect.orElseSucceed(() => [] as Array<string>))
    for (const fd of fds) {
      const link = yield* fs.readLink(`/proc/${pid}/fd/${fd}`).pipe(Effect.orElseSucceed(() => ""))
      const port = sockets.get(/^socket:\[(\d+)\]$/.exec(link)?.[1] ?? "")
      if (port !== undefined) return Option.some(port)
    }
    return Option.none<number>()
  })

/** Of several servers, the one started in the current directory or the nearest one above it; else the newest. */
export const preferredServer = <A extends { readonly pid: string; readonly cwd: string }>(
  servers: ReadonlyArray<A>,
  cwd: string | undefined
): Option.Option<A> => {
  const above = (server: A) => cwd !== undefined && (server.cwd === cwd || cwd.startsWith(`${server.cwd.replace(/\/$/, "")}/`))
  const newest = (a: A, b: A) => Number(b.pid) - Number(a.pid)
  const near = servers.filter(above).sort((a, b) => b.cwd.length - a.cwd.length || newest(a, b))
  return Option.fromNullable(near.length > 0 ? near[0] : [...servers].sort(newest)[0])
}

/**
 * Whether a command line is an OpenCode server: `opencode serve …`, or the TUI (`opencode [DIR] [--port N] …`,
 * which listens when given a port), with the `--port` and `--hostname` it was given. Other subcommands
 * (`opencode run`, `export`, …) are not servers to attach to.
 */
export const serverCommandLine = (
  argv: ReadonlyArray<string>
): { readonly port: string | undefined; readonly hostname: string | undefined } | undefined => {
  // the binary itself, or the npm package's launcher script run by node or bun
  const isOpencode = (arg: string | undefined) => arg !== undefined && /(^|\/)opencode(\.exe)?$/.test(arg)
  const binary = isOpencode(argv[0]) ? 0 : /(^|\/)(node|nodejs|bun)(\.exe)?$/.test(argv[0] ?? "") && isOpencode(argv[1]) ? 1 : -1
  if (binary === -1) return undefined
  const rest = argv.slice(binary + 1)
  const isServe = rest[0] === "serve"
  const isTui = rest.length === 0 || /^[-/.~]/.test(rest[0]!)
  if (!isServe && !isTui) return undefined
  const flag = (name: string) => {
    const inline = rest.find((arg) => arg.startsWith(`--${name}=`))
    if (inline) return inline.slice(name.length + 3)
    const at = rest.indexOf(`--${name}`)
    return at >= 0 ? rest[at + 1] : undefined
  }
  return { port: flag("port"), hostname: flag("hostname") }
}

/** OpenCode servers of this user on this machine, from /proc (Linux); nothing elsewhere. */
const discoverServeProcess = (cwd: string | undefined) =>
  Effect.gen(function* () {
    const fs = yield* FileSystem.FileSystem
    const entries = yield* fs.readDirectory("/proc").pipe(Effect.orElseSucceed(() => [] as Array<string>))
    const servers: Array<{ pid: string; cwd: string; url: string }> = []
    // read once, and only if some server was started without a port
    const sockets = yield* Effect.cached(listeningSocketsNow)
    for (const pid of entries.filter((entry) => /^\d+$/.test(entry))) {
      const cmdline = yield* fs.readFileString(`/proc/${pid}/cmdline`).pipe(Effect.orElseSucceed(() => ""))
      const server = serverCommandLine(cmdline.split("\0").filter((arg) => arg !== ""))
      if (server === undefined) continue
      const given = server.port
      const port = given !== undefined && given !== "0" ? Option.some(given) : Option.map(yield* listeningPortOf(pid, yield* sockets), String)
      if (Option.isNone(port)) continue
      const where = yield* fs.readLink(`/proc/${pid}/cwd`).pipe(Effect.orElseSucceed(() => ""))
      servers.push({ pid, cwd: where, url: `http://${server.hostname ?? "127.0.0.1"}:${port.value}` })
    }
    return preferredServer(servers, cwd)
  })

/** The user name and password for a server: OPENCODE_SERVER_USERNAME, then --password-file or OPENCODE_SERVER_PASSWORD. */
export const resolveCredentials = (flags: Pick<TargetFlags, "passwordFile">) =>
  Effect.gen(function* () {
    const username = Option.getOrElse(yield* optionalEnv("OPENCODE_SERVER_USERNAME"), () => "opencode")
    const password: Redacted.Redacted<string> | undefined = flags.passwordFile
      ? yield* readPasswordFile(flags.passwordFile)
      : Option.getOrUndefined(Option.map(yield* optionalEnv("OPENCODE_SERVER_PASSWORD"), Redacted.make))
    return { username, password }
  })

/**
 * Whether the running command changes state on the server (set by `changesState` in the command wiring): then a
 * server found by discovery, the one rule the user did not name, is named on stderr before anything is done there.
 */
export const announceDiscoveredServer = FiberRef.unsafeMake(false)

export const resolveServerTarget = Effect.fn("ServerTarget.resolveServerTarget")(
  function* (flags: TargetFlags) {
    const { username, password } = yield* resolveCredentials(flags)
    const target = (url: string, rule: TargetRule, detail?: string): ServerTarget =>
      detail === undefined ? { url, rule, username, password } : { url, rule, username, password, detail }

    if (flags.url !== undefined && flags.attach !== undefined) {
      return yield* new InvalidInput({ message: "--url and --attach name the same thing; give one" })
    }
    if (flags.url !== undefined) return target(yield* normaliseUrl(flags.url, "--url"), "--url")
    if (flags.attach !== undefined) {
      if (!/^[^/:\s]+:\d{1,5}$/.test(flags.attach)) {
        return yield* new InvalidInput({ message: "--attach expects host:port" })
      }
      return target(yield* normaliseUrl(flags.attach, "--attach"), "--attach")
    }
    const baseUrl = yield* optionalEnv("OPENCODE_BASE_URL")
    if (Option.isSome(baseUrl)) return target(yield* normaliseUrl(baseUrl.value, "OPENCODE_BASE_URL"), "OPENCODE_BASE_URL")
    const host = yield* optionalEnv("OPENCODE_SERVER_HOST")
    const port = yield* optionalEnv("OPENCODE_SERVER_PORT")
    if (Option.isSome(host) || Option.isSome(port)) {
      const portValue = Option.getOrElse(port, () => "4096")
      if (!/^\d{1,5}$/.test(portValue)) {
        return yield* new InvalidInput({ message: `OPENCODE_SERVER_PORT must be a port number, got "${portValue}"` })
      }
      const url = `${Option.getOrElse(host, () => "127.0.0.1")}:${portValue}`
      return target(yield* normaliseUrl(url, "OPENCODE_SERVER_HOST/PORT"), "OPENCODE_SERVER_HOST/PORT")
    }
    // a sandbox that is gone (or a state file that cannot be read) stops here: its sessions are not elsewhere
    const statePathNow = yield* statePath
    const sandbox = yield* readSandboxState.pipe(Effect.mapError(() => unreadableState(statePathNow)))
    if (Option.isSome(sandbox)) {
      if (!sandbox.value.alive) return yield* sandboxGone(sandbox.value.state, sandbox.value.path)
      return target(sandbox.value.state.url, "sandbox", sandbox.value.path)
    }
    const processHost = yield* Effect.serviceOption(ProcessHost)
    const discovered = yield* discoverServeProcess(Option.getOrUndefined(Option.map(processHost, (self) => self.cwd)))
    if (Option.isSome(discovered)) {
      const { pid, url, cwd } = discovered.value
      if (yield* FiberRef.get(announceDiscoveredServer)) {
        yield* note("warning", `ocm: using the OpenCode server discovered at ${url} (pid ${pid}, started in ${cwd || "an unknown directory"})`)
      }
      return target(url, "discovered process", `pid ${pid}`)
    }
    return target(DEFAULT_URL, "default")
  },
  Effect.tap((target) => Effect.annotateCurrentSpan({ "ocm.server.rule": target.rule, "server.address": redactUrl(target.url) }))
)
