import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import { chooseIdentity, formatModel, observedIdentity, parseModel } from "../src/domain/Identity.js"
import { messageBuilders } from "./support/messages.js"

const { user, assistant } = messageBuilders("ses_identity")

describe("parseModel", () => {
  it.effect("splits provider/model at the first slash", () =>
    Effect.gen(function* () {
      const model = yield* parseModel("anthropic/claude-sonnet-4")
      assert.deepStrictEqual(model, { providerID: "anthropic", modelID: "claude-sonnet-4" })
    })
  )

  it.effect("keeps further slashes in the model id", () =>
    Effect.gen(function* () {
      const model = yield* parseModel("openrouter/openai/gpt-5")
      assert.deepStrictEqual(model, { providerID: "openrouter", modelID: "openai/gpt-5" })
      assert.strictEqual(formatModel(model), "openrouter/openai/gpt-5")
    })
  )

  for (const raw of ["no-slash", "/model", "provider/", "anthropic/claude sonnet", " anthropic/claude", "", "/"]) {
    it.effect(`rejects ${JSON.stringify(raw)} as InvalidInput`, () =>
      Effect.gen(function* () {
        const result = yield* Effect.either(parseModel(raw))
        assert.isTrue(Either.isLeft(result), `expected ${JSON.stringify(raw)} to be rejected`)
        if (Either.isLeft(result)) {
          assert.strictEqual(result.left._tag, "InvalidInput")
          assert.include(result.left.message, "--model")
          assert.include(result.left.message, JSON.stringify(raw))
        }
      })
    )
  }

  it.effect("names the flag it was given in the error", () =>
    Effect.gen(function* () {
      const result = yield* Effect.either(parseModel("nope", "--small-model"))
      assert.isTrue(Either.isLeft(result))
      if (Either.isLeft(result)) assert.include(result.left.message, "--small-model")
    })
  )
})

describe("observedIdentity", () => {
  it("is undefined for an empty history", () => {
    assert.isUndefined(observedIdentity([]))
  })

  it("takes agent and model of the answered user message", () => {
    const identity = observedIdentity([
      user("msg_1", { agent: "build", model: "anthropic/claude-sonnet-4", variant: "high" }),
      assistant("msg_2", "msg_1")
    ])
    assert.deepStrictEqual(identity, {
      agent: "build",
      model: { providerID: "anthropic", modelID: "claude-sonnet-4" },
      variant: "high"
    })
  })

  it("prefers the newest qualifying user message", () => {
    const identity = observedIdentity([
      user("msg_1", { agent: "build", model: "anthropic/claude-sonnet-4" }),
      assistant("msg_2", "msg_1"),
      user("msg_3", { agent: "plan", model: "openai/gpt-5" }),
      assistant("msg_4", "msg_3")
    ])
    assert.strictEqual(identity?.agent, "plan")
    assert.deepStrictEqual(identity?.model, { providerID: "openai", modelID: "gpt-5" })
  })

  it("skips a newer user message whose reply failed, in favour of the older good one", () => {
    const identity = observedIdentity([
      user("msg_1", { agent: "build", model: "anthropic/claude-sonnet-4" }),
      assistant("msg_2", "msg_1"),
      user("msg_3", { agent: "build", model: "bogus/not-a-model" }),
      assistant("msg_4", "msg_3", { error: "ProviderModelNotFoundError" })
    ])
    assert.deepStrictEqual(identity?.model, { providerID: "anthropic", modelID: "claude-sonnet-4" })
  })

  it("skips a user message that carries only a system prompt (no text parts)", () => {
    const identity = observedIdentity([
      user("msg_1", { agent: "build", model: "anthropic/claude-sonnet-4" }),
      assistant("msg_2", "msg_1"),
      user("msg_3", { agent: "plan", model: "openai/gpt-5", text: null, system: "be terse" }),
      assistant("msg_4", "msg_3")
    ])
    assert.strictEqual(identity?.agent, "build")
    assert.deepStrictEqual(identity?.model, { providerID: "anthropic", modelID: "claude-sonnet-4" })
  })

  it("does not count synthetic or blank text as visible", () => {
    const synthetic = observedIdentity([
      user("msg_1", { agent: "build", model: "anthropic/claude-sonnet-4" }),
      assistant("msg_2", "msg_1"),
      user("msg_3", { agent: "plan", model: "openai/gpt-5", text: "injected context", synthetic: true }),
      assistant("msg_4", "msg_3")
    ])
    assert.strictEqual(synthetic?.agent, "build")
    const blank = observedIdentity([
      user("msg_1", { agent: "build", model: "anthropic/claude-sonnet-4" }),
      assistant("msg_2", "msg_1"),
      user("msg_3", { agent: "plan", model: "openai/gpt-5", text: "   \n" }),
      assistant("msg_4", "msg_3")
    ])
    assert.strictEqual(blank?.agent, "build")
    assert.isUndefined(
      observedIdentity([
        user("msg_1", { agent: "plan", model: "openai/gpt-5", text: "hidden", synthetic: true }),
        assistant("msg_2", "msg_1")
      ])
    )
  })

  it("skips a user message with no reply", () => {
    const identity = observedIdentity([
      user("msg_1", { agent: "build", model: "anthropic/claude-sonnet-4" }),
      assistant("msg_2", "msg_1"),
      user("msg_3", { agent: "plan", model: "openai/gpt-5" })
    ])
    assert.strictEqual(identity?.agent, "build")
    assert.isUndefined(observedIdentity([user("msg_1", { agent: "plan", model: "openai/gpt-5" })]))
  })

  it("needs both agent and model on the user message", () => {
    assert.isUndefined(
      observedIdentity([
        user("msg_1", { model: "anthropic/claude-sonnet-4" }),
        assistant("msg_2", "msg_1"),
        user("msg_3", { agent: "build" }),
        assistant("msg_4", "msg_3")
      ])
    )
  })

  it("does not credit a reply to a different user message", () => {
    assert.isUndefined(
      observedIdentity([
        user("msg_1", { agent: "build", model: "anthropic/claude-sonnet-4" }),
        assistant("msg_2", "msg_other")
      ])
    )
  })
})

