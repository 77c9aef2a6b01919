/** The views of `ocm models` and `ocm ping`: a line per model id, the note for an empty list, and --json. */
import { assert, describe, it } from "@effect/vitest"
import { modelsView } from "../src/present/models.js"
import { pingView } from "../src/present/ping.js"
import { render, type View } from "../src/present/Presenter.js"
import type { ModelRow } from "../src/programs/models.js"

const text = <A>(view: View<A>, result: A) => render(view, { json: false }, result)
const json = <A>(view: View<A>, result: A) => JSON.parse(render(view, { json: true }, result)!)

const rows: ReadonlyArray<ModelRow> = [
  {
    id: "openrouter/openai/gpt-5",
    provider: "openrouter",
    model: "openai/gpt-5",
    name: "GPT-5",
    variants: ["high", "low"],
    connected: true,
    isDefault: true
  },
  { id: "scripted/scripted", provider: "scripted", model: "scripted", name: "Scripted", variants: [], connected: false, isDefault: false }
]

describe("models", () => {
  it("id (default marked), name, variants, and whether its provider is connected", () => {
    assert.strictEqual(
      text(modelsView, rows),
      "openrouter/openai/gpt-5 (default)  GPT-5  variants: high, low\nscripted/scripted  Scripted  [not connected]"
    )
    assert.isUndefined(modelsView.note?.(rows))
  })

  it("--json: the rows as they are", () => {
    assert.deepStrictEqual(json(modelsView, rows), rows)
  })

  it("no rows: nothing printed, a note pointing at --all; --json []", () => {
    assert.isUndefined(text(modelsView, []))
    assert.strictEqual(modelsView.note?.([]), "ocm: no provider is connected; `ocm models --all` lists the whole catalogue")
    assert.deepStrictEqual(json(modelsView, []), [])
  })
})

describe("ping", () => {
  it("one line: healthy or not, version, URL and rule; --json ok, url, rule, version", () => {
    const ping = { ok: true, url: "http://127.0.0.1:4096", rule: "OPENCODE_BASE_URL", version: "1.18.33" } as const
    assert.strictEqual(text(pingView, ping), "ok: opencode 1.18.33 at http://127.0.0.1:4096 (OPENCODE_BASE_URL)")
    assert.strictEqual(text(pingView, { ...ping, ok: false }), "unhealthy: opencode 1.18.33 at http://127.0.0.1:4096 (OPENCODE_BASE_URL)")
    assert.strictEqual(render(pingView, { json: true }, ping), JSON.stringify(ping, null, 2))
  })
})
