// Cold start of `ocm --version` (the bundled bin), measured in the same run against two baselines: bare
// `node -e ""`, and a plain Node CLI of the same size (generated: as many bytes of ordinary functions as
// `ocm --version` loads, printing a version), which separates parsing from Effect's own start-up work.
// Prints medians, differences and ratios. Usage: npm run bench:startup [-- RUNS]
import { spawnSync } from "node:child_process"
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { dirname, join, resolve } from "node:path"
import { fileURLToPath } from "node:url"

const runs = Number(process.argv[2] ?? 30)
const ocm = fileURLToPath(new URL("../dist/ocm.mjs", import.meta.url))

/** The bytes `ocm` parses at start: its entry and the chunks it imports statically (not the lazy ones). */
const loadedBytes = (file, seen = new Set()) => {
  if (seen.has(file)) return 0
  seen.add(file)
  const text = readFileSync(file, "utf8")
  const imports = [...text.matchAll(/(?:from|import)\s*"(\.[^"]+)"/g)].map((match) => resolve(dirname(file), match[1]))
  return statSync(file).size + imports.reduce((sum, next) => sum + loadedBytes(next, seen), 0)
}

const plainCli = (bytes) => {
  const lines = ["#!/usr/bin/env node"]
  let size = 0
  for (let i = 0; size < bytes; i++) {
    const line = `export function f${i}(a,b){const c=a*${i}+b;if(c>${i})return[a,b,c].map(x=>x+${i}).join(",");return{a,b,c,k:"k${i}"}}`
    lines.push(line)
    size += line.length + 1
  }
  lines.push(`if(process.argv[2]==="--version")console.log("0.0.0")`)
  return lines.join("\n")
}

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

const bytes = loadedBytes(ocm)
const dir = mkdtempSync(join(tmpdir(), "ocm-bench-"))
const plain = join(dir, "plain-cli.mjs")
writeFileSync(plain, plainCli(bytes))

const commands = { bare: ["-e", ""], plain: [plain, "--version"], ocm: [ocm, "--version"] }
const samples = { bare: [], plain: [], ocm: [] }
try {
  // interleaved so machine noise hits all alike; one warm-up each
  for (const args of Object.values(commands)) time(args)
  for (let i = 0; i < runs; i++) for (const [name, args] of Object.entries(commands)) samples[name].push(time(args))
} finally {
  rmSync(dir, { recursive: true, force: true })
}
const bare = median(samples.bare)
const same = median(samples.plain)
const cli = median(samples.ocm)
console.log(`runs: ${runs}; ocm --version loads ${(bytes / 1024).toFixed(0)} KB of JavaScript`)
console.log(`node -e ""                 median ${bare.toFixed(1)} ms`)
console.log(`plain CLI, same size       median ${same.toFixed(1)} ms`)
console.log(`ocm --version              median ${cli.toFixed(1)} ms`)
console.log(`over bare node             ${(cli - bare).toFixed(1)} ms, ${(cli / bare).toFixed(2)}x (target: within 150 ms)`)
console.log(`over the plain CLI         ${(cli - same).toFixed(1)} ms, ${(cli / same).toFixed(2)}x (SPEC §8 budget: 1.0x)`)