describe("chooseIdentity", () => {
  const sonnet = { providerID: "anthropic", modelID: "claude-sonnet-4" }
  const gpt = { providerID: "openai", modelID: "gpt-5" }
  const opus = { providerID: "anthropic", modelID: "claude-opus-4" }

  it("leaves every field to the server when nothing is known", () => {
    const identity = chooseIdentity({}, undefined, undefined)
    assert.isUndefined(identity.agent)
    assert.isUndefined(identity.model)
    assert.isUndefined(identity.variant)
    assert.deepStrictEqual(identity.source, { agent: "server default", model: "server default", variant: "server default" })
  })

  it("takes flags over stored defaults over observed, per field", () => {
    const identity = chooseIdentity(
      { agent: "flag-agent" },
      { model: gpt, variant: "stored-variant" },
      { agent: "observed-agent", model: sonnet, variant: "observed-variant" }
    )
    assert.strictEqual(identity.agent, "flag-agent")
    assert.deepStrictEqual(identity.model, gpt)
    assert.strictEqual(identity.variant, "stored-variant")
    assert.deepStrictEqual(identity.source, { agent: "flag", model: "stored defaults", variant: "stored defaults" })
  })

  it("flags beat stored defaults on every field", () => {
    const identity = chooseIdentity(
      { agent: "a-flag", model: opus, variant: "v-flag" },
      { agent: "a-stored", model: gpt, variant: "v-stored" },
      { agent: "a-observed", model: sonnet, variant: "v-observed" }
    )
    assert.deepStrictEqual(
      { agent: identity.agent, model: identity.model, variant: identity.variant },
      { agent: "a-flag", model: opus, variant: "v-flag" }
    )
    assert.deepStrictEqual(identity.source, { agent: "flag", model: "flag", variant: "flag" })
  })

  it("falls back to the observed identity, variant included, when nothing else is set", () => {
    const identity = chooseIdentity({}, undefined, { agent: "build", model: sonnet, variant: "high" })
    assert.strictEqual(identity.agent, "build")
    assert.deepStrictEqual(identity.model, sonnet)
    assert.strictEqual(identity.variant, "high")
    assert.deepStrictEqual(identity.source, { agent: "observed", model: "observed", variant: "observed" })
  })

  it("stored defaults beat observed", () => {
    const identity = chooseIdentity({}, { agent: "stored" }, { agent: "observed", model: sonnet })
    assert.strictEqual(identity.agent, "stored")
    assert.strictEqual(identity.source.agent, "stored defaults")
    assert.deepStrictEqual(identity.model, sonnet)
    assert.strictEqual(identity.source.model, "observed")
  })

  it("does not carry an observed variant to a model chosen by flag", () => {
    const identity = chooseIdentity({ model: gpt }, undefined, { agent: "build", model: sonnet, variant: "high" })
    assert.deepStrictEqual(identity.model, gpt)
    assert.strictEqual(identity.source.model, "flag")
    assert.isUndefined(identity.variant)
    assert.strictEqual(identity.source.variant, "server default")
    assert.strictEqual(identity.agent, "build")
    assert.strictEqual(identity.source.agent, "observed")
  })

  it("does not carry an observed variant to a model from stored defaults", () => {
    const identity = chooseIdentity({}, { model: gpt }, { agent: "build", model: sonnet, variant: "high" })
    assert.deepStrictEqual(identity.model, gpt)
    assert.strictEqual(identity.source.model, "stored defaults")
    assert.isUndefined(identity.variant)
    assert.strictEqual(identity.source.variant, "server default")
  })

  it("still honours an explicit variant flag with a model chosen elsewhere", () => {
    const identity = chooseIdentity({ model: gpt, variant: "low" }, undefined, { model: sonnet, variant: "high" })
    assert.strictEqual(identity.variant, "low")
    assert.strictEqual(identity.source.variant, "flag")
  })

  it("does not carry a stored variant to a model chosen by flag, but keeps it with the stored model", () => {
    const byFlag = chooseIdentity({ model: gpt }, { model: sonnet, variant: "high" }, undefined)
    assert.strictEqual(byFlag.variant, undefined)
    assert.strictEqual(byFlag.source.variant, "server default")
    const stored = chooseIdentity({ agent: "build" }, { model: sonnet, variant: "high" }, undefined)
    assert.strictEqual(stored.variant, "high")
    assert.strictEqual(stored.source.variant, "stored defaults")
  })
})
