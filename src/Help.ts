/**
 * Help as @effect/cli prints it, made readable. It lists subcommands with their whole usage, padded to the longest
 * one: for ocm a table over 300 columns wide; the list is rewritten as one line per command (its name and
 * description), and each command's own `--help` still shows every argument and option. It also gives every
 * argument and option the generic line of its type ("A user-defined piece of text.", "This setting is optional.")
 * before and after our own description; the usage line already says both, so those lines are dropped.
 */
import { plainText } from "./Text.js"

const entry = /^ {2}- (.*?)(?: {2,}(.*))?$/

/** The command words of a usage line: everything before the first option, argument or group. */
const commandName = (usage: string) => {
  const words = usage.split(" ")
  const end = words.findIndex((word) => /^[[<(]/.test(word))
  return (end === -1 ? words : words.slice(0, end)).join(" ")
}

/** The generic lines @effect/cli 0.77 writes for a value's type and for optional settings. */
const generic = new Set([
  "A user-defined piece of text.",
  "A user-defined piece of text that is confidential.",
  "A true or false value.",
  "A floating point number.",
  "An integer.",
  "An existing file or directory.",
  "An existing file.",
  "An existing directory.",
  "A file or directory that must not exist.",
  "A file that must not exist.",
  "A directory that must not exist.",
  "A file or directory.",
  "A file.",
  "A directory.",
  "This setting is optional."
])
const isGeneric = (line: string) => {
  const text = plainText(line).trim()
  return generic.has(text) || text.startsWith("One of the following: ")
}

/** Drops the generic lines (with the blank line that follows each) from a help text; anything else is untouched. */
export const dropGenericLines = (help: string): string => {
  const lines = help.split("\n")
  if (!lines.some((line) => plainText(line) === "USAGE")) return help
  const kept: Array<string> = []
  for (let i = 0; i < lines.length; i++) {
    if (!isGeneric(lines[i]!)) kept.push(lines[i]!)
    else if (lines[i + 1]?.trim() === "") i++
  }
  return kept.join("\n")
}

/** Both rewrites: the one-line command list and the generic lines dropped. */
export const readableHelp = (help: string): string => dropGenericLines(compactCommandList(help))

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
