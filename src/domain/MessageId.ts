/**
 * Client-made message ids that sort the way OpenCode's own ascending ids do:
 * `msg_` + 12 hex digits of the low 48 bits of (epoch ms × 4096 + counter) + 14 base62 characters.
 * The server lists messages in storage order and parents the reply to the id we send, so the id only has
 * to be unique and sort after every id already in the session; `nextMessageId` guarantees the latter even
 * when this machine's clock is behind the server's.
 */
import { randomBytes } from "node:crypto"

const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
const TIME_HEX_LENGTH = 12
const RANDOM_LENGTH = 14
const TIME_MASK = (1n << 48n) - 1n

let lastMillis = 0
let counter = 0

const randomBase62 = (length: number): string => {
  let out = ""
  while (out.length < length) {
    for (const byte of randomBytes(length * 2)) {
      // 248 = 4 × 62: rejecting the top bytes keeps every character equally likely
      if (byte < 248 && out.length < length) out += BASE62[byte % 62]
    }
  }
  return out
}

const timeHex = (value: bigint): string => (value & TIME_MASK).toString(16).padStart(TIME_HEX_LENGTH, "0")

/** The 12-hex time field of an OpenCode id (`msg_…`, `prt_…`), or undefined if it has another shape. */
export const timeField = (id: string): bigint | undefined => {
  const match = /^[a-z]+_([0-9a-f]{12})/.exec(id)
  return match ? BigInt(`0x${match[1]}`) : undefined
}

/** A fresh ascending message id for the given wall-clock time. */
export const ascendingMessageId = (nowMillis: number): string => {
  if (nowMillis !== lastMillis) {
    lastMillis = nowMillis
    counter = 0
  }
  counter++
  return `msg_${timeHex(BigInt(nowMillis) * 4096n + BigInt(counter))}${randomBase62(RANDOM_LENGTH)}`
}

/** A message id that sorts after every id in `existing`, even if the local clock lags the server's. */
export const nextMessageId = (nowMillis: number, existing: Iterable<string>): string => {
  const candidate = ascendingMessageId(nowMillis)
  let highest: string | undefined
  for (const id of existing) if (id.startsWith("msg_") && (highest === undefined || id > highest)) highest = id
  if (highest === undefined || candidate > highest) return candidate
  const highestTime = timeField(highest) ?? 0n
  return `msg_${timeHex(highestTime + 1n)}${randomBase62(RANDOM_LENGTH)}`
}
