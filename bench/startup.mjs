// Cold start of `ocm --version` (the bundled bin) against bare `node -e ""` measured in the same run.
// Prints medians, the difference and the ratio. Usage: npm run bench:startup [-- RUNS]
import { spawnSync } from "node:child_process"
import { fileURLToPath } from "node:url"

const runs = Number(process.argv[2] ?? 30)
const ocm = fileURLToPath(new URL("../dist/ocm.mjs", import.meta.url))

const time = (args) => {
  const start = process.hrtime.bigint()
  const result = spawnSync(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"] })
  if (result.status !== 0) throw new Error(`node ${args.join(" ")} exited ${result.status}: ${result.stderr}`)
  return Number(process.hrtime.bigint() - start) / 1e6
}
const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}

// interleave the two so machine noise hits both alike; one warm-up each
time(["-e", ""])
time([ocm, "--version"])
const baseline = []
const cli = []
for (let i = 0; i < runs; i++) {
  baseline.push(time(["-e", ""]))
  cli.push(time([ocm, "--version"]))
}
const b = median(baseline)
const c = median(cli)
console.log(`runs: ${runs}`)
console.log(`node -e ""          median ${b.toFixed(1)} ms`)
console.log(`ocm --version       median ${c.toFixed(1)} ms`)
console.log(`difference          ${(c - b).toFixed(1)} ms (target: within 150 ms)`)
console.log(`ratio               ${(c / b).toFixed(2)}x`)
