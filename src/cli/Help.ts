/**
 * Help as @effect/cli prints it, made readable. It lists subcommands with their whole usage, padded to the longest
 * one: for ocm a table over 300 columns wide; the list is rewritten as one line per command (its name and
 * description), and each command's own `--help` still shows every argument and option. It also gives every
 * argument and option the generic line of its type ("A user-defined piece of text.", "This setting is optional.")
 * before and after our own description; the usage line already says both, so those lines are dropped.
 */
import { plainText } from "../domain/Text.js"

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

/**
 * A subcommand's usage line names only the subcommand (`$ run …` for `ocm wt run`, which is not `ocm run`); it is
 * given the whole command: the program and the words of the command line that lead to it.
 */
export const fullUsage = (help: string, program: string, words: ReadonlyArray<string>): string => {
  const lines = help.split("\n")
  const usage = lines.findIndex((line) => plainText(line) === "USAGE")
  const at = lines.findIndex((line, i) => i > usage && line.startsWith("$ "))
  if (usage === -1 || at === -1) return help
  const name = lines[at]!.slice(2).split(" ")[0]!
  if (name === program) return help
  const end = words.indexOf(name)
  const path = [program, ...(end === -1 ? [] : words.slice(0, end))].join(" ")
  return [...lines.slice(0, at), `$ ${path} ${lines[at]!.slice(2)}`, ...lines.slice(at + 1)].join("\n")
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

/**
 * @effect/cli offers its `--wizard` on every help page; off a terminal it cannot work (ocm refuses it there), and on
 * one it asks for what the command line says better, so it is not advertised: its entry and description go.
 */
export const hideWizard = (help: string): string => {
  const lines = help.split("\n")
  const at = lines.findIndex((line) => plainText(line).trim() === "--wizard")
  if (at === -1) return help
  // the option's line, then its description, each followed by a blank line
  let end = at + 1
  while (end < lines.length && lines[end]!.trim() === "") end++
  if (end < lines.length && plainText(lines[end]!).trim().startsWith("Start wizard mode")) end++
  while (end < lines.length && lines[end]!.trim() === "") end++
  return [...lines.slice(0, at), ...lines.slice(end)].join("\n")
}

/**
 * Every rewrite: the whole command in the usage line, the one-line command list, the generic lines dropped, the
 * wizard not offered.
 */
export const readableHelp = (help: string, program: string, words: ReadonlyArray<string>): string =>
  hideWizard(dropGenericLines(compactCommandList(fullUsage(help, program, words))))
