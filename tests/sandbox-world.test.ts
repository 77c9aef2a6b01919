/**
 * The user's world a sandbox takes, without a server: the checks of `--project`/`--in-place`/`--config`/`--plugin`,
 * the copy of a project, and what the sandbox forces over the user's configs.
 */
import * as FileSystem from "@effect/platform/FileSystem"
import * as NodeContext from "@effect/platform-node/NodeContext"
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import { lstatSync, readlinkSync } from "node:fs"
import { copyProject } from "../src/local/ProjectCopy.js"
import { checkSandboxWorld, portableConfig, type SandboxModels, sandboxOverrides } from "../src/local/SandboxWorld.js"
import { treeHash, treeListing } from "./support/treeHash.js"

const scripted: SandboxModels = { provider: "scripted", model: "scripted/scripted", smallModel: "scripted/scripted", realModel: false }
const provider = { npm: "@ai-sdk/openai-compatible", options: { baseURL: "http://127.0.0.1:1/v1" } }

describe("sandboxOverrides", () => {
  it("forces the sandbox's provider only, and says nothing, when no config names another provider: a config may pick another scripted model", () => {
    const { managed, warnings } = sandboxOverrides(
      [{ path: "/u/opencode.json", config: { model: "scripted/other", small_model: "scripted/small", agent: { a: { prompt: "x" } } } }],
      scripted,
      provider
    )
    assert.deepStrictEqual(managed, { provider: { scripted: provider } })
    assert.deepStrictEqual(warnings, [])
  })

  it("replaces every real provider's model (default, small, agent, mode, command) and says so once per config", () => {
    const { managed, warnings } = sandboxOverrides(
      [
        {
          path: "/u/opencode.json",
          config: {
            model: "anthropic/claude-x",
            small_model: { providerID: "openai", model: "mini" },
            agent: { reviewer: { model: "openai/gpt-x" }, local: { model: "scripted/scripted" }, plain: {} },
            mode: { old: { model: "google/g" } },
            command: { fix: { template: "t", model: "openai/o" } },
            provider: { anthropic: {}, scripted: {} }
          }
        },
        { path: "/p/opencode.json", config: { agent: { reviewer: { prompt: "p" } } } }
      ],
      scripted,
      provider
    )
    assert.deepStrictEqual(managed.agent, { reviewer: { model: "scripted/scripted" } })
    assert.deepStrictEqual(managed.mode, { old: { model: "scripted/scripted" } })
    assert.deepStrictEqual(managed.command, { fix: { model: "scripted/scripted" } })
    assert.strictEqual(managed.model, "scripted/scripted")
    assert.strictEqual(managed.small_model, "scripted/scripted")
    assert.lengthOf(warnings, 1)
    for (const named of [
      "/u/opencode.json",
      "model anthropic/claude-x",
      'small_model {"providerID":"openai","model":"mini"}',
      "agent reviewer's model openai/gpt-x",
      "mode old's model google/g",
      "command fix's model openai/o",
      "provider anthropic",
      "the sandbox uses scripted/scripted instead",
      "--model"
    ]) {
      assert.include(warnings[0], named)
    }
    assert.notInclude(warnings[0], "agent local")
  })

  it("with a real model asked for (--model), keeps the user's agents' models and only forces the default and small model", () => {
    const { managed, warnings } = sandboxOverrides(
      [{ path: "/u/opencode.json", config: { model: "openai/x", agent: { reviewer: { model: "openai/gpt-x" } } } }],
      { ...scripted, model: "anthropic/claude-x", realModel: true },
      provider
    )
    assert.strictEqual(managed.model, "anthropic/claude-x")
    assert.strictEqual(managed.small_model, "scripted/scripted")
    assert.isUndefined(managed.agent)
    assert.deepStrictEqual(warnings, [])
  })

  it("puts the sandbox's provider back into a provider list that leaves it out", () => {
    const { managed, warnings } = sandboxOverrides(
      [{ path: "/u/opencode.json", config: { enabled_providers: ["anthropic"], disabled_providers: ["scripted", "openai"] } }],
      scripted,
      provider
    )
    assert.deepStrictEqual(managed.enabled_providers, ["anthropic", "scripted"])
    assert.deepStrictEqual(managed.disabled_providers, ["openai"])
    assert.include(warnings[0], "enabled_providers without scripted")
    assert.include(warnings[0], "disabled_providers with scripted")
  })
})

