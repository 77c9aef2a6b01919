import { assert, describe, it } from "@effect/vitest"
import * as Either from "effect/Either"
import { eventTypes, matchesEventType, parseEventFilter } from "../src/domain/EventTypes.js"

describe("watch --events", () => {
  it("knows the event types ocm itself relies on", () => {
    for (const type of ["session.status", "session.idle", "session.error", "message.updated", "message.part.updated", "permission.asked", "worktree.ready"]) {
      assert.include(eventTypes, type)
    }
  })
  it("takes known names and prefix families", () => {
    assert.deepStrictEqual<ReadonlyArray<string> | undefined>(Either.getOrUndefined(parseEventFilter(" session.status , message.* ,")), ["session.status", "message.*"])
    assert.isTrue(matchesEventType("message.*", "message.part.updated"))
    assert.isFalse(matchesEventType("message.*", "session.idle"))
    assert.isTrue(matchesEventType("session.idle", "session.idle"))
    assert.isFalse(matchesEventType("session", "session.idle"))
  })
  it("refuses a name that never matches, suggesting the nearest", () => {
    assert.deepStrictEqual(
      parseEventFilter("session.statu"),
      Either.left('--events: unknown event type "session.statu"; did you mean session.status?')
    )
    const both = parseEventFilter("bogus,nope.*,session.idle")
    assert.isTrue(Either.isLeft(both))
    assert.match(Either.isLeft(both) ? both.left : "", /^--events: unknown event types "bogus", "nope\.\*"; e\.g\. /)
    assert.isTrue(Either.isLeft(parseEventFilter(" , ")))
  })
})
