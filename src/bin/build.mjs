// Bundles each bin into a single ESM file (issue #2): one file to parse is what makes `ocm --version` start fast.
// Beside them, the library's bundle and its emitted declarations (dist/types, issue #8), which are what a consumer's
// compiler reads, under the consumer's own flags.
import { build } from "esbuild"
import { spawn } from "node:child_process"
import { chmodSync, existsSync, readdirSync, rmSync } from "node:fs"
import { createRequire } from "node:module"
import { join, relative } from "node:path"
import { fileURLToPath } from "node:url"
import { binBuildOptions, binEntries, versionDefines } from "./bundle-options.mjs"

// paths are the package root's, whatever the caller's directory (npm's `prepare` runs there already)
const root = fileURLToPath(new URL("../../", import.meta.url))
process.chdir(root)
const define = versionDefines(root)

// the declarations: tsc in its own process, alongside esbuild; incremental, so a rebuild takes seconds
const typesDir = "dist/types"
const buildInfo = "dist/types.tsbuildinfo"
if (!existsSync(`${typesDir}/src/index.d.ts`)) rmSync(buildInfo, { force: true })
const declarations = new Promise((resolve) => {
  const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc")
  const child = spawn(process.execPath, [tsc, "-p", "src/bin/tsconfig.types.json"], { cwd: root, stdio: "inherit" })
  child.on("exit", (code, signal) => resolve(code ?? (signal === null ? 1 : 128)))
})

await Promise.all(Object.keys(binEntries).map((name) => build(binBuildOptions(root, name, `dist/${name}.mjs`))))

// a chunk's name is its content's hash: the ones of an earlier build must not ship on
rmSync("dist/chunks", { recursive: true, force: true })
// the library and its testing entry (`opencode-manager/testing`): ESM, the code both use in a shared chunk (one copy
// of each module, so both see the same tags and classes), dependencies left to the consumer's node_modules
await build({
  absWorkingDir: root,
  entryPoints: { index: "src/index.ts", testing: "src/testing.ts" },
  outdir: "dist",
  splitting: true,
  chunkNames: "chunks/[name]-[hash]",
  bundle: true,
  packages: "external",
  platform: "node",
  format: "esm",
  target: "node20",
  define,
  logLevel: "warning"
})

for (const name of Object.keys(binEntries)) chmodSync(`dist/${name}.mjs`, 0o755)

const typesExit = await declarations
// a declaration whose source was moved or removed would otherwise ship on: keep only those with a source
const prune = (dir) => {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const file = join(dir, entry.name)
    if (entry.isDirectory()) prune(file)
    else if (!existsSync(relative(typesDir, file).replace(/\.d\.ts$/, ".ts"))) rmSync(file)
  }
}
if (existsSync(typesDir)) prune(typesDir)
if (typesExit !== 0) {
  console.error(`build: tsc -p src/bin/tsconfig.types.json exited ${typesExit}; the bins are built, the declarations are not complete`)
  process.exit(1)
}
