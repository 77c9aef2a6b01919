/**
 * `ocm sandbox run [OPTIONS] -- CMD [ARGS…]`: the child command is everything after the `--`, and nothing before it.
 * @effect/cli hands a command its words from before and after `--` as one list (unknown options included), so the
 * place of the `--` is marked in argv with a word no real argument can be (argv never holds a NUL) and split there.
 */
import { InvalidInput } from "../domain/Errors.js"

export const CHILD_COMMAND_MARK = "\u0000"

/** Marks where `sandbox run`'s child command starts; every other command line is left as it is. */
export const markChildCommand = (argv: ReadonlyArray<string>): ReadonlyArray<string> => {
  let first = 2
  while (argv[first] === "--log-level") first += 2
  if (argv[first] !== "sandbox" || argv[first + 1] !== "run") return argv
  const end = argv.indexOf("--", first + 2)
  return end === -1 ? argv : [...argv.slice(0, end + 1), CHILD_COMMAND_MARK, ...argv.slice(end + 1)]
}

const usage = "ocm sandbox run [OPTIONS] -- CMD [ARGS…]"

/** The child command from the words `sandbox run` was given; a stray word before `--` is bad input. */
export const childCommand = (words: ReadonlyArray<string>): ReadonlyArray<string> | InvalidInput => {
  const mark = words.indexOf(CHILD_COMMAND_MARK)
  const stray = mark === -1 ? words : words.slice(0, mark)
  const child = mark === -1 ? [] : words.slice(mark + 1)
  const first = stray[0]
  if (first === "--json") return new InvalidInput({ message: `sandbox run has no --json: what it prints is the command's own output (${usage})` })
  if (first?.startsWith("-")) return new InvalidInput({ message: `sandbox run: unknown option '${first}' (${usage})` })
  if (first !== undefined) return new InvalidInput({ message: `sandbox run: the command goes after --: ${usage}` })
  if (child.length === 0) return new InvalidInput({ message: `sandbox run needs a command: ${usage}` })
  return child
}
