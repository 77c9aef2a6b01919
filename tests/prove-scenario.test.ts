/**
 * Scenario files: the schema, the line a problem is on, variables and command lines, paths into a document. Unit
 * tests on files written to a temp dir; nothing is started.
 */
import * as FileSystem from "@effect/platform/FileSystem"
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import { InvalidInput } from "../src/domain/Errors.js"
import { sandboxStartOf } from "../src/prove/Runner.js"
import { loadScenario, scenarioFiles } from "../src/prove/ScenarioFile.js"
import { lookup, pathKeys, referencedVariables, splitWords, substitute, substituteDeep } from "../src/prove/Template.js"
import { PlatformLayer } from "../layers/TestLayers.js"

/** Writes `text` as `name` in a fresh temp dir and loads it: the scenario, or the one line of what is wrong. */
const load = (name: string, text: string, commandProblem?: (words: ReadonlyArray<string>) => string | undefined) =>
  Effect.gen(function* () {
    const fs = yield* FileSystem.FileSystem
    const dir = yield* fs.makeTempDirectoryScoped({ prefix: "ocm-scenario-test-" })
    yield* fs.writeFileString(`${dir}/${name}`, text)
    const loaded = yield* Effect.either(loadScenario(`${dir}/${name}`, { commandProblem }))
    return Either.mapLeft(loaded, (error) => {
      assert.instanceOf(error, InvalidInput)
      // the directory differs per run: the message is read from the file name on
      return error.message.slice(dir.length + 1)
    })
  }).pipe(Effect.scoped, Effect.provide(PlatformLayer))

const problem = (name: string, text: string, commandProblem?: (words: ReadonlyArray<string>) => string | undefined) =>
  Effect.map(load(name, text, commandProblem), (loaded) => {
    assert.isTrue(Either.isLeft(loaded), "the file is refused")
    return Either.isLeft(loaded) ? loaded.left : ""
  })

const good = `name: resume
sandbox:
  keep: false
steps:
  - ocm: begin-session "Reply with ONLY READY." --agent proof
    capture: { session: sessionID }
    expect:
      reply: READY
  - ocm: [chat, "\${session}", "remember", --system, --no-reply]
    expect:
      model: { requests: 0 }
      session: { lastUser: { system: { contains: remember } } }
  - write: { path: notes.txt, content: "from \${session} in \${project}" }
    expect:
      files: [{ path: notes.txt, contains: from }]
  - shell: 'test -n "$OPENCODE_BASE_URL" && echo \${HOME}'
`

