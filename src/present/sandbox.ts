/** How `ocm sandbox up|down|status|env|script|requests` read. */
import type { ModelRequest, ModelRule, RuleAnswer, RuleCondition, TextCondition } from "../../services/ScriptedModel.js"
import type {
  SandboxDown,
  SandboxEnvironment,
  SandboxRequests,
  SandboxRunning,
  SandboxScriptSet,
  SandboxStatus
} from "../programs/sandbox.js"
import { goneReason, howItEnded, type SandboxState } from "../local/SandboxState.js"
import { table, type View } from "./Presenter.js"

const projectOf = (state: SandboxState) =>
  state.projectSource === undefined
    ? state.projectDir
    : state.inPlace === true
      ? `${state.projectDir} (in place)`
      : `${state.projectDir} (a copy of ${state.projectSource})`

const describe = (state: SandboxState, statePath: string) =>
  [
    `sandbox running at ${state.url} (opencode ${state.opencodeVersion})`,
    table([
      ["project", projectOf(state)],
      ["home", state.home],
      ["model", state.modelUrl],
      ["pids", `supervisor ${state.supervisorPid}, server ${state.serverPid}`],
      ["password", state.passwordFile === undefined ? "none" : `required (the one in ${state.passwordFile})`],
      ["server log", state.logFile],
      ["state", statePath]
    ]),
    `point ocm at it: eval "$(ocm sandbox env)"`
  ].join("\n")

/** `sandbox up`: where it runs, its dirs and pids (`--json`: its state file, and where that is). */
export const sandboxRunningView: View<SandboxRunning> = {
  json: ({ state, statePath }) => ({ ...state, statePath }),
  text: ({ state, statePath }) => describe(state, statePath)
}

export const sandboxDownView: View<SandboxDown> = {
  json: (down) => {
    switch (down._tag) {
      case "ClearedUnreadable":
        return { stopped: false, cleared: down.path }
      case "NoneRunning":
        return { stopped: false }
      case "Stopped":
        return { stopped: true, gone: !down.wasAlive, url: down.state.url, root: down.state.root }
    }
  },
  text: (down) => {
    switch (down._tag) {
      case "ClearedUnreadable":
        return `removed the unreadable sandbox state file ${down.path}`
      case "NoneRunning":
        return "no sandbox was running"
      case "Stopped":
        return down.wasAlive
          ? down.state.inPlace === true
            ? `sandbox at ${down.state.url} stopped and removed; ${down.state.projectDir} (its project, in place) stays`
            : `sandbox at ${down.state.url} stopped and removed`
          : `sandbox at ${down.state.url} was gone (${howItEnded(down.state)}); cleared`
    }
  }
}

export const sandboxStatusView: View<SandboxStatus> = {
  json: (status) =>
    status._tag === "None"
      ? { running: false }
      : { running: status.alive, gone: !status.alive, ...status.state, statePath: status.statePath },
  text: (status) =>
    status._tag === "None"
      ? "no sandbox is running"
      : status.alive
        ? describe(status.state, status.statePath)
        : goneReason(status.state, status.statePath)
}

const shellQuote = (value: string) => (/^[\w@%+=:,./-]+$/.test(value) ? value : `'${value.replaceAll("'", "'\\''")}'`)

/** `sandbox env`: export lines for a POSIX shell (`eval "$(ocm sandbox env)"`). */
export const sandboxEnvironmentView: View<SandboxEnvironment> = {
  json: (env) => env,
  text: (env) =>
    Object.entries(env)
      .map(([key, value]) => `export ${key}=${shellQuote(value)}`)
      .join("\n")
}

/** One line of text, at most `length` characters (an ellipsis says it was cut). */
const excerpt = (text: string, length: number) => {
  const flat = text.replace(/\s+/g, " ").trim()
  return flat.length > length ? `${flat.slice(0, length - 1)}…` : flat
}

const quoted = (text: string, length = 40) => JSON.stringify(excerpt(text, length))

