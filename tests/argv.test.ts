import { assert, describe, it } from "@effect/vitest"
import { ocm } from "../src/cli/Cli.js"
import { commandLineProblem, commandTree } from "../src/cli/CommandLine.js"
import { hideWizard } from "../src/cli/Help.js"
import { helpAsFlag, hoistLogLevel } from "../src/cli/Main.js"

describe("hoistLogLevel", () => {
  const node = ["node", "ocm.mjs"]
  it("moves --log-level and its value to the front, wherever it was", () => {
    assert.deepStrictEqual(hoistLogLevel([...node, "chat", "ses_1", "hi", "--log-level", "debug", "--json"]), [
      ...node, "--log-level", "debug", "chat", "ses_1", "hi", "--json"
    ])
    assert.deepStrictEqual(hoistLogLevel([...node, "ping", "--log-level=warning"]), [...node, "--log-level", "warning", "ping"])
  })
  it("leaves everything after -- to the child command", () => {
    assert.deepStrictEqual(hoistLogLevel([...node, "sandbox", "run", "--", "ocm", "ping", "--log-level", "debug"]), [
      ...node, "sandbox", "run", "--", "ocm", "ping", "--log-level", "debug"
    ])
  })
  it("changes nothing without the flag, and keeps a dangling flag for the CLI to reject", () => {
    assert.deepStrictEqual(hoistLogLevel([...node, "ping", "--json"]), [...node, "ping", "--json"])
    assert.deepStrictEqual(hoistLogLevel([...node, "ping", "--log-level"]), [...node, "ping", "--log-level"])
  })
})

describe("helpAsFlag", () => {
  const node = ["node", "ocm.mjs"]
  it("turns `help COMMAND…` into `COMMAND… --help`, after a hoisted --log-level", () => {
    assert.deepStrictEqual(helpAsFlag([...node, "help", "wt", "run"]), [...node, "wt", "run", "--help"])
    assert.deepStrictEqual(helpAsFlag([...node, "help"]), [...node, "--help"])
    assert.deepStrictEqual(helpAsFlag([...node, "--log-level", "debug", "help", "send"]), [...node, "--log-level", "debug", "send", "--help"])
  })
  it("leaves a later word help alone: it is an argument", () => {
    const argv = [...node, "chat", "ses_1", "help"]
    assert.deepStrictEqual(helpAsFlag(argv), argv)
    assert.deepStrictEqual(helpAsFlag([...node, "send", "help", "me"]), [...node, "send", "help", "me"])
  })
})

describe("commandLineProblem", () => {
  const node = ["node", "ocm.mjs"]
  const facts = { program: "ocm", tree: commandTree(ocm), interactive: false }
  const problem = (...args: Array<string>) => commandLineProblem([...node, ...args], facts)

  it("reads the command tree from the CLI itself, nested groups included", () => {
    assert.deepStrictEqual(Object.keys(facts.tree.wt!).sort(), ["create", "list", "remove", "run"])
    assert.deepStrictEqual(Object.keys(facts.tree.sandbox!).sort(), ["down", "env", "requests", "run", "script", "status", "up"])
    assert.deepStrictEqual(facts.tree.chat, {})
  })
  it("refuses help for a command that does not exist, at any level", () => {
    assert.strictEqual(problem("nosuch", "--help"), 'ocm has no command "nosuch"; `ocm --help` lists its commands')
    assert.strictEqual(problem("wt", "nosuch", "-h"), 'ocm wt has no command "nosuch"; `ocm wt --help` lists its commands')
    assert.strictEqual(problem("--log-level", "debug", "nosuch", "--help"), 'ocm has no command "nosuch"; `ocm --help` lists its commands')
  })
  it("lets help for real commands through, whatever words follow a command that has no subcommands", () => {
    for (const args of [["--help"], ["wt", "--help"], ["wt", "run", "--help"], ["chat", "ses_1", "hi", "--help"], ["send", "help", "-h"]]) {
      assert.isUndefined(problem(...args), args.join(" "))
    }
    assert.isUndefined(problem("nosuch"), "without --help, the parser's own message stands")
  })
  it("names a bad --log-level as such", () => {
    assert.match(problem("--log-level", "bogus", "ping")!, /^--log-level must be one of all, trace, .* got "bogus"$/)
    assert.match(problem("ping", "--log-level")!, /^--log-level needs a value/)
    assert.isUndefined(problem("--log-level", "debug", "ping"))
  })
  it("refuses --wizard off a terminal, and only there", () => {
    assert.match(problem("ping", "--wizard")!, /standard input is not one/)
    assert.isUndefined(commandLineProblem([...node, "ping", "--wizard"], { ...facts, interactive: true }))
  })
  it("leaves everything after -- to the child command", () => {
    assert.isUndefined(problem("sandbox", "run", "--", "ocm", "nosuch", "--help", "--wizard", "--log-level", "bogus"))
  })
})

describe("hideWizard", () => {
  it("drops the --wizard entry and its description, and nothing else", () => {
    const help = ["OPTIONS", "", "(-h, --help)", "", "  Show the help documentation for a command.", "", "--wizard", "", "  Start wizard mode for a command.", "", "--version", ""].join("\n")
    assert.strictEqual(
      hideWizard(help),
      ["OPTIONS", "", "(-h, --help)", "", "  Show the help documentation for a command.", "", "--version", ""].join("\n")
    )
    assert.strictEqual(hideWizard("no wizard here"), "no wizard here")
  })
})
