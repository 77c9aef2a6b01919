import * as Effect from "effect/Effect"
import { OpenCodeClient } from "../../services/OpenCodeClient.js"
import type { TargetRule } from "../engine/ServerTarget.js"
import { redactUrl } from "../domain/Text.js"

/** The server's health, where it is (its URL without credentials) and the rule that chose it. */
export interface Ping {
  readonly ok: boolean
  readonly url: string
  readonly rule: TargetRule
  readonly version: string
}

/** Health of the server ocm resolved, with the rule that chose it. */
export const ping = Effect.gen(function* () {
  const client = yield* OpenCodeClient
  const health = yield* client.health
  const result: Ping = { ok: health.healthy, url: redactUrl(client.target.url), rule: client.target.rule, version: health.version }
  return result
})
