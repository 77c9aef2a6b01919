import * as ProcessHostLive from "../layers/ProcessHostLive.js"
/**
 * Transcript rendering on fixtures: golden files, decoding, writing, determinism.
 *
 * The golden files (`fixtures/transcripts/*.golden.md|json`) are the reviewed renderings of the export fixtures.
 * After an intended change to the renderer, regenerate them and review the diff:
 *
 *   UPDATE_GOLDEN=1 npx vitest run --config tests/vitest.config.ts tests/transcript.test.ts
 */
import * as FileSystem from "@effect/platform/FileSystem"
import * as NodeContext from "@effect/platform-node/NodeContext"
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as TestClock from "effect/TestClock"
import { fileURLToPath } from "node:url"
import * as TranscriptStoreLive from "../layers/TranscriptStoreLive.js"
import type { MessageWithParts, Session } from "../src/domain/Domain.js"
import { decodeExport, type Transcript } from "../src/transcript/Decode.js"
import { renderMarkdown } from "../src/transcript/Markdown.js"
import { groupTurns, toDocument } from "../src/transcript/View.js"
import { render } from "../src/present/Presenter.js"
import { transcriptView } from "../src/present/transcript.js"
import { TranscriptStore } from "../services/TranscriptStore.js"

const fixtures = fileURLToPath(new URL("../fixtures/transcripts/", import.meta.url))
const updateGolden = process.env.UPDATE_GOLDEN === "1"

/** Only `cwd` matters to the store; the rest of ProcessHost is never called here. */
const hostAt = ProcessHostLive.layerAt


const storeAt = (cwd: string) =>
  TranscriptStoreLive.layerWithoutServer.pipe(Layer.provide(hostAt(cwd)), Layer.provideMerge(NodeContext.layer))

const withStore = <A, E>(effect: Effect.Effect<A, E, TranscriptStore | FileSystem.FileSystem>, cwd = fixtures) =>
  Effect.provide(effect, storeAt(cwd))

/** What stdout shows for a transcript: the presenter's Markdown and `--json` renderings of the store's document. */
const renderings = (transcript: Transcript, options?: { readonly stamp?: boolean }) =>
  Effect.flatMap(TranscriptStore, (store) =>
    Effect.map(store.document(transcript, options), (document) => ({
      markdown: render(transcriptView, { json: false }, { document, written: {} })!,
      json: render(transcriptView, { json: true }, { document, written: {} })!
    }))
  )

const loadFixture = (name: string) =>
  Effect.flatMap(TranscriptStore, (store) => store.load({ _tag: "File", path: `${fixtures}${name}` }))

/** The golden file holds what `--output` would write: the rendering and a final newline. */
const compareToGolden = (rendered: string, golden: string) =>
  Effect.gen(function* () {
    const fs = yield* FileSystem.FileSystem
    const path = `${fixtures}${golden}`
    if (updateGolden) return yield* fs.writeFileString(path, `${rendered}\n`)
    const expected = yield* fs.readFileString(path)
    assert.strictEqual(`${rendered}\n`, expected, `${golden} differs; if the change is intended, regenerate with UPDATE_GOLDEN=1`)
  })

