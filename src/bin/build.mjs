// Bundles each bin into a single ESM file (issue #2): one file to parse is what makes `ocm --version` start fast.
import { build } from "esbuild"
import { chmodSync, readFileSync } from "node:fs"
import { fileURLToPath } from "node:url"

// paths are the package root's, whatever the caller's directory (npm's `prepare` runs there already)
const root = fileURLToPath(new URL("../../", import.meta.url))
process.chdir(root)
const { version } = JSON.parse(readFileSync("package.json", "utf8"))
const entries = { ocm: "src/bin/ocm.ts", "opencode-transcript": "src/bin/opencode-transcript.ts" }

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
      define: { __OCM_VERSION__: JSON.stringify(version) },
      // jsonc-parser's main build is UMD, whose inner require() calls a bundle cannot follow; bundle its ESM build
      alias: { "jsonc-parser": "jsonc-parser/lib/esm/main.js" },
      // bundled CommonJS dependencies call require(); give them one
      banner: { js: `#!/usr/bin/env node\nimport { createRequire as __ocmCreateRequire } from "node:module";const require = __ocmCreateRequire(import.meta.url);` },
      logLevel: "warning"
    })
  )
)

// the library: one ESM file, dependencies left to the consumer's node_modules
await build({
  absWorkingDir: root,
  entryPoints: ["src/index.ts"],
  outfile: "dist/index.js",
  bundle: true,
  packages: "external",
  platform: "node",
  format: "esm",
  target: "node20",
  define: { __OCM_VERSION__: JSON.stringify(version) },
  logLevel: "warning"
})

for (const name of Object.keys(entries)) chmodSync(`dist/${name}.mjs`, 0o755)