const textCondition = (what: string, condition: TextCondition | undefined) => [
  ...(condition?.contains === undefined ? [] : [`${what} contains ${quoted(condition.contains)}`]),
  ...(condition?.matches === undefined ? [] : [`${what} matches /${condition.matches}/`])
]

/** A rule's `when` in words: "agent build, user contains \"list\"", or "any chat request". */
export const describeWhen = (when: RuleCondition | undefined): string => {
  const parts = [
    ...textCondition("user", when?.user),
    ...textCondition("system", when?.system),
    ...(when?.agent === undefined ? [] : [`agent ${when.agent}`]),
    ...(when?.request === undefined ? [] : [`chat request ${when.request}`]),
    ...(when?.toolResult === undefined ? [] : [`a ${when.toolResult} result`]),
    ...(when?.toolResultContains === undefined ? [] : [`a tool result contains ${quoted(when.toolResultContains)}`])
  ]
  const kind = when?.title === true ? "title request" : "chat request"
  return parts.length === 0 ? `any ${kind}` : `${when?.title === true ? "title request: " : ""}${parts.join(", ")}`
}

/** A rule's `then` in words: "tools bash, read", "reply \"done\"", "error 503". */
export const describeThen = (then: RuleAnswer): string => {
  const parts = then.error !== undefined
    ? [`error ${then.error.status}`]
    : [
      ...(then.reasoning === undefined ? [] : ["reasoning"]),
      ...(then.tools === undefined ? [] : [`tools ${then.tools.map((tool) => tool.name).join(", ")}`]),
      ...(then.reply === undefined ? [] : [`reply ${quoted(then.reply)}`]),
      ...(then.chunk === undefined ? [] : [`in ${then.chunk}-character chunks`])
    ]
  return [...(then.delay === undefined ? [] : [`after ${then.delay}s`]), ...parts].join(", ")
}

const ruleLine = (rule: ModelRule, place: number, used: number) => {
  const label = rule.name ?? `#${place + 1}`
  const times = rule.times === undefined ? `used ${used}` : `used ${used} of ${rule.times}`
  return `  ${label}: ${describeWhen(rule.when)} → ${describeThen(rule.then)} (${times})`
}

/** `sandbox script`: the rules now in force; `--json` the model's script status, with the file. */
export const sandboxScriptView: View<SandboxScriptSet> = {
  json: ({ file, append, status }) => ({ file, append, ...status }),
  text: ({ file, append, status }) => {
    const count = status.rules.length
    const rules = `${count} rule${count === 1 ? "" : "s"}`
    const head = append ? `${file} appended: ${rules} in force` : `${file} is in force: ${rules}`
    return [head, ...status.rules.map((loaded, place) => ruleLine(loaded.rule, place, loaded.used))].join("\n")
  }
}

const requestBlock = (request: ModelRequest) => {
  const results = request.messages.slice(request.messages.map((message) => message.role).lastIndexOf("user") + 1)
    .filter((message) => message.role === "tool")
  const answered = request.status === 200 ? request.action : `${request.action} ${request.status}`
  return [
    `#${request.index} ${request.kind}  rule ${request.rule}  agent ${request.agent ?? "unknown"}  → ${answered}`,
    table([
      ["session", request.sessionID],
      ["user", quoted(request.lastUserText, 100)],
      ["system", request.system === "" ? undefined : quoted(request.system, 100)],
      ["tools", request.toolNames.length === 0 ? "none offered" : request.toolNames.join(", ")],
      ["results", results.length === 0 ? undefined : results.map((message) => message.toolName ?? "?").join(", ")]
    ])
  ].join("\n")
}

/** `sandbox requests`: a block per request (index, kind, rule, agent, what it carried); `--json` the records. */
export const sandboxRequestsView: View<SandboxRequests> = {
  json: ({ requests }) => requests,
  text: ({ requests }) => (requests.length === 0 ? undefined : requests.map(requestBlock).join("\n\n")),
  note: ({ requests }) => (requests.length === 0 ? "the scripted model received no requests" : undefined)
}
