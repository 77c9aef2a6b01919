/**
 * The shape of the code, as README's "Layout" describes it: layers only at the edge, services depending on the
 * domain alone, no import cycles. Read from the import specifiers of src/, services/ and layers/ (a plain scan of
 * `import … from` / `export … from` / `import("…")`).
 */
import { describe, expect, it } from "vitest"
import { readdirSync, readFileSync, statSync } from "node:fs"
import { dirname, join, normalize } from "node:path"
import { repoRoot } from "./support/cli.js"

const roots = ["src", "services", "layers"]

const filesUnder = (dir: string): Array<string> =>
  readdirSync(join(repoRoot, dir)).flatMap((name) => {
    const path = join(dir, name)
    if (statSync(join(repoRoot, path)).isDirectory()) return filesUnder(path)
    return /\.(ts|mts)$/.test(name) && !name.endsWith(".d.ts") ? [path] : []
  })

const specifiers = (source: string): Array<string> =>
  [...source.matchAll(/(?:^|\n)\s*(?:import|export)\s[^;]*?\sfrom\s+["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/g)].map(
    (match) => (match[1] ?? match[2])!
  )

/** Every module's relative imports, as repository paths (`src/domain/Errors.ts`). */
const importGraph = (files: ReadonlyArray<string>, read: (file: string) => string): Map<string, Array<string>> =>
  new Map(
    files.map((file) => [
      file,
      specifiers(read(file))
        .filter((spec) => spec.startsWith("."))
        .map((spec) => normalize(join(dirname(file), spec)).replace(/\.js$/, ".ts"))
    ])
  )

const graph = importGraph(
  roots.flatMap(filesUnder),
  (file) => readFileSync(join(repoRoot, file), "utf8")
)

const under = (folder: string) => (file: string) => file.startsWith(`${folder}/`)

/** The imports of the files in `from` that `forbidden` matches, as "file → import". */
const violations = (g: Map<string, Array<string>>, from: (file: string) => boolean, forbidden: (target: string) => boolean) =>
  [...g].flatMap(([file, targets]) => (from(file) ? targets.filter(forbidden).map((target) => `${file} → ${target}`) : []))

/** Modules services/ may import: the domain, and pure models that import nothing outside the domain (and themselves). */
const serviceMayImport = (g: Map<string, Array<string>>) => (target: string) =>
  under("src/domain")(target) ||
  under("services")(target) ||
  (under("src/transcript")(target) &&
    (g.get(target) ?? []).every((next) => under("src/domain")(next) || under("src/transcript")(next)))

/** The cycles of a graph, each as the path that closes it. */
const cycles = (g: Map<string, Array<string>>): Array<string> => {
  const found: Array<string> = []
  const state = new Map<string, "open" | "done">()
  const visit = (file: string, path: Array<string>) => {
    if (state.get(file) === "done") return
    if (state.get(file) === "open") {
      found.push([...path.slice(path.indexOf(file)), file].join(" → "))
      return
    }
    state.set(file, "open")
    for (const next of g.get(file) ?? []) if (g.has(next)) visit(next, [...path, file])
    state.set(file, "done")
  }
  for (const file of g.keys()) visit(file, [])
  return found
}

const rules = (g: Map<string, Array<string>>) => ({
  programsImportNoLayers: violations(g, under("src/programs"), under("layers")),
  nothingImportsTestLayers: violations(g, () => true, (target) => target === "layers/TestLayers.ts").filter(
    (line) => !line.startsWith("layers/TestLayers.ts")
  ),
  servicesImportOnlyDomain: violations(g, under("services"), (target) => !serviceMayImport(g)(target)),
  domainIsSelfContained: violations(g, under("src/domain"), (target) => !under("src/domain")(target)),
  processImportsNoLayers: violations(g, under("src/process"), under("layers")),
  noCycles: cycles(g)
})

describe("architecture", () => {
  const found = rules(graph)

  it("reads the import graph of src/, services/ and layers/", () => {
    expect(graph.size).toBeGreaterThan(50)
    expect(graph.get("src/programs/run.ts")).toContain("src/engine/PromptTurn.ts")
  })

  it("programs never import layers/: the CLI chooses and provides them", () => {
    expect(found.programsImportNoLayers).toEqual([])
  })

  it("nothing outside tests/ imports layers/TestLayers", () => {
    expect(found.nothingImportsTestLayers).toEqual([])
  })

  it("services/ import only the domain (and pure models built on it)", () => {
    expect(found.servicesImportOnlyDomain).toEqual([])
  })

  it("src/domain imports nothing outside itself", () => {
    expect(found.domainIsSelfContained).toEqual([])
  })

  it("src/process imports no layers/", () => {
    expect(found.processImportsNoLayers).toEqual([])
  })

  it("has no import cycle", () => {
    expect(found.noCycles).toEqual([])
  })

  it("no program writes to the console", () => {
    const writing = filesUnder("src/programs").filter((file) =>
      /Console\.|process\.std(out|err)/.test(readFileSync(join(repoRoot, file), "utf8"))
    )
    expect(writing).toEqual([])
  })

  it("each rule catches a breach of it", () => {
    // a graph with one breach of every rule: each rule must name it
    const bad = new Map<string, Array<string>>([
      ["src/programs/x.ts", ["layers/SandboxLive.ts", "src/engine/a.ts"]],
      ["src/engine/a.ts", ["layers/TestLayers.ts", "src/engine/b.ts"]],
      ["src/engine/b.ts", ["src/engine/a.ts"]],
      ["services/S.ts", ["src/engine/a.ts", "src/transcript/T.ts", "src/domain/D.ts"]],
      ["src/transcript/T.ts", ["src/engine/b.ts"]],
      ["src/domain/D.ts", ["src/local/L.ts"]],
      ["src/process/P.ts", ["layers/OpenCodeClientLive.ts"]],
      ["layers/TestLayers.ts", ["layers/SandboxLive.ts"]]
    ])
    const caught = rules(bad)
    expect(caught.programsImportNoLayers).toEqual(["src/programs/x.ts → layers/SandboxLive.ts"])
    expect(caught.nothingImportsTestLayers).toEqual(["src/engine/a.ts → layers/TestLayers.ts"])
    expect(caught.servicesImportOnlyDomain).toEqual(["services/S.ts → src/engine/a.ts", "services/S.ts → src/transcript/T.ts"])
    expect(caught.domainIsSelfContained).toEqual(["src/domain/D.ts → src/local/L.ts"])
    expect(caught.processImportsNoLayers).toEqual(["src/process/P.ts → layers/OpenCodeClientLive.ts"])
    expect(caught.noCycles).toEqual(["src/engine/a.ts → src/engine/b.ts → src/engine/a.ts"])
  })
})
