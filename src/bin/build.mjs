// Bundles each bin into a single ESM file (issue #2): one file to parse is what makes `ocm --version` start fast.
// Beside them, the library's bundle and its emitted declarations (dist/types, issue #8), which are what a consumer's
// compiler reads, under the consumer's own flags.
import { build } from "esbuild"
import { spawn } from "node:child_process"
import { chmodSync, existsSync, readdirSync, readFileSync, rmSync } from "node:fs"
import { createRequire } from "node:module"
import { join, relative } from "node:path"
import { fileURLToPath } from "node:url"

// paths are the package root's, whatever the caller's directory (npm's `prepare` runs there already)
const root = fileURLToPath(new URL("../../", import.meta.url))
process.chdir(root)
const manifest = JSON.parse(readFileSync("package.json", "utf8"))
// the versions the code names: ocm's own, and the opencode-ai it installs (said when no opencode binary is found)
const define = {
  __OCM_VERSION__: JSON.stringify(manifest.version),
  __OCM_OPENCODE_VERSION__: JSON.stringify(manifest.optionalDependencies["opencode-ai"])
}
const entries = { ocm: "src/bin/ocm.ts", "opencode-transcript": "src/bin/opencode-transcript.ts" }

// the declarations: tsc in its own process, alongside esbuild; incremental, so a rebuild takes seconds
const typesDir = "dist/types"
const buildInfo = "dist/types.tsbuildinfo"
if (!existsSync(`${typesDir}/src/index.d.ts`)) rmSync(buildInfo, { force: true })
const declarations = new Promise((resolve) => {
  const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc")
  const child = spawn(process.execPath, [tsc, "-p", "src/bin/tsconfig.types.json"], { cwd: root, stdio: "inherit" })
  child.on("exit", (code, signal) => resolve(code ?? (signal === null ? 1 : 128)))
})

await Promise.all(
  Object.entries(entries).map(([name, entry]) =>
    build({
      absWorkingDir: root,
      entryPoints: [entry],
      outfile: `dist/${name}.mjs`,
      bundle: true,
      platform: "node",
      format: "esm",
      target: "node20",
      minify: true,
      legalComments: "none",
      define,
      // jsonc-parser's main build is UMD, whose inner require() calls a bundle cannot follow; bundle its ESM build
      alias: { "jsonc-parser": "jsonc-parser/lib/esm/main.js" },
      // bundled CommonJS dependencies call require(); give them one
      banner: { js: `#!/usr/bin/env node\nimport { createRequire as __ocmCreateRequire } from "node:module";const require = __ocmCreateRequire(import.meta.url);` },
      logLevel: "warning"
    })
  )
)

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

for (const name of Object.keys(entries)) chmodSync(`dist/${name}.mjs`, 0o755)

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
