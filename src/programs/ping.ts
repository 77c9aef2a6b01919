import * as Effect from "effect/Effect"
import { OpenCodeClient } from "../../services/OpenCodeClient.js"
import { emit } from "../Output.js"
import { redactUrl } from "../Text.js"

/** Health of the server ocm resolved, with the rule that chose it. */
export const ping = (options: { readonly json: boolean }) =>
  Effect.gen(function* () {
    const client = yield* OpenCodeClient
    const health = yield* client.health
    const url = redactUrl(client.target.url)
    const { rule } = client.target
    yield* emit(options.json, { ok: health.healthy, url, rule, version: health.version }, () =>
      `${health.healthy ? "ok" : "unhealthy"}: opencode ${health.version} at ${url} (${rule})`
    )
  })
