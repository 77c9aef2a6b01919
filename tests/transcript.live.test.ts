/**
 * `opencode-transcript` as a process against a real sandbox: live sessions, export files, files written, exit codes.
 * Runs the built bin (`npm run build` first; `npm test` does).
 */
import * as FileSystem from "@effect/platform/FileSystem"
import { assert, describe, layer } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as ProcessHostLive from "../layers/ProcessHostLive.js"
import { SandboxClientLayer } from "../layers/TestLayers.js"
import * as TranscriptStoreLive from "../layers/TranscriptStoreLive.js"
import type { TranscriptDocument } from "../src/transcript/View.js"
import { OpenCodeClient } from "../services/OpenCodeClient.js"
import { Sandbox } from "../services/Sandbox.js"
import { TranscriptStore } from "../services/TranscriptStore.js"
import { render } from "../src/present/Presenter.js"
import { transcriptView } from "../src/present/transcript.js"
import { cleanEnvironment, ocmBin, repoRoot, runBin, runBinUnprivileged, transcriptBin } from "./support/cli.js"

const text = (prompt: string) => [{ type: "text" as const, text: prompt }]
const fixture = (name: string) => `${repoRoot}fixtures/transcripts/${name}`

const LiveLayer = TranscriptStoreLive.layer.pipe(
  Layer.provideMerge(ProcessHostLive.layer),
  Layer.provideMerge(SandboxClientLayer())
)

/** A session with a plain turn and a tool turn, made through the client. */
const recordedSession = (title: string) =>
  Effect.gen(function* () {
    const client = yield* OpenCodeClient
    const { info } = yield* Sandbox
    const session = yield* client.createSession({ directory: info.projectDir, title })
    yield* client.prompt(session.id, { parts: text("Reply with ONLY LIVE."), agent: "proof" })
    yield* client.prompt(session.id, {
      parts: text(`[[tool bash {"command": "echo from-tool", "description": "echo"}]] Reply with ONLY TOOLED.`)
    })
    return session
  })

