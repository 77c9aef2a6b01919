import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { spawn } from "node:child_process"
import { closeSync, openSync } from "node:fs"
import { ProcessHost, type ProcessHostShape } from "../services/ProcessHost.js"

const live: ProcessHostShape = {
  pid: process.pid,
  cwd: process.cwd(),
  spawnSelfDetached: Effect.fn("ProcessHost.spawnSelfDetached")((args, logFile) =>
    Effect.try({
      try: () => {
        const log = openSync(logFile, "a")
        try {
          const child = spawn(process.execPath, [...process.execArgv, process.argv[1]!, ...args], {
            detached: true,
            stdio: ["ignore", log, log]
          })
          child.unref()
          if (child.pid === undefined) throw new Error("the detached process did not start")
          return child.pid
        } finally {
          closeSync(log)
        }
      },
      catch: (cause) => (cause instanceof Error ? cause : new Error(String(cause)))
    })
  ),
  readStdin: Effect.async<string, Error>((resume) => {
    if (process.stdin.isTTY) return resume(Effect.fail(new Error("standard input is a terminal, not piped text")))
    const chunks: Array<Buffer> = []
    process.stdin.on("data", (chunk: Buffer) => chunks.push(chunk))
    process.stdin.once("end", () => resume(Effect.succeed(Buffer.concat(chunks).toString("utf8"))))
    process.stdin.once("error", (error) => resume(Effect.fail(error)))
  }).pipe(Effect.withSpan("ProcessHost.readStdin")),
  signal: Effect.fn("ProcessHost.signal")((pid, signal, options) =>
    Effect.sync(() => {
      try {
        return process.kill(options?.group ? -pid : pid, signal)
      } catch {
        return false
      }
    }).pipe(Effect.tap(() => Effect.annotateCurrentSpan({ "process.pid": pid, "ocm.signal": signal })))
  )
}

export const layer = Layer.succeed(ProcessHost, live)

/** This process, as if started in `cwd` (tests, and the demo, which works inside its sandbox's project). */
export const layerAt = (cwd: string) => Layer.succeed(ProcessHost, { ...live, cwd })
