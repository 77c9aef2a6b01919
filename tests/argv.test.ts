import { assert, describe, it } from "@effect/vitest"
import { helpAsFlag, hoistLogLevel } from "../src/Main.js"

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
