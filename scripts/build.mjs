// Bundles the two bins into single ESM files: one file to parse is what makes `ocm --version` start fast.
import { build } from "esbuild"
import { readFileSync } from "node:fs"

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
