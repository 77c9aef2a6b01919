/**
 * Running an `opencode serve` we own: on 127.0.0.1 and a free port (or the one asked for), its output in a log
 * file, ready once `/global/health` answers, stopped with the scope (SIGTERM to its process group, a bounded
 * wait, then SIGKILL). Used by the sandbox (isolated) and by `run --spawn` (the user's own environment).
 *
 * A process killed outright (SIGKILL, a test worker killed on timeout) runs no finalizer, so each server's temp
 * dir holds `owner.json` (our pid and the server's) while it runs; the next server started sweeps the dirs whose
 * owner is gone, killing the server's process group if that pid is still an opencode process.
 */
import * as Command from "@effect/platform/Command"
import * as FileSystem from "@effect/platform/FileSystem"
import * as Path from "@effect/platform/Path"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as Redacted from "effect/Redacted"
import * as Schedule from "effect/Schedule"
import * as Stream from "effect/Stream"
import { createServer } from "node:net"
import * as Option from "effect/Option"
import { SandboxError } from "../domain/Errors.js"
import { isOpencodeProcess, processAlive } from "../local/SandboxState.js"
import { ProcessHost } from "../../services/ProcessHost.js"
import { Health } from "../domain/Domain.js"

/**
 * One short health check of a server we started (no OpenCodeClient: this is a process helper, not a client):
 * `GET /global/health`, its body included, within 500 ms.
 */
const healthOf = (http: HttpClient.HttpClient, url: string, password: Redacted.Redacted<string> | undefined) => {
  const request = HttpClientRequest.get(`${url}/global/health`).pipe(
    HttpClientRequest.acceptJson,
    password === undefined ? (r) => r : HttpClientRequest.basicAuth("opencode", Redacted.value(password))
  )
  return http.pipe(HttpClient.filterStatusOk, HttpClient.withTracerPropagation(false)).execute(request).pipe(
    Effect.flatMap(HttpClientResponse.schemaBodyJson(Health)),
    Effect.scoped,
    Effect.timeout("500 millis")
  )
}

export interface ServeOptions {
  readonly binary: string
  readonly cwd: string
  /** Start with exactly this environment (through `env -i`); absent: this process's environment. */
  readonly environment?: Readonly<Record<string, string>> | undefined
  /** A fixed port; absent: a free one (tried again on another if it is taken meanwhile). */
  readonly port?: number | undefined
  readonly password?: Redacted.Redacted<string> | undefined
  readonly logFile: string
  readonly startTimeout: Duration.DurationInput
  /**
   * The server's own temp dir (made with one of `OWNED_PREFIXES`): it gets `owner.json` as soon as the process
   * exists, and abandoned siblings are swept first; the server's TMPDIR is `tmp` inside it. Removing the dir (or
   * the file) is the caller's release.
   */
  readonly ownedDir: string
}

export const OWNER_FILE = "owner.json"
/** Temp dir prefixes of the servers ocm starts: a sandbox's root, a `run --spawn` server's log dir. */
export const OWNED_PREFIXES = ["ocm-sandbox-", "ocm-run-"] as const

const sweepAbandoned = (ownedDir: string) =>
  Effect.gen(function* () {
    const fs = yield* FileSystem.FileSystem
    const path = yield* Path.Path
    const host = yield* ProcessHost
    const tempDir = path.dirname(ownedDir)
    const entries = yield* fs.readDirectory(tempDir).pipe(Effect.orElseSucceed(() => [] as Array<string>))
    for (const entry of entries) {
      const dir = `${tempDir}/${entry}`
      if (!OWNED_PREFIXES.some((prefix) => entry.startsWith(prefix)) || dir === ownedDir) continue
      const owner = yield* fs.readFileString(`${dir}/${OWNER_FILE}`).pipe(
        Effect.flatMap((text) => Effect.try(() => JSON.parse(text) as { ownerPid?: unknown; serverPid?: unknown })),
        Effect.option
      )
      if (Option.isNone(owner) || typeof owner.value.ownerPid !== "number" || typeof owner.value.serverPid !== "number") continue
      if (yield* processAlive(owner.value.ownerPid)) continue
      if (yield* isOpencodeProcess(owner.value.serverPid)) yield* host.signal(owner.value.serverPid, "SIGKILL", { group: true })
      yield* fs.remove(dir, { recursive: true }).pipe(Effect.ignore)
      yield* Effect.logInfo(`removed ${dir} and stopped its server, abandoned by process ${owner.value.ownerPid}`)
    }
  })

export interface ServedOpencode {
  readonly url: string
  readonly port: number
  readonly pid: number
  readonly version: string
  /** Completes when the server process ends, saying how ("exited with code 1", "was killed by SIGKILL"). */
  readonly exited: Effect.Effect<string>
}

