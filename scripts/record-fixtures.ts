/**
 * Records the transcript fixtures from a real sandbox (a real `opencode serve` with the scripted model):
 * a multi-turn session with reasoning, tool calls (one that fails), a file patch and a queued system prompt
 * carried into the next turn.
 *
 *   npx esbuild --bundle --platform=node --format=esm \
 *     --banner:js='import { createRequire as cr } from "node:module";const require = cr(import.meta.url);' \
 *     scripts/record-fixtures.ts --outfile=.tmp/record.mjs && node .tmp/record.mjs
 *
 * Writes `fixtures/transcripts/multiturn.export.json` ({info, messages}: GET session + GET messages, exactly as
 * the server answered) and `multiturn.opencode-export.json` (what `opencode export` printed for the same session).
 * The sandbox's temp dir is replaced by `/sandbox` so fixtures hold no machine paths. Regenerate the golden files
 * afterwards: `UPDATE_GOLDEN=1 npx vitest run tests/transcript.test.ts`.
 */
import * as Command from "@effect/platform/Command"
import * as FileSystem from "@effect/platform/FileSystem"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as Effect from "effect/Effect"
import { SandboxClientLayer } from "../layers/TestLayers.js"
import { OpenCodeClient } from "../services/OpenCodeClient.js"
import { Sandbox } from "../services/Sandbox.js"

const fixturesDir = "fixtures/transcripts"
const placeholderRoot = "/sandbox"

const text = (prompt: string) => [{ type: "text" as const, text: prompt }]

const getJson = (url: string) =>
  Effect.flatMap(HttpClient.HttpClient, (http) =>
    http.execute(HttpClientRequest.get(url, { acceptJson: true })).pipe(
      Effect.flatMap((response) => response.json),
      Effect.scoped
    )
  )

/** The temp root appears in directories, tool inputs and outputs; JSON text is where it is replaced everywhere. */
const withoutMachinePaths = (json: string, root: string) => json.split(root).join(placeholderRoot)

const program = Effect.gen(function* () {
  const client = yield* OpenCodeClient
  const sandbox = yield* Sandbox
  const fs = yield* FileSystem.FileSystem
  const { info } = sandbox
  const session = yield* client.createSession({ directory: info.projectDir, title: "transcript fixture: multi-turn" })

  // 1: a plain reply with reasoning (the proof agent has every tool denied)
  yield* client.prompt(session.id, {
    parts: text("Say hello. [[reason The user wants a one-word greeting.]] Reply with ONLY HELLO."),
    agent: "proof"
  })
  // 2: the build agent runs tools: a shell command, a file write (a patch) and a read that fails
  const tools = [
    `[[tool bash {"command": "echo hi", "description": "say hi"}]]`,
    `[[tool write {"filePath": "${info.projectDir}/notes.txt", "content": "first note\\n"}]]`,
    `[[tool read {"filePath": "${info.projectDir}/missing.txt"}]]`
  ].join(" ")
  yield* client.prompt(session.id, { parts: text(`${tools} Reply with ONLY DONE.`) })
  // 3: a queued, agent-only system prompt: recorded, no turn runs
  const queued = "Stay terse: answer in one word."
  yield* client.prompt(session.id, { parts: [], system: queued, noReply: true, agent: "proof" })
  // 4: the next real turn carries the queued system prompt, as the client must (the server does not)
  yield* client.prompt(session.id, { parts: text("Reply with ONLY SECOND."), system: queued, agent: "proof" })

  const sessionInfo = yield* getJson(`${info.url}/session/${session.id}`)
  const messages = yield* getJson(`${info.url}/session/${session.id}/message`)
  yield* fs.makeDirectory(fixturesDir, { recursive: true })
  const exported = JSON.stringify({ info: sessionInfo, messages }, null, 2)
  yield* fs.writeFileString(`${fixturesDir}/multiturn.export.json`, `${withoutMachinePaths(exported, info.root)}\n`)

  // `opencode export` reads the same storage as the server: same isolated HOME/XDG dirs, same project dir
  const home = info.home
  const exportRun = Command.make(
    "env",
    "-i",
    `PATH=${process.env.PATH ?? "/usr/bin:/bin"}`,
    `HOME=${home}`,
    `XDG_CONFIG_HOME=${home}/.config`,
    `XDG_DATA_HOME=${home}/.local/share`,
    `XDG_CACHE_HOME=${home}/.cache`,
    `XDG_STATE_HOME=${home}/.local/state`,
    `TMPDIR=${info.root}/tmp`,
    "OPENCODE_DISABLE_MODELS_FETCH=1",
    "OPENCODE_DISABLE_AUTOUPDATE=1",
    info.opencodeBin,
    "export",
    session.id
  ).pipe(Command.workingDirectory(info.projectDir))
  const cliExport = yield* Command.string(exportRun)
  yield* fs.writeFileString(`${fixturesDir}/multiturn.opencode-export.json`, withoutMachinePaths(cliExport, info.root))

  yield* Effect.log(`recorded ${session.id} (${(messages as ReadonlyArray<unknown>).length} messages) into ${fixturesDir}`)
})

program.pipe(Effect.provide(SandboxClientLayer()), Effect.scoped, NodeRuntime.runMain)
