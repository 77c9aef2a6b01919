// The registry this project is built against carries only some platforms' builds of packages that ship
// per-platform binaries (opencode-ai, rollup, msgpackr-extract). npm then leaves the other platforms'
// optional packages out of package-lock.json, and `npm ci` refuses the lock as out of sync. This adds an
// entry for each missing optional platform package, marked with its os/cpu so npm skips it on every other
// machine without fetching it. Run after `npm install`: node .ci/complete-lock.mjs (npm run lock does both)
import { readFileSync, writeFileSync } from "node:fs"

const lockPath = new URL("../package-lock.json", import.meta.url)
const lock = JSON.parse(readFileSync(lockPath, "utf8"))
const packages = lock.packages

const platformOf = (name) => {
  const id = name.split("/").pop()
  const os = ["darwin", "linux", "win32", "windows", "android", "freebsd", "openbsd", "openharmony", "sunos", "aix"].find(
    (candidate) => id.includes(`-${candidate}-`) || id.startsWith(`${candidate}-`)
  )
  const cpu = ["arm64", "x64", "ia32", "arm", "loong64", "ppc64", "riscv64", "s390x"].find((candidate) =>
    new RegExp(`-${candidate}(-|$)`).test(id)
  )
  if (!os || !cpu) return undefined
  const libc = /-musl/.test(id) ? ["musl"] : /-gnu/.test(id) && os === "linux" ? ["glibc"] : undefined
  return { os: [os === "windows" ? "win32" : os], cpu: [cpu], ...(libc ? { libc } : {}) }
}

let added = 0
for (const [path, entry] of Object.entries(packages)) {
  if (path === "") continue
  for (const [name, version] of Object.entries(entry.optionalDependencies ?? {})) {
    const key = `node_modules/${name}`
    if (packages[key]) continue
    const platform = platformOf(name)
    if (!platform) throw new Error(`${key} is missing from the lock and is not a platform package; run npm install`)
    packages[key] = { version, dev: entry.dev, optional: true, ...platform }
    added++
  }
}
writeFileSync(lockPath, `${JSON.stringify(lock, null, 2)}\n`)
console.log(`complete-lock: added ${added} platform package entries`)
