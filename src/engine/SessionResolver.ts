/**
 * The one session resolver (SPEC §5.4): exact id → unique id prefix → unique substring of id or title
 * (case-insensitive; an exact title match wins over substrings) → among several, the unique one in the current
 * directory → else AmbiguousSession. Omitted: the most recently updated root session of the current directory.
 * Given but blank is bad input, never "the latest"; a prefix or substring search needs a real search term.
 */
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import type { Session } from "../domain/Domain.js"
import { AmbiguousSession, InvalidInput, SessionNotFound } from "../domain/Errors.js"
import { OpenCodeClient } from "../../services/OpenCodeClient.js"

export type Match =
  | { readonly _tag: "Found"; readonly session: Session; readonly by: string }
  | { readonly _tag: "None" }
  | { readonly _tag: "Ambiguous"; readonly candidates: ReadonlyArray<Session> }
  | { readonly _tag: "TooShort" }

/** Every session id starts with it, so it tells no session from another. */
const ID_START = "ses_"

/** The characters a prefix or substring search needs, blanks and a leading `ses_` not counted. */
export const MIN_SEARCH_LENGTH = 3

const idBody = (id: string) => (id.startsWith(ID_START) ? id.slice(ID_START.length) : id)

/** Whether REFERENCE may be searched for (as an id prefix or a substring), not only matched exactly. */
export const isSearchTerm = (reference: string) =>
  reference.replace(/^ses_/i, "").replace(/\s/g, "").length >= MIN_SEARCH_LENGTH

/** Blank (or empty) is bad input wherever a reference is given: omitting it is how to ask for the latest. */
export const checkReference = (reference: string) =>
  reference.trim() === ""
    ? Effect.fail(
        new InvalidInput({ message: "the session reference is empty or blank: name a session (its id, or its title or part of it)" })
      )
    : Effect.succeed(reference)

const tooShort = (reference: string) =>
  new InvalidInput({
    message: `session reference "${reference}" is too short to search for: give its exact id or exact title, or at least ${MIN_SEARCH_LENGTH} characters of it (blanks and the ses_ every id starts with not counted)`
  })

const narrow = (candidates: ReadonlyArray<Session>, by: string, cwd: string): Match | undefined => {
  if (candidates.length === 1) return { _tag: "Found", session: candidates[0]!, by }
  if (candidates.length === 0) return undefined
  const here = candidates.filter((session) => session.directory === cwd)
  if (here.length === 1) return { _tag: "Found", session: here[0]!, by: `${by}, the one in the current directory` }
  return { _tag: "Ambiguous", candidates }
}

/** Pure matching of a reference against a list of sessions. */
export const matchSession = (reference: string, sessions: ReadonlyArray<Session>, cwd: string): Match => {
  if (reference.trim() === "") return { _tag: "TooShort" }
  const exact = sessions.find((session) => session.id === reference)
  if (exact) return { _tag: "Found", session: exact, by: "id" }
  const needle = reference.toLowerCase()
  const search = isSearchTerm(reference)
  return (
    (search && reference.startsWith(ID_START)
      ? narrow(
          sessions.filter((session) => session.id.startsWith(reference)),
          "id prefix",
          cwd
        )
      : undefined) ??
    narrow(
      sessions.filter((session) => session.title.toLowerCase() === needle),
      "exact title",
      cwd
    ) ??
    (search
      ? narrow(
          sessions.filter(
            (session) => idBody(session.id).toLowerCase().includes(needle) || session.title.toLowerCase().includes(needle)
          ),
          "id or title substring",
          cwd
        ) ?? { _tag: "None" }
      : { _tag: "TooShort" })
  )
}

/** Enough to see every session of a busy machine; the server's own default is 100. */
const LIST_LIMIT = 10_000

export const resolveSession = Effect.fn("SessionResolver.resolveSession")(
  function* (reference: string | undefined, cwd: string) {
    const client = yield* OpenCodeClient
    if (reference === undefined) {
      const [latest] = yield* client.listSessions({ directory: cwd, roots: true, limit: 1 })
      if (latest === undefined) {
        return yield* new SessionNotFound({
          reference: "(latest)",
          detail: `no session in ${cwd} to default to; name one, or start one with ocm begin-session or ocm create`
        })
      }
      return latest
    }
    yield* checkReference(reference)
    if (reference.startsWith("ses_")) {
      // only "no such session" falls through to the listing; an unreachable server is reported as it is
      const direct = yield* client.getSession(reference).pipe(
        Effect.map(Option.some),
        Effect.catchTag("SessionNotFound", () => Effect.succeedNone)
      )
      if (Option.isSome(direct)) return direct.value
    }
    // every project's sessions: a reference may name a session made in another project's directory
    const match = matchSession(reference, yield* client.listAllSessions({ limit: LIST_LIMIT }), cwd)
    switch (match._tag) {
      case "Found":
        return match.session
      case "None":
        return yield* new SessionNotFound({ reference })
      case "TooShort":
        return yield* tooShort(reference)
      case "Ambiguous":
        return yield* new AmbiguousSession({
          reference,
          candidates: match.candidates.map(({ id, title, directory }) => ({ id, title, directory }))
        })
    }
  },
  (resolved, reference, cwd) =>
    Effect.zipRight(
      Effect.annotateCurrentSpan({ "ocm.session.reference": reference ?? "(latest)", "opencode.directory": cwd }),
      Effect.tap(resolved, (session) => Effect.annotateCurrentSpan("opencode.session.id", session.id))
    )
)
