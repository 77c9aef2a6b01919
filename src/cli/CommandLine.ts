/**
 * Checks of a command line that @effect/cli answers badly, made before it parses: a help request for a command that
 * does not exist (it printed the root help and exited 0), an unknown `--log-level` (it said "Invalid subcommand"),
 * and `--wizard` off a terminal (it printed colour codes and waited for ever on a closed stdin). Pure, so each rule
 * is unit-tested; the answer is the one-line message of an InvalidInput (exit 2).
 */
import * as Command from "@effect/cli/Command"
import * as Descriptor from "@effect/cli/CommandDescriptor"
import * as HelpDoc from "@effect/cli/HelpDoc"
import * as Usage from "@effect/cli/Usage"
import * as HashSet from "effect/HashSet"
import { plainText } from "../domain/Text.js"

/** The names of the commands below a command, each with its own. */
export interface CommandTree {
  readonly [name: string]: CommandTree
}

/**
 * The shape of a command descriptor as @effect/cli 0.77 builds it: `getSubcommands` flattens a nested group to its
 * parent, so the tree is read from the descriptors themselves (a unit test fails if that shape ever changes).
 */
type Node =
  | { readonly _tag: "Map"; readonly command: Node }
  | { readonly _tag: "Subcommands"; readonly children: ReadonlyArray<Node> }
  | { readonly _tag: "Standard" | "GetUserInput" }

const treeOf = (node: Node): CommandTree => {
  switch (node._tag) {
    case "Map":
      return treeOf(node.command)
    case "Subcommands":
      return Object.fromEntries(
        node.children.map((child) => {
          const [name] = HashSet.values(Descriptor.getNames(child as unknown as Descriptor.Command<unknown>))
          return [name ?? "", treeOf(child)]
        })
      )
    default:
      return {}
  }
}

export const commandTree = <Name extends string, R, E, A>(command: Command.Command<Name, R, E, A>): CommandTree =>
  treeOf(command.descriptor as unknown as Node)

/** Whether a command (no group of commands) takes `--json`, read from its usage. */
const takesJson = (node: Node) =>
  /(^|[\s[(])--json\b/.test(plainText(HelpDoc.toAnsiText(Usage.getHelp(Descriptor.getUsage(node as unknown as Descriptor.Command<unknown>)))))

const jsonPathsOf = (node: Node, path: ReadonlyArray<string>): ReadonlyArray<string> => {
  switch (node._tag) {
    case "Map":
      return jsonPathsOf(node.command, path)
    case "Subcommands":
      return node.children.flatMap((child) => {
        const [name] = HashSet.values(Descriptor.getNames(child as unknown as Descriptor.Command<unknown>))
        return jsonPathsOf(child, [...path, name ?? ""])
      })
    default:
      return takesJson(node) ? [path.join(" ")] : []
  }
}

/** The commands (as their words below the root: `chat`, `wt create`) that take `--json`. */
export const commandsTakingJson = <Name extends string, R, E, A>(command: Command.Command<Name, R, E, A>): ReadonlySet<string> =>
  new Set(jsonPathsOf(command.descriptor as unknown as Node, []))

/** The levels @effect/cli's built-in `--log-level` takes. */
export const logLevels = ["all", "trace", "debug", "info", "warning", "error", "fatal", "none"] as const

/** Built-in options of the root command that take a value. */
const rootValueOptions = new Set(["--log-level", "--completions"])

export interface CommandLineFacts {
  readonly program: string
  readonly tree: CommandTree
  /** Whether standard input is a terminal (the wizard asks its questions there). */
  readonly interactive: boolean
}

/**
 * What is wrong with a command line (after `hoistLogLevel` and `helpAsFlag`), or undefined. Nothing after a `--`
 * is looked at: it belongs to a child command.
 */
export const commandLineProblem = (argv: ReadonlyArray<string>, facts: CommandLineFacts): string | undefined => {
  const rest = argv.slice(2)
  const end = rest.indexOf("--")
  const own = end === -1 ? rest : rest.slice(0, end)

  for (let i = 0; i < own.length; i++) {
    if (own[i] !== "--log-level") continue
    const level = own[i + 1]
    if (level === undefined) return `--log-level needs a value: one of ${logLevels.join(", ")}`
    if (!(logLevels as ReadonlyArray<string>).includes(level)) {
      return `--log-level must be one of ${logLevels.join(", ")}; got "${level}"`
    }
  }

  if (own.includes("--wizard") && !facts.interactive) {
    return "--wizard asks its questions on a terminal, and standard input is not one; give the command line instead"
  }

  if (own.includes("--help") || own.includes("-h")) {
    // the words that lead to a command: at each level with subcommands, the next word must name one of them
    let i = 0
    while (i < own.length && rootValueOptions.has(own[i]!)) i += 2
    let tree = facts.tree
    const path = [facts.program]
    while (i < own.length && Object.keys(tree).length > 0) {
      const word = own[i]!
      if (word.startsWith("-")) break
      const next = Object.prototype.hasOwnProperty.call(tree, word) ? tree[word] : undefined
      if (next === undefined) {
        const where = path.join(" ")
        return `${where} has no command "${word}"; \`${where} --help\` lists its commands`
      }
      path.push(word)
      tree = next
      i++
    }
  }
  return undefined
}