const failure = (reason: string) => (cause: unknown) =>
  new SandboxError({ reason: `${reason}: ${cause instanceof Error ? cause.message : String(cause)}` })

const freePort = Effect.async<number, SandboxError>((resume) => {
  const server = createServer()
  server.once("error", (error) => resume(Effect.fail(failure("cannot find a free port")(error))))
  server.listen(0, "127.0.0.1", () => {
    const address = server.address()
    const port = typeof address === "object" && address !== null ? address.port : 0
    server.close(() => resume(Effect.succeed(port)))
  })
})

const tail = (text: string, lines = 8) => text.trim().split("\n").slice(-lines).join(" | ")

export const serveOpencode = Effect.fn("OpencodeServer.serveOpencode")(
  function* (options: ServeOptions) {
    const fs = yield* FileSystem.FileSystem
    const host = yield* ProcessHost
    const startTimeout = Duration.decode(options.startTimeout)
    yield* sweepAbandoned(options.ownedDir)
    const serveArgs = (port: number) => ["serve", "--port", String(port), "--hostname", "127.0.0.1"]

    // the server's temp files (each start unpacks a native library of several MB there) go with its dir
    const tmpDir = `${options.ownedDir}/tmp`
    yield* fs.makeDirectory(tmpDir, { recursive: true }).pipe(Effect.mapError(failure(`cannot create ${tmpDir}`)))

    const start = Effect.fn("OpencodeServer.start")(
      function* (port: number) {
        yield* Effect.annotateCurrentSpan("server.port", port)
        const command = (
          options.environment === undefined
            ? Command.make(options.binary, ...serveArgs(port)).pipe(Command.env({ TMPDIR: tmpDir }))
            : // `env -i`: exactly this environment, not it merged into ours
              Command.make(
                "env",
                "-i",
                ...Object.entries({ ...options.environment, TMPDIR: tmpDir }).map(([key, value]) => `${key}=${value}`),
                options.binary,
                ...serveArgs(port)
              )
        ).pipe(Command.workingDirectory(options.cwd))
        const server = yield* Command.start(command).pipe(Effect.mapError(failure(`cannot start ${options.binary}`)))
        yield* fs
          .writeFileString(`${options.ownedDir}/${OWNER_FILE}`, JSON.stringify({ ownerPid: host.pid, serverPid: server.pid }))
          .pipe(Effect.ignore)
        // finalizers run uninterruptibly: each wait must be made interruptible for its timeout to work.
        // The server sometimes ignores SIGTERM while a model stream is open, hence the SIGKILL.
        yield* Effect.addFinalizer(() =>
          server.kill("SIGTERM").pipe(
            Effect.interruptible,
            Effect.timeout("1500 millis"),
            Effect.catchAll(() => server.kill("SIGKILL").pipe(Effect.interruptible, Effect.timeout("3 seconds"))),
            Effect.ignore
          )
        )
        const log = fs.sink(options.logFile, { flag: "a" })
        yield* Effect.forkScoped(Stream.run(server.stdout, log).pipe(Effect.ignore))
        yield* Effect.forkScoped(Stream.run(server.stderr, log).pipe(Effect.ignore))

        const url = `http://127.0.0.1:${port}`
        const health = healthOf(yield* HttpClient.HttpClient, url, options.password)
        const exited = server.exitCode.pipe(
          Effect.orElseSucceed(() => -1),
          Effect.flatMap((code) =>
            Effect.flatMap(fs.readFileString(options.logFile).pipe(Effect.orElseSucceed(() => "")), (text) =>
              Effect.fail(
                new SandboxError({ reason: `opencode serve exited with code ${code} during start-up: ${tail(text) || "no output"}` })
              )
            )
          )
        )
        // the server refuses, then accepts-but-ignores connections for a moment: short tries, many of them
        const healthy = health.pipe(
          Effect.retry(Schedule.spaced("100 millis")),
          Effect.timeoutFail({
            duration: startTimeout,
            onTimeout: () =>
              new SandboxError({ reason: `opencode serve did not answer health checks within ${Duration.format(startTimeout)}` })
          })
        )
        yield* Effect.logDebug(`started opencode serve (pid ${server.pid}) on port ${port}`)
        const answered = yield* Effect.raceFirst(healthy, exited)
        const ended = server.exitCode.pipe(
          Effect.map((code) => `exited with code ${code}`),
          Effect.catchAll((error) => Effect.succeed(`was killed by ${/signal: (\w+)/.exec(error.message)?.[1] ?? "a signal"}`))
        )
        return { url, port, pid: server.pid, version: answered.version, exited: ended } satisfies ServedOpencode
      }
    )

    const attempt = Effect.flatMap(options.port === undefined ? freePort : Effect.succeed(options.port), start)
    // a free port can be taken between our probe and the server's bind: try another one
    return yield* options.port === undefined ? Effect.retry(attempt, { times: 2 }) : attempt
  }
)
