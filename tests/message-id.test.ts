import { assert, describe, it } from "@effect/vitest"
import { ascendingMessageId, nextMessageId, timeField } from "../src/domain/MessageId.js"

const ID_SHAPE = /^msg_[0-9a-f]{12}[0-9A-Za-z]{14}$/
const low48 = (value: bigint) => value & ((1n << 48n) - 1n)

// Every test uses its own millisecond range so the module's (ms, counter) state from one test cannot leak
// into another's expectations.
const BASE = 1_795_221_000_000

describe("ascendingMessageId", () => {
  it("has the shape msg_ + 12 lowercase hex + 14 base62 characters", () => {
    for (let i = 0; i < 200; i++) {
      const id = ascendingMessageId(BASE + 10 + (i % 3))
      assert.match(id, ID_SHAPE)
      assert.strictEqual(id.length, 4 + 26)
    }
  })

  it("strictly increases within one millisecond", () => {
    const ms = BASE + 1_000
    const ids = Array.from({ length: 500 }, () => ascendingMessageId(ms))
    for (let i = 1; i < ids.length; i++) assert.isTrue(ids[i - 1]! < ids[i]!, `${ids[i - 1]} < ${ids[i]}`)
    assert.strictEqual(new Set(ids).size, ids.length)
  })

  it("strictly increases across later milliseconds", () => {
    const ids: Array<string> = []
    for (let ms = BASE + 2_000; ms < BASE + 2_050; ms++) {
      ids.push(ascendingMessageId(ms), ascendingMessageId(ms), ascendingMessageId(ms))
    }
    // a big jump forward too
    ids.push(ascendingMessageId(BASE + 3_600_000))
    for (let i = 1; i < ids.length; i++) assert.isTrue(ids[i - 1]! < ids[i]!, `${ids[i - 1]} < ${ids[i]}`)
  })

  it("puts the low 48 bits of (ms × 4096 + counter) in the time field, the counter restarting at 1 each ms", () => {
    const ms = BASE + 4_000
    const first = ascendingMessageId(ms)
    const second = ascendingMessageId(ms)
    const third = ascendingMessageId(ms)
    assert.strictEqual(timeField(first), low48(BigInt(ms) * 4096n + 1n))
    assert.strictEqual(timeField(second), low48(BigInt(ms) * 4096n + 2n))
    assert.strictEqual(timeField(third), low48(BigInt(ms) * 4096n + 3n))
    const next = ascendingMessageId(ms + 1)
    assert.strictEqual(timeField(next), low48(BigInt(ms + 1) * 4096n + 1n))
    // the hex text is exactly that number, zero-padded to 12 digits
    assert.strictEqual(next.slice(4, 16), low48(BigInt(ms + 1) * 4096n + 1n).toString(16).padStart(12, "0"))
  })

  it("gives random tails, so ids in the same millisecond differ after the time field", () => {
    const tails = new Set(Array.from({ length: 50 }, () => ascendingMessageId(BASE + 5_000).slice(16)))
    assert.strictEqual(tails.size, 50)
  })
})

describe("timeField", () => {
  it("reads the 12-hex field of msg_ and prt_ ids and nothing else", () => {
    assert.strictEqual(timeField("msg_00000000000aAAAAAAAAAAAAAA"), 10n)
    assert.strictEqual(timeField("prt_1fb89eb03001tnTFYMouiM65wu"), 0x1fb89eb03001n)
    assert.isUndefined(timeField("msg_xyz"))
    assert.isUndefined(timeField("not an id"))
  })
})