describe("scenario files", () => {
  it.effect("a valid YAML scenario decodes, whole", () =>
    Effect.gen(function* () {
      const loaded = yield* load("resume.yaml", good)
      assert.isTrue(Either.isRight(loaded))
      if (Either.isLeft(loaded)) return
      assert.strictEqual(loaded.right.name, "resume")
      assert.strictEqual(loaded.right.scenario.steps.length, 4)
      assert.deepStrictEqual(loaded.right.scenario.steps[1]!.ocm, ["chat", "${session}", "remember", "--system", "--no-reply"])
      assert.deepStrictEqual(loaded.right.scenario.sandbox, { keep: false })
    })
  )

  it.effect("JSON is read too, and a scenario without a name is named by its file", () =>
    Effect.gen(function* () {
      const loaded = yield* load("plain.json", JSON.stringify({ steps: [{ ocm: "ping" }] }))
      assert.isTrue(Either.isRight(loaded))
      if (Either.isRight(loaded)) assert.strictEqual(loaded.right.name, "plain.json")
    })
  )

  it.effect("malformed YAML names the file and the line", () =>
    Effect.gen(function* () {
      const message = yield* problem("broken.yaml", "name: x\nsteps:\n  - ocm: ping\n  - ocm: chat: x\n  - ocm: ping\n")
      assert.strictEqual(message, "broken.yaml:4: not valid YAML: Nested mappings are not allowed in compact mappings")
    })
  )

  it.effect("malformed JSON names the file and the line", () =>
    Effect.gen(function* () {
      const message = yield* problem("broken.json", '{\n  "steps": [\n    { "ocm": "ping" },\n  ]\n}\n')
      assert.match(message, /^broken\.json:4: not valid JSON: /)
    })
  )

  it.effect("a misspelt key is refused at its line, naming the keys a step takes", () =>
    Effect.gen(function* () {
      const message = yield* problem("typo.yaml", "steps:\n  - ocm: ping\n  - ocm: ping\n    expcet:\n      reply: x\n")
      assert.strictEqual(
        message,
        'typo.yaml:4: steps[1].expcet: is unexpected, expected: "name" | "ocm" | "shell" | "write" | "stdin" | "timeout" | "capture" | "expect"'
      )
    })
  )

  it.effect("the model's script is a ModelScript, read strictly: a bare list of rules, a misspelt condition at its line", () =>
    Effect.gen(function* () {
      const scripted = "model:\n  - name: hi\n    when: { user: { contains: hi } }\n    then: { reply: hello }\nsteps:\n  - ocm: ping\n"
      const loaded = yield* load("script.yaml", scripted)
      assert.isTrue(Either.isRight(loaded), String(Either.isLeft(loaded) && loaded.left))
      if (Either.isRight(loaded)) {
        assert.deepStrictEqual(loaded.right.scenario.model, {
          rules: [{ name: "hi", when: { user: { contains: "hi" } }, then: { reply: "hello" } }]
        })
      }
      const typo = yield* problem("script.yaml", "model:\n  rules:\n    - when:\n        usr: { contains: hi }\n      then: { reply: x }\nsteps:\n  - ocm: ping\n")
      assert.match(typo, /^script\.yaml:4: model\.rules\[0\]\.when\.usr: is unexpected/)
    })
  )

  it.effect("a wrong value deep in an expectation is refused at its own line", () =>
    Effect.gen(function* () {
      const message = yield* problem(
        "deep.yaml",
        "steps:\n  - ocm: ping\n    expect:\n      outcome: ok\n      session:\n        messages:\n          user: -1\n"
      )
      assert.match(message, /^deep\.yaml:7: steps\[0\]\.expect\.session\.messages\.user: /)
    })
  )

  it.effect("an outcome that is no tag is refused with the tags there are", () =>
    Effect.gen(function* () {
      const message = yield* problem("outcome.yaml", "steps:\n  - ocm: ping\n    expect: { outcome: Timeout }\n")
      assert.match(message, /^outcome\.yaml:3: steps\[0\]\.expect\.outcome: must be ok, failed, an exit code or one of the error tags .*WaitTimeout/)
    })
  )

  it.effect("a step is exactly one kind", () =>
    Effect.gen(function* () {
      const two = yield* problem("two.yaml", "steps:\n  - ocm: ping\n  - ocm: ping\n    shell: ls\n")
      assert.strictEqual(two, "two.yaml:3: steps[1]: a step is exactly one of ocm, shell, write; this one has ocm and shell")
      const none = yield* problem("none.yaml", "steps:\n  - name: nothing\n")
      assert.strictEqual(none, "none.yaml:2: steps[0]: a step is exactly one of ocm, shell, write; this one has none")
    })
  )

  it.effect("no steps, a bad regular expression, a bad timeout", () =>
    Effect.gen(function* () {
      assert.match(yield* problem("empty.yaml", "name: x\nsteps: []\n"), /^empty\.yaml:2: steps: /)
      assert.match(
        yield* problem("regex.yaml", "steps:\n  - ocm: ping\n    expect:\n      reply: { matches: 'a(' }\n"),
        /^regex\.yaml:4: steps\[0\]\.expect\.reply\.matches: is not a valid regular expression: a\(/
      )
      assert.match(yield* problem("timeout.yaml", "timeout: 0\nsteps:\n  - ocm: ping\n"), /^timeout\.yaml:1: timeout: must be a positive number of seconds/)
    })
  )

  it.effect("a variable used before any step captured it is refused at its line", () =>
    Effect.gen(function* () {
      const message = yield* problem(
        "vars.yaml",
        "steps:\n  - ocm: chat ${session} hi\n    capture: { session: sessionID }\n  - ocm: chat ${session} again\n"
      )
      assert.match(message, /^vars\.yaml:2: steps\[0\]\.ocm: \$\{session\} is not defined here; defined: project, url/)
      // once captured it is defined, and $${x} is no reference at all
      const loaded = yield* load("ok.yaml", "steps:\n  - ocm: create\n    capture: { session: id }\n  - ocm: chat ${session} '$${literal}'\n")
      assert.isTrue(Either.isRight(loaded))
    })
  )

  it.effect("an unclosed quote and a word that is no command are refused at the step", () =>
    Effect.gen(function* () {
      assert.strictEqual(
        yield* problem("quote.yaml", "steps:\n  - ocm: ping\n  - ocm: chat x 'hi\n"),
        "quote.yaml:3: steps[1].ocm: the command line has an unclosed single quote"
      )
      const commandProblem = (words: ReadonlyArray<string>) => (words[0] === "ping" ? undefined : `${words[0]} is not an ocm command`)
      assert.strictEqual(
        yield* problem("command.yaml", "steps:\n  - ocm: ping\n  - ocm: [pong]\n", commandProblem),
        "command.yaml:3: steps[1].ocm: pong is not an ocm command"
      )
    })
  )

  it.effect("a file that is not there, or a directory without scenarios, is bad input", () =>
    Effect.gen(function* () {
      const fs = yield* FileSystem.FileSystem
      const dir = yield* fs.makeTempDirectoryScoped({ prefix: "ocm-scenario-dir-" })
      const missing = yield* Effect.flip(scenarioFiles([`${dir}/nosuch.yaml`]))
      assert.include(missing.message, "no such file or directory")
      const empty = yield* Effect.flip(scenarioFiles([dir]))
      assert.include(empty.message, "no scenario files")
      yield* fs.makeDirectory(`${dir}/sub`)
      yield* Effect.forEach(["b.yaml", "a.json", "sub/c.yml", "notes.txt"], (name) => fs.writeFileString(`${dir}/${name}`, ""))
      assert.deepStrictEqual(yield* scenarioFiles([dir]), [`${dir}/a.json`, `${dir}/b.yaml`, `${dir}/sub/c.yml`])
    }).pipe(Effect.scoped, Effect.provide(PlatformLayer))
  )
})

describe("a scenario's sandbox", () => {
  it.effect("takes a project, a config file or object and plugins, read from the scenario's directory", () =>
    Effect.gen(function* () {
      const fs = yield* FileSystem.FileSystem
      const dir = yield* fs.makeTempDirectoryScoped({ prefix: "ocm-scenario-world-" })
      const write = (name: string, text: string) => fs.writeFileString(`${dir}/${name}`, text)
      yield* write(
        "file.yaml",
        "sandbox: { project: work, inPlace: true, config: conf/opencode.jsonc, plugins: [p.js, ../shared/q] }\nsteps: [{ shell: 'true' }]\n"
      )
      const fromFile = yield* sandboxStartOf((yield* loadScenario(`${dir}/file.yaml`)).scenario, dir)
      assert.deepStrictEqual(fromFile, {
        project: `${dir}/work`,
        inPlace: true,
        config: `${dir}/conf/opencode.jsonc`,
        plugins: [`${dir}/p.js`, `${dir.slice(0, dir.lastIndexOf("/"))}/shared/q`]
      })
      yield* write(
        "object.yaml",
        "sandbox:\n  config:\n    plugin: [./guard.js, some-npm-plugin]\n    instructions: ['{file:./rules.md}']\nsteps: [{ shell: 'true' }]\n"
      )
      const fromObject = yield* sandboxStartOf((yield* loadScenario(`${dir}/object.yaml`)).scenario, dir)
      // as a config file's are from its own directory, the scenario's config is read from the scenario's
      assert.deepStrictEqual(fromObject.config, {
        $schema: "https://opencode.ai/config.json",
        plugin: [`file://${dir}/guard.js`, "some-npm-plugin"],
        instructions: [`{file:${dir}/rules.md}`]
      })
    }).pipe(Effect.scoped, Effect.provide(PlatformLayer))
  )
})

describe("variables, command lines and document paths", () => {
  it("substitutes known names, keeps $${…} literal, and names the first missing one", () => {
    assert.deepStrictEqual(substitute("chat ${session} $${session}", { session: "ses_1" }), { text: "chat ses_1 ${session}" })
    assert.deepStrictEqual(substitute("${a} ${b} ${c}", { a: "1" }), { missing: "b" })
    // in a shell command another ${NAME} belongs to the shell
    assert.deepStrictEqual(substitute("echo ${HOME} ${session}", { session: "s" }, { keepUnknown: true }), { text: "echo ${HOME} s" })
    assert.deepStrictEqual(referencedVariables("${a} $${b} ${c_1}"), ["a", "c_1"])
    assert.deepStrictEqual(substituteDeep({ reply: { contains: ["${x}", "y"] }, n: 3 }, { x: "X" }), {
      value: { reply: { contains: ["X", "y"] }, n: 3 }
    })
    assert.deepStrictEqual(substituteDeep(["${nope}"], {}), { missing: "nope" })
  })

  it("splits a command line as a shell would, without expanding anything", () => {
    assert.deepStrictEqual(splitWords(`chat ses_1 "Reply with ONLY \\"OK\\"." --system`), ["chat", "ses_1", 'Reply with ONLY "OK".', "--system"])
    assert.deepStrictEqual(splitWords(`send 'it''s' a\\ b "" $HOME`), ["send", "its", "a b", "", "$HOME"])
    assert.deepStrictEqual(splitWords(`chat "open`), { problem: "the command line has an unclosed double quote" })
  })

  it("reads a path of a document: dotted keys, indexes, $. in front", () => {
    const document = { sessionID: "ses_1", proof: { identity: { agent: "proof" } }, items: [{ id: "a" }, { id: "b" }] }
    assert.strictEqual(lookup(document, "sessionID"), "ses_1")
    assert.strictEqual(lookup(document, "$.proof.identity.agent"), "proof")
    assert.strictEqual(lookup(document, "items[1].id"), "b")
    assert.strictEqual(lookup([{ id: "x" }], "[0].id"), "x")
    assert.deepStrictEqual(lookup(document, "$"), document)
    assert.isUndefined(lookup(document, "proof.missing.deeper"))
    assert.isUndefined(lookup(document, "items[5]"))
    assert.isUndefined(pathKeys("a..b"))
  })
})
