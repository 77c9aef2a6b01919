/**
 * install-skill / view-skill through the built binary in a temp XDG_CONFIG_HOME, the embedded text against
 * fixtures/skill/SKILL.md, and a real OpenCode server listing the installed skill (`GET /skill`).
 */
import * as FileSystem from "@effect/platform/FileSystem"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import { assert, describe, it, layer } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { readFileSync } from "node:fs"
import { PlatformLayer, SandboxClientLayer } from "../layers/TestLayers.js"
import { Sandbox } from "../services/Sandbox.js"
import { SKILL_TEXT } from "../src/local/SkillText.js"
import { cleanEnvironment, repoRoot, runOcm } from "./support/cli.js"

const fixture = readFileSync(`${repoRoot}fixtures/skill/SKILL.md`, "utf8")

const regenerate =
  `node -e 'const t=require("fs").readFileSync("fixtures/skill/SKILL.md","utf8");` +
  `console.log(t.split("\\n").map(l=>"  "+JSON.stringify(l)).join(",\\n"))'`

describe("the embedded skill", () => {
  it("is fixtures/skill/SKILL.md exactly", () => {
    assert.strictEqual(SKILL_TEXT, fixture, `src/local/SkillText.ts is out of date; regenerate its lines with: ${regenerate}`)
  })

  it("has the front matter OpenCode skills need: name ocm and a one-line description", () => {
    const front = /^---\n([\s\S]*?)\n---\n/.exec(SKILL_TEXT)?.[1]
    assert.isString(front)
    const fields = Object.fromEntries(front!.split("\n").map((line) => [line.slice(0, line.indexOf(":")), line.slice(line.indexOf(":") + 1).trim()]))
    assert.deepStrictEqual(Object.keys(fields), ["name", "description"])
    assert.strictEqual(fields.name, "ocm")
    assert.isAbove(fields.description!.length, 40)
    assert.notInclude(fields.description!, ": ", "a plain YAML scalar: no ': ' inside")
  })
})

const withConfigHome = (configHome: string) => cleanEnvironment({ XDG_CONFIG_HOME: configHome })

describe("install-skill and view-skill", () => {
  it.live("install writes the skill atomically, refuses to overwrite a different file without --force, view prints it", () =>
    Effect.gen(function* () {
      const fs = yield* FileSystem.FileSystem
      const configHome = yield* fs.makeTempDirectoryScoped({ prefix: "ocm-skill-test-" })
      const env = withConfigHome(configHome)
      const target = `${configHome}/opencode/skills/ocm/SKILL.md`

      const path = yield* runOcm(["view-skill", "--path"], env)
      assert.strictEqual(path.code, 0, path.stderr)
      assert.strictEqual(path.stdout, `${target}\n`)
      assert.isFalse(yield* fs.exists(target), "view-skill --path installs nothing")

      const installed = yield* runOcm(["install-skill"], env)
      assert.strictEqual(installed.code, 0, installed.stderr)
      assert.strictEqual(installed.stdout, `${target}\n`)
      assert.strictEqual(yield* fs.readFileString(target), SKILL_TEXT)
      assert.deepStrictEqual(yield* fs.readDirectory(`${configHome}/opencode/skills/ocm`), ["SKILL.md"], "no temp file left")

      const view = yield* runOcm(["view-skill"], env)
      assert.strictEqual(view.code, 0, view.stderr)
      assert.strictEqual(view.stdout, yield* fs.readFileString(target))

      const again = yield* runOcm(["install-skill", "--json"], env)
      assert.strictEqual(again.code, 0, again.stderr)
      assert.deepStrictEqual(JSON.parse(again.stdout), { path: target, outcome: "unchanged" })

      yield* fs.writeFileString(target, "---\nname: ocm\ndescription: mine\n---\n\nmy own notes\n")
      const refused = yield* runOcm(["install-skill"], env)
      assert.strictEqual(refused.code, 2, refused.stderr)
      assert.include(refused.stderr, "--force")
      assert.strictEqual(yield* fs.readFileString(target), "---\nname: ocm\ndescription: mine\n---\n\nmy own notes\n", "left alone")

      const forced = yield* runOcm(["install-skill", "--force", "--json"], env)
      assert.strictEqual(forced.code, 0, forced.stderr)
      assert.deepStrictEqual(JSON.parse(forced.stdout), { path: target, outcome: "replaced" })
      assert.strictEqual(yield* fs.readFileString(target), SKILL_TEXT)

      const json = yield* runOcm(["view-skill", "--json"], env)
      assert.deepStrictEqual(JSON.parse(json.stdout), { path: target, installed: "identical", content: SKILL_TEXT })
    }).pipe(Effect.scoped, Effect.provide(PlatformLayer)), { timeout: 30_000 })

  it.live("without XDG_CONFIG_HOME the skill goes to ~/.config/opencode/skills/ocm", () =>
    Effect.gen(function* () {
      const fs = yield* FileSystem.FileSystem
      const home = yield* fs.makeTempDirectoryScoped({ prefix: "ocm-skill-home-" })
      const run = yield* runOcm(["install-skill"], cleanEnvironment({ HOME: home, XDG_CONFIG_HOME: "" }))
      assert.strictEqual(run.code, 0, run.stderr)
      assert.strictEqual(run.stdout, `${home}/.config/opencode/skills/ocm/SKILL.md\n`)
      assert.strictEqual(yield* fs.readFileString(`${home}/.config/opencode/skills/ocm/SKILL.md`), SKILL_TEXT)
    }).pipe(Effect.scoped, Effect.provide(PlatformLayer)), { timeout: 30_000 })
})

describe("OpenCode lists the installed skill", () => {
  layer(SandboxClientLayer(), { timeout: 300_000, excludeTestServices: true })((it) => {
    // A directory instance loads skills when it is first used, so the check asks about a directory no request
    // has touched yet (a running server does not pick up new skills in directories it already serves).
    it.effect("install-skill into the sandbox's config home; GET /skill for a fresh directory has ocm", () =>
      Effect.gen(function* () {
        const fs = yield* FileSystem.FileSystem
        const { info } = yield* Sandbox
        const run = yield* runOcm(["install-skill"], withConfigHome(`${info.home}/.config`))
        assert.strictEqual(run.code, 0, run.stderr)
        const installedAt = run.stdout.trim()
        assert.strictEqual(installedAt, `${info.home}/.config/opencode/skills/ocm/SKILL.md`)

        const fresh = `${info.projectDir}/skill-probe`
        yield* fs.makeDirectory(fresh)
        const http = yield* HttpClient.HttpClient
        const response = yield* http.execute(HttpClientRequest.get(`${info.url}/skill`, { urlParams: { directory: fresh } }))
        const skills = (yield* response.json) as Array<{ name: string; description?: string; location: string; content: string }>
        const ocm = skills.find((skill) => skill.name === "ocm")
        assert.isDefined(ocm, `skills listed: ${skills.map((skill) => skill.name).join(", ")}`)
        assert.strictEqual(ocm!.location, installedAt)
        assert.match(ocm!.description ?? "", /^Drive and supervise OpenCode sessions/)
        assert.include(ocm!.content, "ocm wt run")
      }))
  })
})
