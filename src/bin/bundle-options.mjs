// How each bin is bundled: one ESM file (issue #2). Shared by src/bin/build.mjs, which writes the bins, and
// bench/startup.mjs, which profiles a bundle built exactly the same way.
import { readFileSync } from "node:fs"
import { createRequire } from "node:module"
import { dirname, join } from "node:path"

export const binEntries = { ocm: "src/bin/ocm.ts", "opencode-transcript": "src/bin/opencode-transcript.ts" }

/** The versions the code names: ocm's own, and the opencode-ai it installs (said when no opencode binary is found). */
export const versionDefines = (root) => {
  const manifest = JSON.parse(readFileSync(join(root, "package.json"), "utf8"))
  return {
    __OCM_VERSION__: JSON.stringify(manifest.version),
    __OCM_OPENCODE_VERSION__: JSON.stringify(manifest.optionalDependencies["opencode-ai"])
  }
}

/**
 * Marks a package's modules free of side effects, as its package.json could (`"sideEffects": false`), so that the
 * bundle leaves out those whose exports it does not use. jsonc-parser's formatter, which ocm does not use, builds
 * 1,200 strings of indentation when its module loads, at every start of the CLI.
 */
const sideEffectFree = (name) => ({
  name: `side-effect-free:${name}`,
  setup(bundler) {
    const inPackage = (path, importer) =>
      path === name || path.startsWith(`${name}/`) || (path.startsWith(".") && importer.includes(`/node_modules/${name}/`))
    bundler.onResolve({ filter: /.*/ }, async ({ path, importer, kind, resolveDir, pluginData }) => {
      if (pluginData === name || !inPackage(path, importer)) return undefined
      const resolved = await bundler.resolve(path, { importer, kind, resolveDir, pluginData: name })
      return resolved.errors.length > 0 ? undefined : { ...resolved, sideEffects: false }
    })
  }
})

/** esbuild's options for the bin `name`, written to `outfile`. */
export const binBuildOptions = (root, name, outfile) => ({
  absWorkingDir: root,
  entryPoints: [binEntries[name]],
  outfile,
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  minify: true,
  legalComments: "none",
  define: versionDefines(root),
  alias: {
    // jsonc-parser's main build is UMD, whose inner require() calls a bundle cannot follow; bundle its ESM build
    "jsonc-parser": "jsonc-parser/lib/esm/main.js",
    // yaml's build for Node is CommonJS: bundled whole (116 KB) and evaluated at every start. Its ESM build (the
    // same code; warnings go to console.warn instead of process.emitWarning) is tree-shaken and cheaper to load.
    // Its package exports it only to non-Node conditions, hence the path.
    yaml: join(dirname(createRequire(join(root, "package.json")).resolve("yaml/package.json")), "browser/index.js")
  },
  // bundled CommonJS dependencies call require(); give them one
  plugins: [sideEffectFree("jsonc-parser")],
  banner: { js: `#!/usr/bin/env node\nimport { createRequire as __ocmCreateRequire } from "node:module";const require = __ocmCreateRequire(import.meta.url);` },
  logLevel: "warning"
})
