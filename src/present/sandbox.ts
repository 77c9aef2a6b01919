/** How `ocm sandbox up|down|status|env` read. */
import type { SandboxDown, SandboxEnvironment, SandboxRunning, SandboxStatus } from "../programs/sandbox.js"
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
