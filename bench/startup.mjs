// Cold start of `ocm --version` (the bundled bin), measured in the same run against two baselines: bare
// `node -e ""`, and a plain Node CLI of the same size (generated: as many bytes of ordinary functions as
// `ocm --version` loads, printing a version), which separates parsing from Effect's own start-up work.
// Prints medians of wall-clock and CPU time, differences and ratios; then the start-up profile (issue #10): where
// the CPU time of a start goes, by phase and by the package whose modules are evaluated.
//
// Usage: npm run bench:startup [-- RUNS] [--against OTHER.mjs] [--instructions]
//   --against OTHER.mjs  also times `node OTHER.mjs --version` in the same interleaved runs (another build of ocm,
//                        e.g. an older commit's dist/ocm.mjs) and prints the two side by side
//   --instructions       also counts the instructions each start executes (valgrind's callgrind, node
//                        --predictable): one run each, unmoved by what else the machine does
import { build } from "esbuild"
import { spawnSync } from "node:child_process"
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { dirname, join, resolve } from "node:path"
import { fileURLToPath } from "node:url"
import { binBuildOptions } from "../src/bin/bundle-options.mjs"

const args = process.argv.slice(2)
const option = (name) => {
  const at = args.indexOf(name)
  return at === -1 ? undefined : args.splice(at, 2)[1]
}
const flag = (name) => {
  const at = args.indexOf(name)
  return at !== -1 && args.splice(at, 1).length > 0
}
const against = option("--against")
const instructions = flag("--instructions")
const runs = Number(args[0] ?? 30)
const root = fileURLToPath(new URL("../", import.meta.url))
const ocm = join(root, "dist/ocm.mjs")

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

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}

const dir = mkdtempSync(join(tmpdir(), "ocm-bench-"))
// Every command runs with this preload, which reports the process's CPU time (user + system, all its threads) as
// it exits; Node gives a parent no child's resource usage.
const cpuReport = join(dir, "cpu-report.cjs")
writeFileSync(
  cpuReport,
  `process.on("exit",()=>{const u=process.cpuUsage();process.stderr.write("\\n__ocm_bench_cpu "+(u.user+u.system)/1000+"\\n")})`
)

/** Wall-clock and CPU milliseconds of one run of `node ARGS`; `result` has what the process wrote on stderr. */
const time = (commandArgs, env = process.env) => {
  const start = process.hrtime.bigint()
  const result = spawnSync(process.execPath, ["--require", cpuReport, ...commandArgs], {
    stdio: ["ignore", "pipe", "pipe"],
    encoding: "utf8",
    env
  })
  const wall = Number(process.hrtime.bigint() - start) / 1e6
  if (result.status !== 0) throw new Error(`node ${commandArgs.join(" ")} exited ${result.status}: ${result.stderr}`)
  const cpu = Number(/__ocm_bench_cpu (\S+)/.exec(result.stderr)?.[1])
  return { wall, cpu, stderr: result.stderr }
}

// ---------------------------------------------------------------------------------------------------------------
// The profile's bundle: the bin built as src/bin/build.mjs builds it, with a mark at the start of each of its
// modules recording the process's CPU time. A first build finds the modules the bundle keeps, so that a mark never
// keeps a module the real bundle leaves out.

