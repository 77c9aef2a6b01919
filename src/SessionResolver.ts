/**
 * The one session resolver (SPEC §5.4): exact id → unique id prefix → unique substring of id or title
 * (case-insensitive; an exact title match wins over substrings) → among several, the unique one in the current
 * directory → else AmbiguousSession. Omitted: the most recently updated root session of the current directory.
 */
import * as Effect from "effect/Effect"
import type { Session } from "./Domain.js"
import { AmbiguousSession, SessionNotFound } from "./Errors.js"
import { OpenCodeClient } from "../services/OpenCodeClient.js"

export type Match =
  | { readonly _tag: "Found"; readonly session: Session; readonly by: string }
  | { readonly _tag: "None" }
  | { readonly _tag: "Ambiguous"; readonly candidates: ReadonlyArray<Session> }

const narrow = (candidates: ReadonlyArray<Session>, by: string, cwd: string): Match | undefined => {
  if (candidates.length === 1) return { _tag: "Found", session: candidates[0]!, by }
  if (candidates.length === 0) return undefined
  const here = candidates.filter((session) => session.directory === cwd)
  if (here.length === 1) return { _tag: "Found", session: here[0]!, by: `${by}, the one in the current directory` }
  return { _tag: "Ambiguous", candidates }
}

/** Pure matching of a reference against a list of sessions. */
export const matchSession = (reference: string, sessions: ReadonlyArray<Session>, cwd: string): Match => {
  const exact = sessions.find((session) => session.id === reference)
  if (exact) return { _tag: "Found", session: exact, by: "id" }
  const needle = reference.toLowerCase()
  return (
    narrow(
      sessions.filter((session) => session.id.startsWith(reference)),
      "id prefix",
      cwd
    ) ??
    narrow(
      sessions.filter((session) => session.title.toLowerCase() === needle),
      "exact title",
      cwd
    ) ??
    narrow(
      sessions.filter(
        (session) => session.id.toLowerCase().includes(needle) || session.title.toLowerCase().includes(needle)
      ),
      "id or title substring",
      cwd
    ) ?? { _tag: "None" }
  )
}

/** Enough to see every session of a busy machine; the server's own default is 100. */
const LIST_LIMIT = 10_000

export const resolveSession = (reference: string | undefined, cwd: string) =>
  Effect.gen(function* () {
    const client = yield* OpenCodeClient
    if (reference === undefined || reference === "") {
      const [latest] = yield* client.listSessions({ directory: cwd, roots: true, limit: 1 })
      if (latest === undefined) {
        return yield* new SessionNotFound({
          reference: "(latest)",
          detail: `no session in ${cwd} to default to; name one, or start one with ocm begin-session or ocm create`
        })
      }
      return latest
    }
    if (reference.startsWith("ses_")) {
      const direct = yield* client.getSession(reference).pipe(Effect.option)
      if (direct._tag === "Some") return direct.value
    }
    // every project's sessions: a reference may name a session made in another project's directory
    const match = matchSession(reference, yield* client.listAllSessions({ limit: LIST_LIMIT }), cwd)
    switch (match._tag) {
      case "Found":
        return match.session
      case "None":
        return yield* new SessionNotFound({ reference })
      case "Ambiguous":
        return yield* new AmbiguousSession({
          reference,
          candidates: match.candidates.map(({ id, title, directory }) => ({ id, title, directory }))
        })
    }
  })
