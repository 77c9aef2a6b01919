import { assert, describe, it } from "@effect/vitest"
import { compactCommandList, dropGenericLines, fullUsage } from "../src/cli/Help.js"

const bold = (text: string) => `\u001b[0;1m${text}\u001b[0m`

// the shape @effect/cli 0.77 prints: a COMMANDS header, then "  - USAGE<padding>DESCRIPTION" entries
const help = [
  "ocm",
  "",
  bold("USAGE"),
  "",
  "$ ocm",
  "",
  bold("COMMANDS"),
  "",
  "  - chat [--url text] [--json] <session> <prompt>                continue a session",
  "",
  "  - worktree                                                     git worktrees",
  "",
  "  - worktree create [--url text] <name>                          create a worktree",
  "",
  "  - wt                                                           alias of worktree",
  "",
  "  - wt create [--url text] <name>                                create a worktree",
  "",
  "  - sandbox env                                                  print export lines:  eval \"$(ocm sandbox env)\"",
  "",
  "  - bare",
  ""
].join("\n")

describe("compactCommandList", () => {
  it("lists each command by name with its description, one per line, and leaves the rest as it was", () => {
    const compact = compactCommandList(help)
    const lines = compact.split("\n")
    const section = lines.slice(lines.indexOf(bold("COMMANDS")))
    assert.deepStrictEqual(section, [
      bold("COMMANDS"),
      "",
      "  chat             continue a session",
      "  worktree         git worktrees",
      "  worktree create  create a worktree",
      "  wt               alias of worktree",
      "  sandbox env      print export lines:  eval \"$(ocm sandbox env)\"",
      "  bare",
      "",
      "Add --help to a command for its arguments and options."
    ])
    assert.deepStrictEqual(lines.slice(0, 6), help.split("\n").slice(0, 6), "everything before the list is untouched")
  })

  it("leaves text without a command list alone", () => {
    assert.strictEqual(compactCommandList("0.1.0"), "0.1.0")
    const completions = "function _ocm_bash_completions() {\n  - chat  x\n}"
    assert.strictEqual(compactCommandList(completions), completions)
  })
})

describe("dropGenericLines", () => {
  // an option and an argument as @effect/cli 0.77 documents them
  const help = [
    bold("USAGE"),
    "",
    "$ chat [--timeout float] [--sort updated | created] <session>",
    "",
    bold("ARGUMENTS"),
    "",
    "<session>",
    "",
    "  A user-defined piece of text.",
    "",
    "  session id or title",
    "",
    bold("OPTIONS"),
    "",
    "--timeout float",
    "",
    "  A floating point number.",
    "",
    "  seconds to wait",
    "",
    "  This setting is optional.",
    "",
    "--sort updated | created",
    "",
    "  One of the following: updated, created",
    "",
    "  order by updated or created",
    "",
    "  This setting is optional.",
    ""
  ].join("\n")

  it("keeps each name and our description, without the type's and the optional setting's generic lines", () => {
    assert.deepStrictEqual(dropGenericLines(help).split("\n"), [
      bold("USAGE"),
      "",
      "$ chat [--timeout float] [--sort updated | created] <session>",
      "",
      bold("ARGUMENTS"),
      "",
      "<session>",
      "",
      "  session id or title",
      "",
      bold("OPTIONS"),
      "",
      "--timeout float",
      "",
      "  seconds to wait",
      "",
      "--sort updated | created",
      "",
      "  order by updated or created",
      ""
    ])
  })

  it("touches nothing that is not help, and no line that only resembles a generic one", () => {
    assert.strictEqual(dropGenericLines("  An integer."), "  An integer.")
    const ours = `${bold("USAGE")}\n\n  An integer count of retries.\n`
    assert.strictEqual(dropGenericLines(ours), ours)
  })
})

describe("fullUsage", () => {
  const helpOf = (usage: string) => ["ocm", "", bold("USAGE"), "", usage, "", bold("DESCRIPTION"), "", "$ not a usage line"].join("\n")

  it("puts the program and the parent commands before a subcommand's name", () => {
    assert.strictEqual(fullUsage(helpOf("$ run [--wait] <name>"), "ocm", ["wt", "run"]), helpOf("$ ocm wt run [--wait] <name>"))
    assert.strictEqual(fullUsage(helpOf("$ chat <session>"), "ocm", ["chat", "ses_1"]), helpOf("$ ocm chat <session>"))
    assert.strictEqual(fullUsage(helpOf("$ sandbox"), "ocm", ["sandbox"]), helpOf("$ ocm sandbox"))
  })

  it("leaves the root's usage alone, and names the program when the words do not lead there", () => {
    assert.strictEqual(fullUsage(helpOf("$ ocm"), "ocm", []), helpOf("$ ocm"))
    assert.strictEqual(fullUsage(helpOf("$ up [--port integer]"), "ocm", []), helpOf("$ ocm up [--port integer]"))
    assert.strictEqual(fullUsage("0.1.0", "ocm", ["x"]), "0.1.0")
  })
})
