import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { spawn } from "node:child_process"
import { closeSync, openSync } from "node:fs"
import { ProcessHost } from "../services/ProcessHost.js"

export const layer = Layer.succeed(ProcessHost, {
  pid: process.pid,
  cwd: process.cwd(),
  spawnSelfDetached: (args, logFile) =>
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
    }),
  signal: (pid, signal, options) =>
    Effect.sync(() => {
      try {
        return process.kill(options?.group ? -pid : pid, signal)
      } catch {
        return false
      }
    })
})
