// A witnessed turn through the library (the engine behind `ocm chat`) against a raw blocking
// `POST /session/{id}/message` of the same scripted reply, on the same sandbox in the same run.
// Prints medians, the overhead in ms and the ratio, and how long after the server's `session.idle`
// event the engine had its proved result. Usage: npm run bench:turn [-- RUNS]   (needs `npm run build`)
import * as NodeContext from "@effect/platform-node/NodeContext"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Stream from "effect/Stream"
import { OpenCodeClient, runTurn, Sandbox, SandboxLive } from "../dist/index.js"

const runs = Number(process.argv[2] ?? 20)
const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}
const now = () => performance.now()

const bench = Effect.gen(function* () {
  const client = yield* OpenCodeClient
  const { info } = yield* Sandbox
  const engineSession = yield* client.createSession({ directory: info.projectDir, title: "bench engine" })
  const rawSession = yield* client.createSession({ directory: info.projectDir, title: "bench raw" })
  const prompt = (i) => `Reply with ONLY TURN-${i}.`

  const raw = (i) =>
    Effect.promise(async () => {
      const start = now()
      const response = await fetch(`${info.url}/session/${rawSession.id}/message?directory=${encodeURIComponent(info.projectDir)}`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ parts: [{ type: "text", text: prompt(i) }], agent: "proof" })
      })
      const body = await response.json()
      if (body.info?.role !== "assistant") throw new Error("raw turn did not answer")
      return now() - start
    })

  // a separate subscription notes when the server announced idle for the engine's session
  const subscription = yield* client.subscribe
  let idleAt = 0
  yield* subscription.events.pipe(
    Stream.runForEach((event) =>
      Effect.sync(() => {
        if (event.payload.type === "session.idle" && event.payload.properties.sessionID === engineSession.id) idleAt = now()
      })
    ),
    Effect.forkScoped
  )
  const engine = (i) =>
    Effect.gen(function* () {
      const start = now()
      const result = yield* runTurn({
        sessionID: engineSession.id,
        directory: engineSession.directory,
        text: prompt(i),
        noReply: false,
        flags: { agent: "proof" },
        timeout: Duration.seconds(60),
        abortOnTimeout: false
      })
      const end = now()
      if (result.reply !== `TURN-${i}`) throw new Error(`engine replied ${result.reply}`)
      return { total: end - start, afterIdle: end - idleAt }
    })

  // warm both paths (the first prompt after start-up is slow)
  yield* raw(-1)
  yield* engine(-1)
  const rawTimes = []
  const engineTimes = []
  const noticed = []
  for (let i = 0; i < runs; i++) {
    rawTimes.push(yield* raw(i))
    const measured = yield* engine(i)
    engineTimes.push(measured.total)
    noticed.push(measured.afterIdle)
  }
  const r = median(rawTimes)
  const e = median(engineTimes)
  console.log(`runs: ${runs} (opencode ${info.opencodeVersion}, scripted model)`)
  console.log(`raw POST /message           median ${r.toFixed(1)} ms`)
  console.log(`witnessed turn (library)    median ${e.toFixed(1)} ms`)
  console.log(`overhead                    ${(e - r).toFixed(1)} ms (budget: ≤ 100 ms)`)
  console.log(`ratio                       ${(e / r).toFixed(2)}x`)
  console.log(`proved result after idle    median ${median(noticed).toFixed(1)} ms, max ${Math.max(...noticed).toFixed(1)} ms (budget: ≤ 25 ms)`)
})

await Effect.runPromise(
  bench.pipe(
    Effect.scoped,
    Effect.provide(SandboxLive.withClient()),
    Effect.provide(Layer.merge(NodeContext.layer, NodeHttpClient.layer))
  )
)