describe("nextMessageId", () => {
  it("is the plain ascending id when the local clock is ahead of every existing id", () => {
    const ms = BASE + 10_000
    const existing = [ascendingMessageId(ms - 5_000), ascendingMessageId(ms - 4_000)]
    const id = nextMessageId(ms, existing)
    assert.match(id, ID_SHAPE)
    assert.strictEqual(timeField(id), low48(BigInt(ms) * 4096n + 1n))
    for (const other of existing) assert.isTrue(id > other)
  })

  it("sorts after every existing id when the local clock is an hour behind them", () => {
    const now = BASE + 20_000
    const future = now + 3_600_000
    const existing = [ascendingMessageId(future), ascendingMessageId(future), ascendingMessageId(future + 7)]
    // shuffled, so the highest is not simply the last one
    const shuffled = [existing[2]!, existing[0]!, existing[1]!]
    const id = nextMessageId(now, shuffled)
    assert.match(id, ID_SHAPE)
    for (const other of existing) assert.isTrue(id > other, `${id} > ${other}`)
    // one past the highest existing time field, not the lagging local clock
    assert.strictEqual(timeField(id), timeField(existing[2]!)! + 1n)
    assert.notStrictEqual(timeField(id), low48(BigInt(now) * 4096n + 1n))
  })

  it("keeps increasing when called again with the id it just made", () => {
    const now = BASE + 30_000
    const existing = [ascendingMessageId(now + 3_600_000)]
    const first = nextMessageId(now, existing)
    const second = nextMessageId(now, [...existing, first])
    assert.isTrue(first > existing[0]!)
    assert.isTrue(second > first)
  })

  it("ignores ids that are not msg_ ids, however they sort", () => {
    const now = BASE + 40_000
    const id = nextMessageId(now, ["prt_ffffffffffffzzzzzzzzzzzzzz", "ses_ffffffffffffzzzzzzzzzzzzzz", "zzz"])
    assert.match(id, ID_SHAPE)
    assert.strictEqual(timeField(id), low48(BigInt(now) * 4096n + 1n))
  })

  it("works with no existing ids", () => {
    const now = BASE + 50_000
    const id = nextMessageId(now, [])
    assert.strictEqual(timeField(id), low48(BigInt(now) * 4096n + 1n))
  })
})

describe("compatibility with ids recorded from an OpenCode 1.18.33 server", () => {
  const recorded = [
    "msg_1fb89eb03001tnTFYMouiM65wu",
    "msg_1fb89ed03001kl5oUAEApXvPnf",
    "msg_1fb89ef4b001teyYgHakNF88j3"
  ] as const
  // The server's ids were made around this wall-clock time (epoch ms).
  const AROUND = 1_795_221_482_755
  // The time field only keeps the low 48 bits of ms × 4096, i.e. ms modulo 2^36; recover each id's full ms
  // from its neighbourhood.
  const msOf = (id: string) => {
    const truncated = Number(timeField(id)! / 4096n)
    const period = 2 ** 36
    return AROUND - (AROUND % period) + truncated
  }

  it("the recorded ids have our shape and decode to times around when they were made", () => {
    for (const id of recorded) {
      assert.match(id, ID_SHAPE)
      const ms = msOf(id)
      assert.isTrue(Math.abs(ms - AROUND) < 5_000, `${id} decodes to ${ms}`)
      // counter 1 in its millisecond, as OpenCode starts it
      assert.strictEqual(timeField(id)! % 4096n, 1n)
    }
    assert.strictEqual(msOf(recorded[1]), AROUND)
    assert.isTrue(recorded[0] < recorded[1] && recorded[1] < recorded[2])
  })

  it("ids we make just before a server id sort before it, just after sort after it", () => {
    for (const id of recorded) {
      const ms = msOf(id)
      const before = ascendingMessageId(ms - 1)
      const after = ascendingMessageId(ms + 1)
      assert.isTrue(before < id, `${before} < ${id}`)
      assert.isTrue(after > id, `${after} > ${id}`)
    }
  })

  it("interleaves with the server's ids in time order", () => {
    const [a, b, c] = recorded
    const ours = [ascendingMessageId(msOf(a) + 100), ascendingMessageId(msOf(b) + 100)]
    const sorted = [c, ours[1]!, a, b, ours[0]!].sort()
    assert.deepStrictEqual(sorted, [a, ours[0]!, b, ours[1]!, c])
  })

  it("nextMessageId sorts after the server's ids even with a clock 10 minutes behind", () => {
    const id = nextMessageId(AROUND - 600_000, recorded)
    for (const other of recorded) assert.isTrue(id > other)
    assert.strictEqual(timeField(id), timeField(recorded[2])! + 1n)
  })
})
