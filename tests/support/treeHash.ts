/** A hash of a directory tree as bytes on disk: every path (`.git` included), its type, mode, content or link target. */
import { createHash } from "node:crypto"
import { lstatSync, readdirSync, readFileSync, readlinkSync } from "node:fs"
import { join } from "node:path"

/** Each entry as a line (`path type mode content-hash|target`), sorted: what a test can show when two trees differ. */
export const treeListing = (root: string): Array<string> => {
  const lines: Array<string> = []
  const walk = (dir: string, relative: string) => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name)
      const shown = relative === "" ? name : `${relative}/${name}`
      const info = lstatSync(path)
      const mode = (info.mode & 0o7777).toString(8)
      if (info.isSymbolicLink()) lines.push(`${shown} link ${mode} ${readlinkSync(path)}`)
      else if (info.isDirectory()) {
        lines.push(`${shown} dir ${mode}`)
        walk(path, shown)
      } else if (info.isFile()) lines.push(`${shown} file ${mode} ${createHash("sha256").update(readFileSync(path)).digest("hex")}`)
      else lines.push(`${shown} other ${mode}`)
    }
  }
  walk(root, "")
  return lines
}

export const treeHash = (root: string): string => createHash("sha256").update(treeListing(root).join("\n")).digest("hex")
