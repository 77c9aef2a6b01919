/** Publishing a session (SPEC §5.2 `share`, `unshare`), each witnessed by what the server then says. */
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { OpenCodeClient } from "../../services/OpenCodeClient.js"
import { ProcessHost } from "../../services/ProcessHost.js"
import type { Session } from "../domain/Domain.js"
import { ServerRejected } from "../domain/Errors.js"
import { resolveSession } from "../engine/SessionResolver.js"

/** The server answers a bare 500 when sharing is switched off in its config; say so. */
const explainShareFailure = (session: Session) => (error: ServerRejected) =>
  Effect.gen(function* () {
    const client = yield* OpenCodeClient
    const config = yield* client.config({ directory: session.directory }).pipe(Effect.option)
    const disabled = Option.isSome(config) && config.value["share"] === "disabled"
    return yield* Effect.fail(
      disabled
        ? new ServerRejected({
            ...error,
            detail: `${error.detail} (sharing is disabled in the server's config: "share": "disabled")`
          })
        : error
    )
  })

export interface Shared {
  readonly sessionID: string
  /** The public URL the server answered with. */
  readonly url: string
}

/** Shares the session; witnessed: the server's answer carries the public URL. */
export const shareSession = (reference: string) =>
  Effect.gen(function* () {
    const client = yield* OpenCodeClient
    const host = yield* ProcessHost
    const session = yield* resolveSession(reference, host.cwd)
    const shared = yield* client
      .share(session.id, { directory: session.directory })
      .pipe(Effect.catchTag("ServerRejected", explainShareFailure(session)))
    const url = shared.share?.url
    if (url === undefined || url === "") {
      return yield* new ServerRejected({
        method: "POST",
        path: `/session/${session.id}/share`,
        status: 200,
        detail: "the server answered without a share URL"
      })
    }
    const result: Shared = { sessionID: session.id, url }
    return result
  })

export interface Unshared {
  readonly sessionID: string
  /** It had a public URL before. */
  readonly wasShared: boolean
}

/** Removes the public share; witnessed: the session then reads back without a share URL. */
export const unshareSession = (reference: string | undefined) =>
  Effect.gen(function* () {
    const client = yield* OpenCodeClient
    const host = yield* ProcessHost
    const session = yield* resolveSession(reference, host.cwd)
    const scoped = { directory: session.directory }
    yield* client.unshare(session.id, scoped)
    const after = yield* client.getSession(session.id, scoped)
    if (after.share?.url !== undefined) {
      return yield* new ServerRejected({
        method: "DELETE",
        path: `/session/${session.id}/share`,
        status: 200,
        detail: `the server accepted the request, but the session is still shared at ${after.share.url}`
      })
    }
    const result: Unshared = { sessionID: session.id, wasShared: session.share?.url !== undefined }
    return result
  })