describe("opencode-transcript against a real sandbox", () => {
  layer(LiveLayer, { timeout: 300_000, excludeTestServices: true })((it) => {
    it.effect("renders a live session by id as Markdown and JSON, the same as the library renders it", () =>
      Effect.gen(function* () {
        const { info } = yield* Sandbox
        const store = yield* TranscriptStore
        const session = yield* recordedSession("transcript live probe")
        const env = cleanEnvironment()

        const markdown = yield* runBin(transcriptBin, [session.id, "--url", info.url], env)
        assert.strictEqual(markdown.code, 0, markdown.stderr)
        assert.include(markdown.stdout, `# Transcript: transcript live probe`)
        assert.include(markdown.stdout, `\`${session.id}\``)
        assert.include(markdown.stdout, "\nLIVE\n")
        assert.include(markdown.stdout, "**Tool `bash`** · completed")
        assert.include(markdown.stdout, "from-tool")
        assert.strictEqual(markdown.stderr, "")

        const json = yield* runBin(transcriptBin, [session.id, "--url", info.url, "--json"], env)
        assert.strictEqual(json.code, 0, json.stderr)
        const document = JSON.parse(json.stdout) as TranscriptDocument
        assert.strictEqual(document.session.id, session.id)
        assert.deepStrictEqual(
          document.turns.map((turn) => turn.reply),
          ["LIVE", "TOOLED"]
        )

        // one renderer: the bin prints exactly what the library renders from the same live session
        const loaded = yield* store.document(yield* store.load({ _tag: "Session", reference: session.id }))
        assert.strictEqual(markdown.stdout, `${render(transcriptView, { json: false }, { document: loaded, written: {} })}\n`)
        assert.strictEqual(json.stdout, `${render(transcriptView, { json: true }, { document: loaded, written: {} })}\n`)
      }))

    it.effect("finds the session by title, or the latest one of the current directory when none is named", () =>
      Effect.gen(function* () {
        const { info } = yield* Sandbox
        const session = yield* recordedSession("transcript title probe")
        const env = cleanEnvironment()
        const byTitle = yield* runBin(transcriptBin, ["title probe", "--url", info.url, "--json"], env)
        assert.strictEqual(byTitle.code, 0, byTitle.stderr)
        assert.strictEqual((JSON.parse(byTitle.stdout) as TranscriptDocument).session.id, session.id)
        const latest = yield* runBin(transcriptBin, ["--url", info.url, "--json"], env, info.projectDir)
        assert.strictEqual(latest.code, 0, latest.stderr)
        assert.strictEqual((JSON.parse(latest.stdout) as TranscriptDocument).session.id, session.id)
      }))

    it.effect("--output prints only the absolute path of the file it wrote; --tee-temp names its copy on stderr", () =>
      Effect.gen(function* () {
        const { info } = yield* Sandbox
        const fs = yield* FileSystem.FileSystem
        const session = yield* recordedSession("transcript output probe")
        const dir = yield* fs.makeTempDirectoryScoped({ prefix: "ocm-transcript-live-" })
        const env = cleanEnvironment()
        const plain = yield* runBin(transcriptBin, [session.id, "--url", info.url], env)

        // the temp copy goes to TMPDIR: point it into the scoped dir so the test leaves nothing behind
        const written = yield* runBin(
          transcriptBin,
          [session.id, "--url", info.url, "--output", "t.md", "--tee-temp"],
          { ...env, TMPDIR: dir },
          dir
        )
        assert.strictEqual(written.code, 0, written.stderr)
        assert.strictEqual(written.stdout, `${dir}/t.md\n`)
        assert.strictEqual(yield* fs.readFileString(`${dir}/t.md`), plain.stdout)
        const tee = written.stderr.trim()
        assert.match(tee, /^\/.*\.md$/)
        assert.isTrue(tee.startsWith(`${dir}/`), "the temp copy honours TMPDIR")
        assert.strictEqual(yield* fs.readFileString(tee), plain.stdout)
        yield* fs.remove(tee.slice(0, tee.lastIndexOf("/")), { recursive: true })
      }).pipe(Effect.scoped))

    it.effect("ocm transcript --output of a live session keeps the file's mode, and refuses a read-only file for a user without root's powers", () =>
      Effect.gen(function* () {
        const { info } = yield* Sandbox
        const fs = yield* FileSystem.FileSystem
        const session = yield* recordedSession("transcript mode probe")
        const dir = yield* fs.makeTempDirectoryScoped({ prefix: "ocm-transcript-mode-" })
        yield* fs.chmod(dir, 0o777)
        const target = `${dir}/t.md`
        const env = cleanEnvironment({ HOME: dir, XDG_CONFIG_HOME: `${dir}/config`, XDG_STATE_HOME: `${dir}/state` })
        const mode = Effect.map(fs.stat(target), (stat) => stat.mode & 0o7777)
        const args = ["transcript", session.id, "--url", info.url, "--output", target]

        // this test's own user: root may write a 0444 file (replaced, and still 0444); anyone else may not
        const root = globalThis.process.getuid?.() === 0
        yield* fs.writeFileString(target, "old\n")
        yield* fs.chmod(target, 0o444)
        const asTester = yield* runBin(ocmBin, args, env, dir)
        assert.strictEqual(asTester.code, root ? 0 : 2, asTester.stderr)
        assert.strictEqual(yield* fs.readFileString(target).pipe(Effect.map((text) => text.includes("transcript mode probe"))), root)
        assert.strictEqual(yield* mode, 0o444)

        // a user who could not write it in place: refused, content and mode as they were
        yield* fs.chmod(target, 0o644)
        yield* fs.writeFileString(target, "keep me\n")
        yield* fs.chmod(target, 0o444)
        const refused = yield* runBinUnprivileged(ocmBin, args, env, dir)
        assert.strictEqual(refused.code, 2, `${refused.stdout} ${refused.stderr}`)
        assert.match(refused.stderr, /^ocm: .*t\.md is not writable/m)
        assert.strictEqual(yield* fs.readFileString(target), "keep me\n")
        assert.strictEqual(yield* mode, 0o444)
        assert.deepStrictEqual(yield* fs.readDirectory(dir), ["t.md"], "no temp file left behind")
      }).pipe(Effect.scoped), 300_000)

    it.effect("exit codes: 0 for a file (no server needed), 13 bad shape, 2 missing file or SESSION with --input, 5 unknown session", () =>
      Effect.gen(function* () {
        const { info } = yield* Sandbox
        const fs = yield* FileSystem.FileSystem
        // a server that cannot answer: rendering a file must not try to reach it
        const env = cleanEnvironment({ OPENCODE_BASE_URL: "http://127.0.0.1:9" })

        const file = yield* runBin(transcriptBin, ["--input", fixture("minimal.export.json")], env)
        assert.strictEqual(file.code, 0, file.stderr)
        assert.strictEqual(file.stdout, yield* fs.readFileString(fixture("minimal.golden.md")))

        const badShape = yield* runBin(transcriptBin, ["--input", fixture("invalid.export.json"), "--json"], env)
        assert.strictEqual(badShape.code, 13, badShape.stderr)
        assert.strictEqual((JSON.parse(badShape.stdout) as { error: { tag: string } }).error.tag, "TranscriptDecodeError")
        assert.lengthOf(badShape.stderr.trim().split("\n"), 1)

        const missing = yield* runBin(transcriptBin, ["--input", fixture("no-such.export.json")], env)
        assert.strictEqual(missing.code, 2, missing.stderr)
        assert.include(missing.stderr, "no such file")

        const both = yield* runBin(transcriptBin, ["ses_something", "--input", fixture("minimal.export.json")], env)
        assert.strictEqual(both.code, 2, both.stderr)
        assert.strictEqual(both.stdout, "")

        const unknown = yield* runBin(transcriptBin, ["ses_doesnotexist0000000000000", "--url", info.url], cleanEnvironment())
        assert.strictEqual(unknown.code, 5, unknown.stderr)
        assert.include(unknown.stderr, "session not found")
      }))
  })
})
