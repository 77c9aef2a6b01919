/** Directories the user names on ocm's command line, for a server whose own working directory is elsewhere. */
import * as Path from "@effect/platform/Path"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { ProcessHost } from "../../services/ProcessHost.js"

/** DIR made absolute against ocm's working directory (the server would read it against its own), or `otherwise`. */
export const directoryFrom = (dir: Option.Option<string>, otherwise?: string) =>
  Effect.gen(function* () {
    const path = yield* Path.Path
    const host = yield* ProcessHost
    return Option.match(dir, { onNone: () => otherwise ?? host.cwd, onSome: (named) => path.resolve(host.cwd, named) })
  })