const refusal = (world: Parameters<typeof checkSandboxWorld>[0], cwd: string) =>
  Effect.map(Effect.either(checkSandboxWorld(world, cwd)), (result) => {
    assert.isTrue(Either.isLeft(result), `refused: ${JSON.stringify(world)}`)
    const error = (result as Either.Left<{ _tag: string; message: string }, unknown>).left
    assert.strictEqual(error._tag, "InvalidInput")
    return error.message
  })

describe("checkSandboxWorld", () => {
  it.scoped("refuses each bad path or config with InvalidInput naming it (line and column for JSONC)", () =>
    Effect.gen(function* () {
      const fs = yield* FileSystem.FileSystem
      const dir = yield* fs.makeTempDirectoryScoped({ prefix: "ocm-world-test-" })
      yield* fs.writeFileString(`${dir}/broken.jsonc`, '{\n  // a comment\n  "agent": {,\n}')
      yield* fs.writeFileString(`${dir}/array.json`, "[1]")
      yield* fs.makeDirectory(`${dir}/no-index`)
      yield* fs.writeFileString(`${dir}/no-index/readme.md`, "x")
      const cases: ReadonlyArray<readonly [Parameters<typeof checkSandboxWorld>[0], string]> = [
        [{ inPlace: true }, "--in-place needs --project"],
        [{ project: "missing" }, `--project: ${dir}/missing does not exist`],
        [{ project: "broken.jsonc" }, `--project: ${dir}/broken.jsonc is not a directory`],
        [{ config: "missing.json" }, `--config: ${dir}/missing.json does not exist`],
        [{ config: "." }, `--config: ${dir} is not a file`],
        [{ config: "broken.jsonc" }, `--config: ${dir}/broken.jsonc is not JSON or JSONC: `],
        [{ config: "broken.jsonc" }, "at line 3, column 13"],
        [{ config: "array.json" }, "not a JSON object"],
        [{ plugins: ["missing.js"] }, `--plugin: ${dir}/missing.js does not exist`],
        [{ plugins: ["no-index"] }, `--plugin: ${dir}/no-index has no package.json or index file`]
      ]
      for (const [world, said] of cases) {
        const message = yield* refusal(world, dir)
        assert.include(message, said, message)
      }
    }).pipe(Effect.provide(NodeContext.layer)))

  it.scoped("takes a good world with absolute paths and the config parsed as JSONC", () =>
    Effect.gen(function* () {
      const fs = yield* FileSystem.FileSystem
      const dir = yield* fs.makeTempDirectoryScoped({ prefix: "ocm-world-test-" })
      yield* fs.makeDirectory(`${dir}/project/plugin-dir`, { recursive: true })
      yield* fs.writeFileString(`${dir}/project/plugin-dir/index.ts`, "export const P = async () => ({})")
      yield* fs.writeFileString(`${dir}/plugin.js`, "export const P = async () => ({})")
      yield* fs.writeFileString(`${dir}/opencode.jsonc`, '{ "agent": { "a": { "prompt": "x" } }, // trailing\n}')
      const world = yield* checkSandboxWorld(
        { project: "project", inPlace: true, config: "opencode.jsonc", plugins: ["plugin.js", "project/plugin-dir"] },
        dir
      )
      yield* fs.symlink(`${dir}/project`, `${dir}/project-link`)
      const linked = yield* checkSandboxWorld({ project: "project-link" }, dir)
      // (the temp dir itself may be reached through a symlink)
      const real = yield* fs.realPath(dir)
      assert.strictEqual(linked.project?.dir, `${real}/project`, "a project named by a symlink is the directory it points at")
      assert.deepStrictEqual(world, {
        project: { dir: `${real}/project`, inPlace: true },
        config: { _tag: "File", path: `${dir}/opencode.jsonc`, config: { agent: { a: { prompt: "x" } } } },
        plugins: [`${dir}/plugin.js`, `${dir}/project/plugin-dir`]
      })
    }).pipe(Effect.provide(NodeContext.layer)))
})

