/**
 * @effect/cli lists subcommands with their whole usage, padded to the longest one: for ocm a table over 300
 * columns wide. The command list is rewritten as one line per command (its name and description); each command's
 * own `--help` still shows every argument and option.
 */
import { plainText } from "./Text.js"

const entry = /^ {2}- (.*?)(?: {2,}(.*))?$/

/** The command words of a usage line: everything before the first option, argument or group. */
const commandName = (usage: string) => {
  const words = usage.split(" ")
  const end = words.findIndex((word) => /^[[<(]/.test(word))
  return (end === -1 ? words : words.slice(0, end)).join(" ")
}

export const compactCommandList = (help: string): string => {
  const lines = help.split("\n")
  const start = lines.findIndex((line) => plainText(line) === "COMMANDS")
  if (start === -1) return help
  const rows: Array<readonly [string, string]> = []
  let end = start + 1
  for (; end < lines.length; end++) {
    const line = plainText(lines[end]!)
    if (line.trim() === "") continue
    const match = entry.exec(line)
    if (match === null) break
    rows.push([commandName(match[1]!), match[2]?.trim() ?? ""])
  }
  if (rows.length === 0) return help
  // an alias's subcommands are its target's: `wt  alias of worktree` stands for all of them
  const aliases = rows.filter(([, description]) => description.startsWith("alias of ")).map(([name]) => `${name} `)
  const shown = rows.filter(([name]) => !aliases.some((alias) => name.startsWith(alias)))
  const width = Math.max(...shown.map(([name]) => name.length)) + 2
  const list = shown.map(([name, description]) => `  ${name.padEnd(width)}${description}`.trimEnd())
  return [
    ...lines.slice(0, start + 1),
    "",
    ...list,
    "",
    "Add --help to a command for its arguments and options.",
    ...lines.slice(end)
  ].join("\n")
}