describe("transcript rendering", () => {
  for (const fixture of ["multiturn", "minimal", "parts"]) {
    it.effect(`renders ${fixture}.export.json as its golden Markdown and JSON`, () =>
      withStore(
        Effect.gen(function* () {
          const rendered = yield* renderings(yield* loadFixture(`${fixture}.export.json`))
          yield* compareToGolden(rendered.markdown, `${fixture}.golden.md`)
          yield* compareToGolden(rendered.json, `${fixture}.golden.json`)
        })
      ))
  }

  it.effect("renders the real `opencode export` output exactly like {info, messages} from the HTTP API", () =>
    withStore(
      Effect.gen(function* () {
        const fromApi = yield* renderings(yield* loadFixture("multiturn.export.json"))
        const fromCli = yield* renderings(yield* loadFixture("multiturn.opencode-export.json"))
        assert.deepStrictEqual(fromCli, fromApi)
      })
    ))

  it.effect("groups the recorded session into turns: reasoning, tool steps with an error, a patch, a carried queued system prompt", () =>
    withStore(
      Effect.gen(function* () {
        const document = toDocument(yield* loadFixture("multiturn.export.json"))
        assert.deepStrictEqual(
          document.turns.map((turn) => turn.kind),
          ["prompt", "prompt", "system-only", "prompt"]
        )
        const [greeting, tools, queued, carrier] = document.turns
        assert.strictEqual(greeting?.reply, "HELLO")
        assert.deepInclude(greeting?.assistants[0]?.parts ?? [], { type: "reasoning", text: "The user wants a one-word greeting." })

        assert.strictEqual(tools?.assistants.length, 4, "three tool steps and the final reply, all parented to one prompt")
        const toolParts = tools?.assistants.flatMap((assistant) => assistant.parts.filter((part) => part.type === "tool")) ?? []
        assert.deepStrictEqual(
          toolParts.map((part) => [part.tool, part.status]),
          [
            ["bash", "completed"],
            ["write", "completed"],
            ["read", "error"]
          ]
        )
        assert.strictEqual(toolParts[0]?.output, "hi\n")
        assert.strictEqual(toolParts[2]?.error, "File not found: /sandbox/project/missing.txt")
        const patch = tools?.assistants.flatMap((assistant) => assistant.parts).find((part) => part.type === "patch")
        assert.deepStrictEqual(patch?.type === "patch" ? patch.files : [], ["/sandbox/project/notes.txt"])
        assert.strictEqual(tools?.reply, "DONE")
        assert.isTrue(tools?.assistants.every((assistant) => assistant.durationSeconds !== undefined && assistant.durationSeconds > 0))

        assert.strictEqual(queued?.user?.prompt, "")
        assert.strictEqual(queued?.user?.system, "Stay terse: answer in one word.")
        assert.deepStrictEqual(queued?.queued, { carriedIntoTurn: 4 })
        assert.lengthOf(queued?.assistants ?? [], 0)
        assert.strictEqual(carrier?.user?.system, "Stay terse: answer in one word.")
        assert.strictEqual(carrier?.reply, "SECOND")
      })
    ))

  it.effect("shows a tool step's error, an assistant error, an unfinished duration and synthetic parts", () =>
    withStore(
      Effect.gen(function* () {
        const transcript = yield* loadFixture("minimal.export.json")
        const markdown = renderMarkdown(transcript)
        assert.include(markdown, "**Tool `bash`** · **error**")
        assert.include(markdown, "Command exited with code 1")
        assert.include(markdown, "**error: APIError: scripted failure: HTTP 500**")
        assert.include(markdown, "duration: not completed")
        assert.include(markdown, "*(synthetic: added by OpenCode, not typed by the user)*\n\n> The user attached no files.")
        const [, failing] = toDocument(transcript).turns
        assert.strictEqual(failing?.user?.prompt, "Run false, then report.", "synthetic text is not part of the prompt")
        assert.deepStrictEqual(failing?.assistants[1]?.error, { name: "APIError", message: "scripted failure: HTTP 500" })
        assert.isUndefined(failing?.assistants[1]?.durationSeconds)
      })
    ))

  it.effect("fails with TranscriptDecodeError naming where the shape is wrong, and for text that is not JSON", () =>
    withStore(
      Effect.gen(function* () {
        const wrongShape = yield* Effect.flip(loadFixture("invalid.export.json"))
        assert.strictEqual(wrongShape._tag, "TranscriptDecodeError")
        assert.include(wrongShape.message, "invalid.export.json")
        assert.include(wrongShape.message, "messages[0].info.role")

        const notJson = decodeExport("{ not json", "broken.json")
        assert.isTrue(Either.isLeft(notJson) && notJson.left._tag === "TranscriptDecodeError")
        if (Either.isLeft(notJson)) assert.include(notJson.left.message, "not JSON")
        const bareArray = decodeExport("[]", "array.json")
        assert.isTrue(Either.isLeft(bareArray) && bareArray.left._tag === "TranscriptDecodeError")
      })
    ))

  it.effect("a missing file is InvalidInput, and a live session needs a server connection", () =>
    withStore(
      Effect.gen(function* () {
        const store = yield* TranscriptStore
        const missing = yield* Effect.flip(store.load({ _tag: "File", path: `${fixtures}no-such.export.json` }))
        assert.strictEqual(missing._tag, "InvalidInput")
        assert.include(missing.message, "no such file")
        const live = yield* Effect.flip(store.load({ _tag: "Session", reference: "ses_anything" }))
        assert.strictEqual(live._tag, "InvalidInput")
      })
    ))

  it.effect("is deterministic: the same rendering twice, and a timestamp only when stamped", () =>
    withStore(
      Effect.gen(function* () {
        const transcript = yield* loadFixture("multiturn.export.json")
        yield* TestClock.setTime(Date.UTC(2030, 0, 2, 3, 4, 5))
        const { markdown, json } = yield* renderings(transcript)
        yield* TestClock.adjust("1 hour")
        assert.deepStrictEqual(yield* renderings(transcript), { markdown, json })
        assert.notInclude(markdown, "generated")
        assert.notProperty(JSON.parse(json), "generatedAt")
        assert.notInclude(markdown + json, "2030-")

        const stamped = yield* renderings(transcript, { stamp: true })
        const stampedMarkdown = stamped.markdown
        const stampedJson = JSON.parse(stamped.json) as { generatedAt: string }
        assert.include(stampedMarkdown, "- generated: 2030-01-02T04:04:05.000Z")
        assert.strictEqual(stampedJson.generatedAt, "2030-01-02T04:04:05.000Z")
      })
    ))

  it.effect("groups assistant messages whose user message is missing into an orphan turn, and fences text that holds fences", () =>
    Effect.sync(() => {
      const session: Session = { id: "ses_x", directory: "/w", title: "orphans", time: { created: 0, updated: 0 } }
      const base = { sessionID: "ses_x", providerID: "p", modelID: "m", role: "assistant" as const }
      const messages: ReadonlyArray<MessageWithParts> = [
        { info: { ...base, id: "msg_2", parentID: "msg_gone", time: { created: 10, completed: 20 } }, parts: [] },
        {
          info: { ...base, id: "msg_3", parentID: "msg_gone", time: { created: 30 } },
          parts: [
            {
              id: "prt_1",
              sessionID: "ses_x",
              messageID: "msg_3",
              type: "tool",
              tool: "bash",
              callID: "call_1",
              state: { status: "completed", input: {}, output: "```\ninner\n```" }
            }
          ]
        }
      ]
      const transcript: Transcript = { session, messages }
      const turns = groupTurns(messages)
      assert.strictEqual(turns.length, 1)
      assert.strictEqual(turns[0]?.kind, "orphan")
      assert.strictEqual(turns[0]?.assistants.length, 2)
      const markdown = renderMarkdown(transcript)
      assert.include(markdown, "`msg_gone`, which is not in the transcript")
      assert.include(markdown, "````text\n```\ninner\n```\n````")
    }))
})

