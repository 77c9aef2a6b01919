/**
 * The sandbox takes the user's world, against the real server: a project it copies (the original byte-identical
 * after sessions edit the copy) or works in (`--in-place`), a config merged over its own (an agent of it usable, a
 * real provider's model replaced and said), plugins OpenCode loads (their hooks visibly act on what the scripted
 * model receives), and a config OpenCode rejects (exit 14 with OpenCode's words).
 */
import * as FileSystem from "@effect/platform/FileSystem"
import { afterAll, assert, describe, it, layer } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { execFileSync } from "node:child_process"
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join, relative } from "node:path"
import { fetchRecordedRequests } from "../layers/ScriptedModelLive.js"
import { PlatformLayer, SandboxClientLayer } from "../layers/TestLayers.js"
import { Sandbox } from "../services/Sandbox.js"
import type { SandboxState } from "../src/local/SandboxState.js"
import { isolatedOcm, ocmInSandbox, repoRoot, runOcm, succeeded } from "./support/cli.js"
import { treeHash, treeListing } from "./support/treeHash.js"

const pluginFile = join(repoRoot, "fixtures/plugins/system-marker.js")
const pluginDir = join(repoRoot, "fixtures/plugins/system-marker-dir")
const markers = {
  file: "ocm-test-plugin: system-marker (a file) loaded",
  dir: "ocm-test-plugin: system-marker-dir (a directory) loaded",
  relative: "ocm-test-plugin: beside the config, named relative to it",
  agent: "REVIEWER-AGENT-PROMPT"
}

const bash = (command: string) => `[[tool bash ${JSON.stringify({ command, description: "edit" })}]]`

/** The user's world on disk: a git project (a symlink, an executable, its own config naming a real model) and a config. */
const makeWorld = () => {
  const dir = mkdtempSync(join(tmpdir(), "ocm-world-live-"))
  const project = join(dir, "project")
  mkdirSync(join(project, "src"), { recursive: true })
  writeFileSync(join(project, "README.md"), "# the user's project\n")
  writeFileSync(join(project, "src", "main.sh"), "#!/bin/sh\necho main\n")
  chmodSync(join(project, "src", "main.sh"), 0o755)
  symlinkSync("README.md", join(project, "readme-link"))
  // with its $schema: OpenCode writes one into a config file without it (into the copy, as into any project)
  writeFileSync(join(project, "opencode.json"), JSON.stringify({ $schema: "https://opencode.ai/config.json", model: "anthropic/claude-sonnet-4" }))
  execFileSync("git", ["init", "-q"], { cwd: project })
  execFileSync("git", ["add", "-A"], { cwd: project })
  execFileSync("git", ["-c", "user.name=u", "-c", "user.email=u@localhost", "commit", "-q", "-m", "user's commit"], { cwd: project })
  const configDir = join(dir, "config")
  mkdirSync(configDir)
  writeFileSync(
    join(configDir, "relative-plugin.js"),
    `export const Relative = async () => ({ "experimental.chat.system.transform": async (_input, output) => { output.system.push(${JSON.stringify(markers.relative)}) } })\n`
  )
  const config = join(configDir, "opencode.jsonc")
  writeFileSync(
    config,
    [
      "{",
      "  // the user's own agent, on a real provider the sandbox has no key for",
      `  "agent": { "reviewer": { "mode": "primary", "prompt": "${markers.agent}", "model": "openai/gpt-5" } },`,
      '  "plugin": ["./relative-plugin.js"],',
      "}"
    ].join("\n")
  )
  return { dir, project, config }
}

const world = makeWorld()
const projectBefore = treeHash(world.project)
// without a $schema, which OpenCode would write into it were it given the file itself
const configBefore = readFileSync(world.config, "utf8")
afterAll(() => rmSync(world.dir, { recursive: true, force: true }))

describe("a library sandbox with a project, a config and plugins", () => {
  layer(SandboxClientLayer({ project: world.project, config: world.config, plugins: [pluginFile, pluginDir] }), {
    timeout: 240_000,
    excludeTestServices: true
  })((it) => {
    it.effect("works on a copy: the same files, modes and symlinks in a fresh repository of one commit", () =>
      Effect.gen(function* () {
        const { info } = yield* Sandbox
        assert.notStrictEqual(info.projectDir, world.project)
        assert.strictEqual(info.projectSource, world.project)
        assert.isFalse(info.inPlace)
        const withoutGit = (lines: Array<string>) => lines.filter((line) => !line.startsWith(".git"))
        assert.deepStrictEqual(withoutGit(treeListing(info.projectDir)), withoutGit(treeListing(world.project)))
        const log = execFileSync("git", ["log", "--format=%s"], { cwd: info.projectDir, encoding: "utf8" }).trim().split("\n")
        assert.deepStrictEqual(log, [`sandbox: a copy of ${world.project}`])
      }))

    it.effect("loads the plugin file, the plugin directory and the config's relative plugin; the config's agent answers", () =>
      Effect.gen(function* () {
        const sandbox = yield* Sandbox
        const reply = succeeded(yield* ocmInSandbox(["one-shot", "--agent", "reviewer", "Reply with ONLY REVIEWED."]))
        assert.strictEqual(reply.trim(), "REVIEWED")
        const request = (yield* sandbox.modelRequests).find((r) => r.kind === "chat" && r.lastUserText.includes("REVIEWED"))
        assert.isDefined(request, "the scripted model answered the agent: its real model was replaced")
        for (const marker of Object.values(markers)) assert.include(request!.system, marker)
      }))

    it.effect("says which configs named a real provider and what it uses instead", () =>
      Effect.gen(function* () {
        const { info } = yield* Sandbox
        assert.lengthOf(info.warnings, 2, info.warnings.join("\n"))
        const [fromConfig, fromProject] = info.warnings
        assert.include(fromConfig, world.config)
        assert.include(fromConfig, "agent reviewer's model openai/gpt-5")
        // the project's own file, named where the user has it, not in the copy
        assert.include(fromProject, `${world.project}/opencode.json names model anthropic/claude-sonnet-4`)
        assert.include(fromProject, "the sandbox uses scripted/scripted instead")
      }))

    it.effect("the user's directory is byte-identical after a session edits, adds and removes files in the copy", () =>
      Effect.gen(function* () {
        const { info } = yield* Sandbox
        const edit = bash("echo edited >> README.md && echo new > new.txt && rm src/main.sh && rm readme-link")
        assert.strictEqual(succeeded(yield* ocmInSandbox(["one-shot", `${edit} Reply with ONLY EDITED.`])).trim(), "EDITED")
        assert.include(readFileSync(join(info.projectDir, "README.md"), "utf8"), "edited")
        assert.isTrue(existsSync(join(info.projectDir, "new.txt")))
        assert.isFalse(existsSync(join(info.projectDir, "src", "main.sh")))
        assert.strictEqual(treeHash(world.project), projectBefore)
        assert.strictEqual(readFileSync(world.config, "utf8"), configBefore, "the --config file is only read")
      }))
  })
})

