/** README's runnable promises: its library examples, found where README shows them, so tests run exactly those. */
import { readFileSync } from "node:fs"
import { repoRoot } from "./cli.js"

export const readme = readFileSync(`${repoRoot}README.md`, "utf8")

/** The TypeScript blocks of README's "## Library" section, in order: the sandbox example, then the existing server. */
export const libraryExamples = (): { readonly sandbox: string; readonly existingServer: string } => {
  const start = readme.indexOf("\n## Library\n")
  const end = readme.indexOf("\n## ", start + 1)
  const section = readme.slice(start, end === -1 ? undefined : end)
  const blocks = [...section.matchAll(/```ts\n([\s\S]*?)```/g)].map((match) => match[1]!)
  if (start === -1 || blocks.length !== 2) throw new Error(`README's ## Library section should hold two ts examples, found ${blocks.length}`)
  return { sandbox: blocks[0]!, existingServer: blocks[1]! }
}

/** The TypeScript blocks of README's "## Proving" section: a script that runs a scenario, and an @effect/vitest test. */
export const testingExamples = (): { readonly script: string; readonly test: string } => {
  const start = readme.indexOf("\n## Proving: `ocm prove`\n")
  const end = readme.indexOf("\n## ", start + 1)
  const section = readme.slice(start, end === -1 ? undefined : end)
  const blocks = [...section.matchAll(/```ts\n([\s\S]*?)```/g)].map((match) => match[1]!)
  if (start === -1 || blocks.length !== 2) throw new Error(`README's ## Proving section should hold two ts examples, found ${blocks.length}`)
  return { script: blocks[0]!, test: blocks[1]! }
}