describe("writing a transcript", () => {
  it.effect("--output writes atomically and answers the absolute path; --tee-temp writes a temp copy", () =>
    Effect.gen(function* () {
      const fs = yield* FileSystem.FileSystem
      const dir = yield* fs.makeTempDirectoryScoped({ prefix: "ocm-transcript-test-" })
      yield* fs.makeDirectory(`${dir}/out`)
      yield* fs.writeFileString(`${dir}/out/t.md`, "an older transcript that is replaced whole\n")
      const written = yield* Effect.provide(
        Effect.flatMap(TranscriptStore, (store) => store.write("# rendered", { output: "out/t.md", teeTemp: true, suffix: ".md" })),
        storeAt(dir)
      )
      assert.strictEqual(written.output, `${dir}/out/t.md`, "relative to the current directory, answered absolute")
      assert.strictEqual(yield* fs.readFileString(`${dir}/out/t.md`), "# rendered\n")
      assert.deepStrictEqual(yield* fs.readDirectory(`${dir}/out`), ["t.md"], "no temp file left beside it")

      const tee = written.teeTemp ?? ""
      assert.isTrue(tee.startsWith("/") && tee.endsWith(".md"), tee)
      assert.strictEqual(yield* fs.readFileString(tee), "# rendered\n")
      yield* fs.remove(tee.slice(0, tee.lastIndexOf("/")), { recursive: true })
    }).pipe(Effect.scoped, Effect.provide(NodeContext.layer)))

  it.effect("a path that cannot be written is InvalidInput and leaves nothing behind", () =>
    Effect.gen(function* () {
      const fs = yield* FileSystem.FileSystem
      const dir = yield* fs.makeTempDirectoryScoped({ prefix: "ocm-transcript-test-" })
      yield* fs.makeDirectory(`${dir}/taken`)
      const store = (output: string) =>
        Effect.provide(
          Effect.flatMap(TranscriptStore, (store) => store.write("text", { output, teeTemp: false })),
          storeAt(dir)
        )
      const noDirectory = yield* Effect.flip(store("missing/t.md"))
      assert.strictEqual(noDirectory._tag, "InvalidInput")
      assert.include(noDirectory.message, `${dir}/missing/t.md`)
      const ontoDirectory = yield* Effect.flip(store("taken"))
      assert.strictEqual(ontoDirectory._tag, "InvalidInput")
      assert.deepStrictEqual(yield* fs.readDirectory(dir), ["taken"], "the temp file was removed")
      assert.deepStrictEqual(yield* fs.readDirectory(`${dir}/taken`), [])
    }).pipe(Effect.scoped, Effect.provide(NodeContext.layer)))
})
