/** The views of install-skill and view-skill. */
import { assert, describe, it } from "@effect/vitest"
import { render, type View } from "../src/present/Presenter.js"
import { skillInstalledView, skillView } from "../src/present/skill.js"
import { SKILL_TEXT } from "../src/local/SkillText.js"

const text = <A>(view: View<A>, result: A) => render(view, { json: false }, result)
const json = <A>(view: View<A>, result: A) => JSON.parse(render(view, { json: true }, result)!)
const path = "/home/u/.config/opencode/skills/ocm/SKILL.md"

describe("install-skill", () => {
  it("prints the path; --json the path and what happened", () => {
    assert.strictEqual(text(skillInstalledView, { path, outcome: "replaced" }), path)
    assert.deepStrictEqual(json(skillInstalledView, { path, outcome: "replaced" }), { path, outcome: "replaced" })
  })
})

describe("view-skill", () => {
  const skill = { path, installed: "absent", content: SKILL_TEXT } as const

  it("the text as it is (its last newline is the printed line's), or with --path where it goes", () => {
    assert.isTrue(SKILL_TEXT.endsWith("\n"))
    assert.strictEqual(`${text(skillView({ path: false }), skill)}\n`, SKILL_TEXT)
    assert.strictEqual(text(skillView({ path: true }), skill), path)
  })

  it("--json: path, what is installed there, and the text", () => {
    assert.deepStrictEqual(json(skillView({ path: false }), skill), { path, installed: "absent", content: SKILL_TEXT })
    assert.deepStrictEqual(json(skillView({ path: true }), skill), { path, installed: "absent", content: SKILL_TEXT })
  })
})
