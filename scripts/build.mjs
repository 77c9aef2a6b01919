// Bundles the two bins into single ESM files: one file to parse is what makes `ocm --version` start fast.
import { build } from "esbuild"
import { chmodSync, readFileSync } from "node:fs"

const { version } = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"))
const entries = { ocm: "src/bin/ocm.ts", "opencode-transcript": "src/bin/opencode-transcript.ts" }

await Promise.all(
  Object.entries(entries).map(([name, entry]) =>
    build({
      entryPoints: [entry],
      outfile: `dist/${name}.mjs`,
      bundle: true,
      platform: "node",
      format: "esm",
      target: "node20",
      minify: true,
      legalComments: "none",
      define: { __OCM_VERSION__: JSON.stringify(version) },
      // bundled CommonJS dependencies call require(); give them one
      banner: { js: `#!/usr/bin/env node\nimport { createRequire as __ocmCreateRequire } from "node:module";const require = __ocmCreateRequire(import.meta.url);` },
      logLevel: "warning"
    })
  )
)

// the library: one ESM file, dependencies left to the consumer's node_modules
await build({
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
