import { assert, describe, it } from "@effect/vitest"
import type { Session } from "../src/domain/Domain.js"
import { isSearchTerm, type Match, matchSession, MIN_SEARCH_LENGTH } from "../src/engine/SessionResolver.js"

const CWD = "/home/me/project"
const OTHER = "/home/me/elsewhere"

let clock = 1_700_000_000_000
const session = (id: string, title: string, directory = OTHER): Session => {
  const created = clock++
  return { id, directory, title, time: { created, updated: created + 10 } }
}

const foundId = (match: Match): string => {
  assert.strictEqual(match._tag, "Found", `expected Found, got ${JSON.stringify(match)}`)
  return match._tag === "Found" ? match.session.id : ""
}

const candidateIds = (match: Match): ReadonlyArray<string> => {
  assert.strictEqual(match._tag, "Ambiguous", `expected Ambiguous, got ${JSON.stringify(match)}`)
  return match._tag === "Ambiguous" ? match.candidates.map((candidate) => candidate.id).sort() : []
}

describe("matchSession", () => {
  it("finds nothing in an empty list", () => {
    assert.deepStrictEqual(matchSession("anything", [], CWD), { _tag: "None" })
  })

  it("an exact id wins over everything else", () => {
    const sessions = [
      session("ses_abc", "first"),
      session("ses_abcdef", "second", CWD),
      session("ses_other", "ses_abc")
    ]
    const match = matchSession("ses_abc", sessions, CWD)
    assert.strictEqual(foundId(match), "ses_abc")
    assert.strictEqual(match._tag === "Found" ? match.by : "", "id")
  })

  it("finds a unique id prefix", () => {
    const sessions = [session("ses_abc123", "alpha"), session("ses_xyz789", "beta")]
    const match = matchSession("ses_abc", sessions, CWD)
    assert.strictEqual(foundId(match), "ses_abc123")
    assert.strictEqual(match._tag === "Found" ? match.by : "", "id prefix")
  })

  it("an exact title (case-insensitive) beats substring matches", () => {
    const sessions = [
      session("ses_1", "Refactor parser and lexer"),
      session("ses_2", "refactor PARSER"),
      session("ses_3", "Old refactor parser notes")
    ]
    const match = matchSession("Refactor Parser", sessions, CWD)
    assert.strictEqual(foundId(match), "ses_2")
    assert.strictEqual(match._tag === "Found" ? match.by : "", "exact title")
  })

  it("finds a unique case-insensitive substring of the title", () => {
    const sessions = [session("ses_1", "Fix the Login bug"), session("ses_2", "Write docs")]
    const match = matchSession("LOGIN", sessions, CWD)
    assert.strictEqual(foundId(match), "ses_1")
    assert.strictEqual(match._tag === "Found" ? match.by : "", "id or title substring")
  })

  it("finds a unique case-insensitive substring of the id", () => {
    const sessions = [session("ses_01JABCdefXYZ", "one"), session("ses_01JQRStuvW", "two")]
    assert.strictEqual(foundId(matchSession("abcdef", sessions, CWD)), "ses_01JABCdefXYZ")
    assert.strictEqual(foundId(matchSession("TUV", sessions, CWD)), "ses_01JQRStuvW")
  })

  it("among several matches, the unique one in the current directory wins", () => {
    const sessions = [
      session("ses_1", "deploy staging", OTHER),
      session("ses_2", "deploy production", CWD),
      session("ses_3", "deploy notes", "/tmp/x")
    ]
    const match = matchSession("deploy", sessions, CWD)
    assert.strictEqual(foundId(match), "ses_2")
    assert.include(match._tag === "Found" ? match.by : "", "current directory")
  })

  it("among several id-prefix matches, the unique one in the current directory wins", () => {
    const sessions = [session("ses_aaa1", "one", OTHER), session("ses_aaa2", "two", CWD)]
    assert.strictEqual(foundId(matchSession("ses_aaa", sessions, CWD)), "ses_aaa2")
  })

  it("several matches in the current directory are ambiguous, listing all candidates", () => {
    const sessions = [
      session("ses_1", "deploy staging", CWD),
      session("ses_2", "deploy production", CWD),
      session("ses_3", "deploy notes", OTHER),
      session("ses_4", "unrelated", CWD)
    ]
    assert.deepStrictEqual(candidateIds(matchSession("deploy", sessions, CWD)), ["ses_1", "ses_2", "ses_3"])
  })

  it("several matches none of which is in the current directory are ambiguous", () => {
    const sessions = [session("ses_1", "deploy staging", OTHER), session("ses_2", "deploy production", "/tmp/x")]
    assert.deepStrictEqual(candidateIds(matchSession("deploy", sessions, CWD)), ["ses_1", "ses_2"])
  })

  it("several exact-title matches narrow by directory too", () => {
    const sessions = [session("ses_1", "Scratch", OTHER), session("ses_2", "scratch", CWD), session("ses_3", "scratch pad", CWD)]
    assert.strictEqual(foundId(matchSession("scratch", sessions, CWD)), "ses_2")
  })

  it("a reference that matches nothing is None", () => {
    const sessions = [session("ses_1", "alpha", CWD), session("ses_2", "beta")]
    assert.deepStrictEqual(matchSession("gamma", sessions, CWD), { _tag: "None" })
  })

  it("an empty or blank reference matches nothing, even with a single session or a blank title", () => {
    const sessions = [session("ses_only1", "the only one", CWD), session("ses_blank1", " ", CWD)]
    for (const reference of ["", " ", "   ", "\t", " \n "]) {
      assert.deepStrictEqual(matchSession(reference, sessions, CWD), { _tag: "TooShort" }, JSON.stringify(reference))
    }
  })

  it("a search needs 3 characters besides blanks and ses_; shorter is refused, not matched", () => {
    assert.strictEqual(MIN_SEARCH_LENGTH, 3, "the README states 3")
    // each of these was a unique match before: the title with a space, the one session whose id starts "ses_"
    const sessions = [session("ses_abc123", "deploy staging", CWD), session("xyz_789", "notes")]
    for (const reference of [" ", "a", "ab", "de", "a b", "s", "se", "ses_", "ses_a", "ses_ab", "ses_ a", "SES_ab"]) {
      assert.deepStrictEqual(matchSession(reference, sessions, CWD), { _tag: "TooShort" }, JSON.stringify(reference))
    }
    assert.strictEqual(foundId(matchSession("ses_abc", sessions, CWD)), "ses_abc123")
    assert.strictEqual(foundId(matchSession("dep", sessions, CWD)), "ses_abc123")
    assert.strictEqual(foundId(matchSession("bc1", sessions, CWD)), "ses_abc123")
  })

  it("ses and its parts are not searched for in ids: every id starts with ses_", () => {
    const sessions = [session("ses_abc123", "alpha"), session("ses_def456", "beta")]
    for (const reference of ["ses", "es_", "s_a"]) {
      assert.deepStrictEqual(matchSession(reference, sessions, CWD), { _tag: "None" }, reference)
    }
    // a title still matches them
    assert.strictEqual(foundId(matchSession("ses", [...sessions, session("ses_ghi789", "New session")], CWD)), "ses_ghi789")
  })

  it("an exact id or an exact title always works, however short", () => {
    const sessions = [session("ses_x", "first"), session("ses_y", "ab"), session("ses_z", "abc def")]
    assert.strictEqual(foundId(matchSession("ses_x", sessions, CWD)), "ses_x")
    const byTitle = matchSession("AB", sessions, CWD)
    assert.strictEqual(foundId(byTitle), "ses_y")
    assert.strictEqual(byTitle._tag === "Found" ? byTitle.by : "", "exact title")
  })

  it("isSearchTerm counts characters besides blanks and a leading ses_", () => {
    assert.isFalse(isSearchTerm(""))
    assert.isFalse(isSearchTerm("   "))
    assert.isFalse(isSearchTerm("a  b"))
    assert.isFalse(isSearchTerm("ses_"))
    assert.isFalse(isSearchTerm("ses_ab"))
    assert.isTrue(isSearchTerm("abc"))
    assert.isTrue(isSearchTerm(" a b c "))
    assert.isTrue(isSearchTerm("ses_abc"))
    assert.isTrue(isSearchTerm("ses"))
  })
})
