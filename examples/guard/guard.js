// guard: an OpenCode plugin that stands between the model and the project's tools.
//
// - It blocks two kinds of tool call before they run (the `tool.execute.before` hook: throwing there fails the call,
//   and the model gets the message as the tool's error): reading a `.env` file (with `read`, or through `bash`
//   with cat/less/head/tail/grep…), and a `bash` command that force-deletes recursively (`rm -rf`, `rm -fr`, …).
// - It adds a tool, `env_keys`, that tells the model which variables a `.env` file defines, never their values.
//
// Plain JavaScript without imports but Node's own: OpenCode 1.18.33 loads it as it is, with no package installed.
// A tool's `args` are written as JSON Schema: OpenCode offers such a tool with exactly that schema (every argument
// required), so neither @opencode-ai/plugin nor zod is needed (a zod schema would be validated as well).
import { readFile } from "node:fs/promises"
import { isAbsolute, join } from "node:path"

const envFile = /(^|[\s/'"])\.env(\.[\w-]+)?($|[\s'"])/
const readsFiles = /\b(cat|less|more|head|tail|grep|sed|awk|source)\b/
const forceDeletes = /\brm\s+(-[a-zA-Z]*r[a-zA-Z]*f|-[a-zA-Z]*f[a-zA-Z]*r|(-[rR]\s+-f|-f\s+-[rR]))\b/

/** @type {import("@opencode-ai/plugin").Plugin} */
export const Guard = async () => ({
  "tool.execute.before": async (input, output) => {
    const args = output.args ?? {}
    if (input.tool === "read" && envFile.test(` ${args.filePath ?? ""} `)) {
      throw new Error(`guard: ${args.filePath} holds secrets and is not read; env_keys lists the names it defines`)
    }
    if (input.tool === "bash" && typeof args.command === "string") {
      if (forceDeletes.test(args.command)) throw new Error(`guard: "${args.command}" force-deletes recursively and was not run`)
      if (readsFiles.test(args.command) && envFile.test(` ${args.command} `)) {
        throw new Error(`guard: "${args.command}" reads a .env file and was not run; env_keys lists the names it defines`)
      }
    }
  },
  tool: {
    env_keys: {
      description: "List the names of the variables a .env file defines (never their values).",
      args: {
        path: { type: "string", description: "The .env file, relative to the project or absolute" }
      },
      async execute(args, context) {
        const file = isAbsolute(args.path) ? args.path : join(context.directory, args.path)
        const text = await readFile(file, "utf8")
        const names = text
          .split("\n")
          .map((line) => /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=/.exec(line)?.[1])
          .filter((name) => name !== undefined)
        return names.length === 0 ? `${args.path} defines no variables` : `${args.path} defines ${names.join(", ")}`
      }
    }
  }
})
