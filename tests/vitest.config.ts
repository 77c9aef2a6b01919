import { fileURLToPath } from "node:url"
import { defineConfig } from "vitest/config"

export default defineConfig({
  test: {
    // the package root, wherever vitest is started from
    root: fileURLToPath(new URL("..", import.meta.url)),
    include: ["tests/**/*.test.ts"],
    // limits for a hang, sized for a loaded 2-core machine (CI may run beside other work): never a timing goal
    testTimeout: 180_000,
    hookTimeout: 240_000,
    // each live test file starts its own sandbox; two cores run two files at a time
    pool: "forks",
    poolOptions: { forks: { maxForks: 2, minForks: 1 } }
  }
})