describe("portableConfig", () => {
  it.effect("makes what OpenCode takes relative to the config file absolute, and adds the $schema OpenCode would write", () =>
    Effect.gen(function* () {
      const config = yield* portableConfig(
        {
          plugin: ["./local.js", ["../other/plugin.ts", { option: 1 }], "/abs/plugin.js", "file:///x/y.js", "npm-plugin@1"],
          agent: { a: { prompt: "{file:./prompts/a.md} and {file:~/notes.md} and {file:/etc/abs.md}" } },
          instructions: ["RULES.md"]
        },
        "/home/u/cfg",
        "/home/u"
      )
      assert.deepStrictEqual(config, {
        $schema: "https://opencode.ai/config.json",
        plugin: ["file:///home/u/cfg/local.js", ["file:///home/u/other/plugin.ts", { option: 1 }], "/abs/plugin.js", "file:///x/y.js", "npm-plugin@1"],
        agent: { a: { prompt: "{file:/home/u/cfg/prompts/a.md} and {file:/home/u/notes.md} and {file:/etc/abs.md}" } },
        // looked up from the project by OpenCode, as they are
        instructions: ["RULES.md"]
      })
      const own = yield* portableConfig({ $schema: "https://example.com/schema.json" }, "/", "/")
      assert.deepStrictEqual(own, { $schema: "https://example.com/schema.json" })
    }).pipe(Effect.provide(NodeContext.layer)))
})

describe("copyProject", () => {
  it.scoped("copies files with their modes and symlinks as symlinks, leaves out .git, and only reads the source", () =>
    Effect.gen(function* () {
      const fs = yield* FileSystem.FileSystem
      const dir = yield* fs.makeTempDirectoryScoped({ prefix: "ocm-copy-test-" })
      const source = `${dir}/source`
      yield* fs.makeDirectory(`${source}/src/.git`, { recursive: true })
      yield* fs.makeDirectory(`${source}/.git/objects`, { recursive: true })
      yield* fs.writeFileString(`${source}/.git/HEAD`, "ref: refs/heads/main\n")
      yield* fs.writeFileString(`${source}/src/.git/config`, "nested\n")
      yield* fs.writeFileString(`${source}/README.md`, "hello\n")
      yield* fs.writeFileString(`${source}/run.sh`, "#!/bin/sh\necho hi\n")
      yield* fs.chmod(`${source}/run.sh`, 0o751)
      yield* fs.writeFileString(`${source}/src/secret.txt`, "s\n")
      yield* fs.chmod(`${source}/src/secret.txt`, 0o600)
      yield* fs.symlink("README.md", `${source}/relative-link`)
      yield* fs.symlink(`${source}/src`, `${source}/absolute-inside`)
      yield* fs.symlink("/etc/hostname", `${source}/absolute-outside`)
      yield* fs.symlink("missing", `${source}/dangling`)
      const before = treeHash(source)

      yield* copyProject(source, `${dir}/copy`)

      assert.strictEqual(treeHash(source), before, "the source is unchanged")
      const listing = treeListing(`${dir}/copy`)
      const entries = listing.map((line) => line.split(" ").slice(0, 3).join(" "))
      assert.sameMembers(entries, [
        "README.md file 644",
        "absolute-inside link 777",
        "absolute-outside link 777",
        "dangling link 777",
        "relative-link link 777",
        "run.sh file 751",
        "src dir 755",
        "src/secret.txt file 600"
      ])
      assert.strictEqual(readlinkSync(`${dir}/copy/relative-link`), "README.md")
      assert.strictEqual(readlinkSync(`${dir}/copy/absolute-inside`), `${dir}/copy/src`, "pointed into the copy, not the original")
      assert.strictEqual(readlinkSync(`${dir}/copy/absolute-outside`), "/etc/hostname")
      assert.strictEqual(readlinkSync(`${dir}/copy/dangling`), "missing")
      assert.isTrue(lstatSync(`${dir}/copy/run.sh`).isFile())
      assert.strictEqual(yield* fs.readFileString(`${dir}/copy/run.sh`), "#!/bin/sh\necho hi\n")
    }).pipe(Effect.provide(NodeContext.layer)))
})
