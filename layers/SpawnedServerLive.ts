/**
 * `ocm run --spawn`: the client of an `opencode serve` started just for the run (the user's own environment, config
 * and credentials) and stopped with the layer. No other server is looked for.
 */
import * as FileSystem from "@effect/platform/FileSystem"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import { resolveCredentials, type TargetFlags } from "../src/engine/ServerTarget.js"
import { directoryFrom } from "../src/local/Directories.js"
import { resolveOpencodeBinary } from "../src/process/OpenCodeBinary.js"
import { serveOpencode } from "../src/process/OpencodeServer.js"
import * as OpenCodeClientLive from "./OpenCodeClientLive.js"

export interface SpawnOptions {
  /** The opencode binary (absent: the one ocm finds). */
  readonly opencodeBin: string | undefined
  /** A fixed port (absent: a free one). */
  readonly port: number | undefined
  /** The server's working directory (absent: here). */
  readonly dir: string | undefined
  /** Where the password comes from (`--password-file`, else the environment). */
  readonly target: TargetFlags
}

export const clientLayer = (options: SpawnOptions) =>
  Layer.unwrapScoped(
    Effect.gen(function* () {
      const fs = yield* FileSystem.FileSystem
      const binary = yield* resolveOpencodeBinary(options.opencodeBin)
      const logDir = yield* fs.makeTempDirectoryScoped({ prefix: "ocm-run-" })
      // the spawned server inherits this environment, password included, so the client uses the same one
      const credentials = yield* resolveCredentials(options.target)
      const served = yield* serveOpencode({
        binary: binary.path,
        cwd: yield* directoryFrom(Option.fromNullable(options.dir)),
        port: options.port,
        password: credentials.password,
        logFile: `${logDir}/server.log`,
        startTimeout: "60 seconds",
        ownedDir: logDir
      })
      return OpenCodeClientLive.layer({ ...credentials, url: served.url, rule: "--url", detail: `spawned pid ${served.pid}` })
    })
  )
