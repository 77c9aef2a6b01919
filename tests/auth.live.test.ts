import { assert, describe, layer } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as OpenCodeClientLive from "../layers/OpenCodeClientLive.js"
import * as SandboxLive from "../layers/SandboxLive.js"
import { PlatformLayer } from "../layers/TestLayers.js"
import { Sandbox } from "../services/Sandbox.js"

const password = "correct horse battery staple"

describe("a sandbox with a server password", () => {
  layer(SandboxLive.layer({ password: Redacted.make(password) }).pipe(Layer.provideMerge(PlatformLayer)), {
    timeout: 300_000,
    excludeTestServices: true
  })((it) => {
    const clientWith = (secret: string | undefined) =>
      Effect.gen(function* () {
        const { info } = yield* Sandbox
        return yield* OpenCodeClientLive.makeOpenCodeClient({
          url: info.url,
          rule: "--url",
          username: "opencode",
          password: secret === undefined ? undefined : Redacted.make(secret)
        })
      })

    it.effect("answers 401 as Unauthorized without the password, on API routes and the event stream", () =>
      Effect.gen(function* () {
        const anonymous = yield* clientWith(undefined)
        const health = yield* Effect.either(anonymous.health)
        assert.isTrue(Either.isLeft(health) && health.left._tag === "Unauthorized")
        const sessions = yield* Effect.either(anonymous.listSessions())
        assert.isTrue(Either.isLeft(sessions) && sessions.left._tag === "Unauthorized")
        const events = yield* Effect.either(Effect.scoped(anonymous.subscribe))
        assert.isTrue(Either.isLeft(events) && events.left._tag === "Unauthorized")
        const wrong = yield* clientWith("wrong password")
        const denied = yield* Effect.either(wrong.health)
        assert.isTrue(Either.isLeft(denied) && denied.left._tag === "Unauthorized")
        if (Either.isLeft(denied)) assert.notInclude(denied.left.message, "wrong password")
      }))

    it.effect("works with the password, which never appears in the client's target or errors", () =>
      Effect.gen(function* () {
        const client = yield* clientWith(password)
        assert.strictEqual((yield* client.health).version, "1.18.33")
        const { info } = yield* Sandbox
        const session = yield* client.createSession({ directory: info.projectDir })
        assert.isTrue(yield* client.deleteSession(session.id))
        assert.notInclude(JSON.stringify(client.target), password)
        assert.notInclude(String(client.target.password), password)
      }))
  })
})