const markedBundle = async (outfile) => {
  const options = binBuildOptions(root, "ocm", outfile)
  const first = await build({ ...options, write: false, metafile: true })
  const kept = new Set(
    Object.entries(Object.values(first.metafile.outputs)[0].inputs)
      .filter(([, input]) => input.bytesInOutput > 0)
      .map(([path]) => resolve(root, path))
  )
  const label = (path) => {
    const inPackage = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(path)
    if (inPackage) return inPackage[1]
    const own = path.slice(root.length).split("/")
    return own[0] === "src" ? own.slice(0, 2).join("/") : own[0]
  }
  const marks = `const __ocmCpu=()=>{const u=process.cpuUsage();return(u.user+u.system)/1000};globalThis.__ocmMarks=[[__ocmCpu(),"(bundle start)"]];globalThis.__ocmMark=(n)=>{const m=globalThis.__ocmMarks,p=m[m.length-1][1];m.push([__ocmCpu(),n]);return p};process.on("exit",()=>{__ocmMark("(exit)");process.stderr.write("\\n__ocm_bench_marks "+JSON.stringify(globalThis.__ocmMarks)+"\\n")});`
  await build({
    ...options,
    banner: { js: `${options.banner.js}${marks}` },
    plugins: [
      ...options.plugins,
      {
        name: "marks",
        setup(bundler) {
          bundler.onLoad({ filter: /\.(ts|js|mjs|cjs)$/ }, (loaded) => {
            if (!kept.has(loaded.path)) return undefined
            const text = readFileSync(loaded.path, "utf8")
            const loader = loaded.path.endsWith(".ts") ? "ts" : "js"
            if (loaded.path === join(root, options.entryPoints[0])) {
              // the entry's statements run after everything it imports has been evaluated: the CLI starting
              return { contents: `__ocmMark("(runCli)");\n${text}\n;__ocmMark("(Effect runtime)");`, loader }
            }
            const name = JSON.stringify(label(loaded.path))
            // a CommonJS module runs when first required, inside another module's evaluation: hand back after it
            const commonJs = !/^\s*(import|export)\s/m.test(text) && /\b(module\.exports|exports\.\w|require\()/.test(text)
            return commonJs
              ? { contents: `var __ocmPrev=__ocmMark(${name});\n${text}\n;__ocmMark(__ocmPrev);`, loader }
              : { contents: `__ocmMark(${name});\n${text}`, loader }
          })
        }
      }
    ]
  })
}

/** CPU milliseconds of one marked start, by phase and by package (modules evaluated at start). */
const profileOf = (stderr) => {
  const marks = JSON.parse(/__ocm_bench_marks (.*)/.exec(stderr)[1])
  const phases = { start: marks[0][0], modules: 0, runCli: 0, runtime: 0 }
  const packages = new Map()
  for (let i = 0; i + 1 < marks.length; i++) {
    const [at, name] = marks[i]
    const spent = marks[i + 1][0] - at
    if (name === "(runCli)") phases.runCli += spent
    else if (name === "(Effect runtime)") phases.runtime += spent
    else {
      phases.modules += spent
      if (name !== "(bundle start)") packages.set(name, (packages.get(name) ?? 0) + spent)
    }
  }
  return { phases, packages }
}

/** Instructions (millions) of one run of `node --predictable ARGS` under callgrind, or undefined without valgrind. */
const instructionsOf = (commandArgs) => {
  const result = spawnSync(
    "valgrind",
    ["--tool=callgrind", "--callgrind-out-file=/dev/null", process.execPath, "--predictable", ...commandArgs],
    { stdio: ["ignore", "ignore", "pipe"], encoding: "utf8" }
  )
  const collected = /Collected : (\d+)/.exec(result.stderr ?? "")
  return collected ? Number(collected[1]) / 1e6 : undefined
}

const bytes = loadedBytes(ocm)
const plain = join(dir, "plain-cli.mjs")
const marked = join(dir, "ocm-marked.mjs")
writeFileSync(plain, plainCli(bytes))
await markedBundle(marked)

const commands = { bare: ["-e", ""], plain: [plain, "--version"], ocm: [ocm, "--version"] }
if (against !== undefined) commands.against = [resolve(against), "--version"]
const samples = Object.fromEntries(Object.keys(commands).map((name) => [name, { wall: [], cpu: [] }]))
const profiles = []
let counted
try {
  // interleaved so machine noise hits all alike; one warm-up each
  for (const commandArgs of Object.values(commands)) time(commandArgs)
  for (let i = 0; i < runs; i++) {
    for (const [name, commandArgs] of Object.entries(commands)) {
      const { wall, cpu } = time(commandArgs)
      samples[name].wall.push(wall)
      samples[name].cpu.push(cpu)
    }
    // the marked bundle is profiled in every third round, between the others
    if (i % 3 === 0) profiles.push(profileOf(time([marked, "--version"]).stderr))
  }
  if (instructions) {
    counted = Object.fromEntries(Object.entries(commands).map(([name, commandArgs]) => [name, instructionsOf(commandArgs)]))
  }
} finally {
  rmSync(dir, { recursive: true, force: true })
}

const wall = (name) => median(samples[name].wall)
const cpu = (name) => median(samples[name].cpu)
const bare = wall("bare")
const same = wall("plain")
const cli = wall("ocm")
console.log(`runs: ${runs}; ocm --version loads ${(bytes / 1024).toFixed(0)} KB of JavaScript`)
console.log(`node -e ""                 median ${bare.toFixed(1)} ms`)
console.log(`plain CLI, same size       median ${same.toFixed(1)} ms`)
console.log(`ocm --version              median ${cli.toFixed(1)} ms`)
console.log(`over bare node             ${(cli - bare).toFixed(1)} ms, ${(cli / bare).toFixed(2)}x (target: within 150 ms)`)
console.log(`over the plain CLI         ${(cli - same).toFixed(1)} ms, ${(cli / same).toFixed(2)}x (SPEC §8 budget: 1.0x)`)
console.log(`CPU time (user + system)   node -e "" ${cpu("bare").toFixed(1)} ms, plain CLI ${cpu("plain").toFixed(1)} ms, ocm --version ${cpu("ocm").toFixed(1)} ms`)
if (against !== undefined) {
  const change = (now, then) => `${now >= then ? "+" : ""}${(((now - then) / then) * 100).toFixed(1)} %`
  console.log(`against ${against}: wall ${wall("against").toFixed(1)} → ${cli.toFixed(1)} ms (${change(cli, wall("against"))}), CPU ${cpu("against").toFixed(1)} → ${cpu("ocm").toFixed(1)} ms (${change(cpu("ocm"), cpu("against"))})`)
}
if (counted !== undefined) {
  const shown = Object.entries(counted).map(([name, count]) => `${name} ${count === undefined ? "(no valgrind)" : `${count.toFixed(0)} M`}`)
  console.log(`instructions (callgrind, node --predictable): ${shown.join(", ")}`)
}

// the profile: medians over the marked runs, CPU time of the process
const phase = (name) => median(profiles.map((profile) => profile.phases[name]))
console.log(`\nstart-up profile (CPU ms, median of ${profiles.length} runs of the same bundle with a mark at each module's start):`)
console.log(`  node's own start, reading and compiling the bundle   ${phase("start").toFixed(1).padStart(6)}`)
console.log(`  evaluating the bundle's modules                       ${phase("modules").toFixed(1).padStart(6)}`)
console.log(`  runCli, up to the Effect runtime's start              ${phase("runCli").toFixed(1).padStart(6)}`)
console.log(`  the Effect runtime: layers, parsing, --version, exit  ${phase("runtime").toFixed(1).padStart(6)}`)
const names = [...new Set(profiles.flatMap((profile) => [...profile.packages.keys()]))]
const byPackage = names
  .map((name) => [name, median(profiles.map((profile) => profile.packages.get(name) ?? 0))])
  .sort((a, b) => b[1] - a[1])
console.log(`  modules evaluated at start, by package or folder (garbage collection falls where it happens):`)
for (const [name, spent] of byPackage.slice(0, 15)) console.log(`    ${spent.toFixed(1).padStart(6)}  ${name}`)
const rest = byPackage.slice(15).reduce((sum, [, spent]) => sum + spent, 0)
console.log(`    ${rest.toFixed(1).padStart(6)}  ${byPackage.length - 15} others`)