describe("ocm sandbox up --in-place, --config and --plugin by relative paths", () => {
  it.live("the supervisor gets them whole; sessions work in the directory itself, which down leaves in place", () =>
    Effect.gen(function* () {
      const fs = yield* FileSystem.FileSystem
      const { env } = yield* isolatedOcm
      const dir = yield* fs.makeTempDirectoryScoped({ prefix: "ocm-world-live-in-place-" })
      yield* fs.makeDirectory(`${dir}/work`)
      yield* fs.writeFileString(`${dir}/work/README.md`, "# in place\n")
      const config = JSON.stringify({ model: "openai/gpt-5", agent: { helper: { prompt: markers.agent } } })
      yield* fs.writeFileString(`${dir}/config.json`, config)
      const up = yield* runOcm(
        ["sandbox", "up", "--json", "--project", "work", "--in-place", "--config", "config.json", "--plugin", relative(dir, pluginFile)],
        env,
        dir
      )
      assert.strictEqual(up.code, 0, up.stderr)
      const state = JSON.parse(up.stdout) as SandboxState
      assert.strictEqual(state.projectDir, `${dir}/work`)
      assert.strictEqual(state.projectSource, `${dir}/work`)
      assert.isTrue(state.inPlace)
      // the supervisor's warning is said by up itself
      assert.include(up.stderr, `${dir}/config.json names model openai/gpt-5`)

      const made = bash("echo made-in-place > made.txt")
      const run = yield* runOcm(["one-shot", "--agent", "helper", `${made} Reply with ONLY MADE.`], env, `${dir}/work`)
      assert.strictEqual(succeeded(run).trim(), "MADE")
      assert.strictEqual(yield* fs.readFileString(`${dir}/work/made.txt`), "made-in-place\n")
      const requests = yield* fetchRecordedRequests(state.modelUrl)
      const chat = requests.filter((request) => request.kind === "chat")
      assert.isNotEmpty(chat)
      for (const request of chat) {
        assert.include(request.system, markers.file)
        assert.include(request.system, markers.agent)
      }

      const down = yield* runOcm(["sandbox", "down"], env)
      assert.strictEqual(down.code, 0, down.stderr)
      assert.isFalse(yield* fs.exists(state.root), "the sandbox's own dir is gone")
      assert.deepStrictEqual((yield* fs.readDirectory(`${dir}/work`)).sort(), ["README.md", "made.txt"])
      assert.strictEqual(yield* fs.readFileString(`${dir}/config.json`), config, "the --config file is only read")
    }).pipe(Effect.scoped, Effect.provide(PlatformLayer)), { timeout: 240_000 })
})

describe("a config OpenCode rejects", () => {
  it.live("is exit 14 with OpenCode's own message (the file, the key, what is wrong), and leaves nothing", () =>
    Effect.gen(function* () {
      const fs = yield* FileSystem.FileSystem
      const { env, tmp } = yield* isolatedOcm
      const dir = yield* fs.makeTempDirectoryScoped({ prefix: "ocm-world-live-rejected-" })
      const config = `${dir}/opencode.json`
      // JSON, so ocm takes it; a number where OpenCode wants a model name
      yield* fs.writeFileString(config, JSON.stringify({ agent: { reviewer: { model: 5 } } }))
      const run = yield* runOcm(["sandbox", "run", "--config", config, "--", "true"], env, dir)
      assert.strictEqual(run.code, 14, run.stderr)
      assert.lengthOf(run.stderr.trim().split("\n"), 1, run.stderr)
      assert.include(run.stderr, `OpenCode rejected the config: ConfigInvalidError: ${config}: agent.reviewer.model: Expected string`)
      assert.deepStrictEqual(yield* fs.readDirectory(tmp), [])
    }).pipe(Effect.scoped, Effect.provide(PlatformLayer)), { timeout: 180_000 })
})
