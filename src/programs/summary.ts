/** A compact account of a session (SPEC §5.2 `summary`): tree-aware status, todo, cost and tokens, changes, the latest reply. */
import * as Effect from "effect/Effect"
import { OpenCodeClient } from "../../services/OpenCodeClient.js"
import { ProcessHost } from "../../services/ProcessHost.js"
import type { Session, Tokens as MessageTokens } from "../domain/Domain.js"
import { resolveSession } from "../engine/SessionResolver.js"
import { replyText } from "../engine/TurnEngine.js"
import { treeStatus, type TreeStatus } from "../engine/WaitEngine.js"
import { type FileChange, sessionChanges } from "./diff.js"

/** Tokens summed over the session's assistant messages; `total` is the server's, or the sum of the parts. */
export interface TokenTotals {
  readonly total: number
  readonly input: number
  readonly output: number
  readonly reasoning: number
  readonly cacheRead: number
  readonly cacheWrite: number
}

const noTokens: TokenTotals = { total: 0, input: 0, output: 0, reasoning: 0, cacheRead: 0, cacheWrite: 0 }

const tokensOf = (tokens: MessageTokens | undefined): TokenTotals => {
  if (tokens === undefined) return noTokens
  const { input, output, reasoning } = tokens
  const { read: cacheRead, write: cacheWrite } = tokens.cache
  const total = tokens.total || input + output + reasoning + cacheRead + cacheWrite
  return { total, input, output, reasoning, cacheRead, cacheWrite }
}

const addTokens = (a: TokenTotals, b: TokenTotals): TokenTotals => ({
  total: a.total + b.total,
  input: a.input + b.input,
  output: a.output + b.output,
  reasoning: a.reasoning + b.reasoning,
  cacheRead: a.cacheRead + b.cacheRead,
  cacheWrite: a.cacheWrite + b.cacheWrite
})

const SNIPPET = 200

const snippet = (text: string) => {
  const flat = text.replace(/\s+/g, " ").trim()
  return flat.length <= SNIPPET ? flat : `${flat.slice(0, SNIPPET - 1)}…`
}

/** Files touched, and lines added and removed summed over every turn (a line added, then removed, counts in both). */
const changeTotals = (changes: ReadonlyArray<FileChange>) => ({
  files: new Set(changes.map((change) => change.file)).size,
  additions: changes.reduce((sum, change) => sum + change.additions, 0),
  deletions: changes.reduce((sum, change) => sum + change.deletions, 0)
})

export interface SessionSummary {
  readonly session: Session
  /** The tree's status as the wait engine judges it (with retries, busy sub-agents and blocking requests). */
  readonly state: TreeStatus
  readonly todo: { readonly done: number; readonly inProgress: number; readonly total: number }
  readonly messages: { readonly user: number; readonly assistant: number }
  /** Dollars, summed over the assistant messages. */
  readonly cost: number
  readonly tokens: TokenTotals
  readonly changes: { readonly files: number; readonly additions: number; readonly deletions: number }
  /** The error name of the newest assistant message, if it has one. */
  readonly lastError: string | null
  /** The newest non-empty reply, on one line, at most 200 characters. */
  readonly lastReply: string | null
}

/** Title, status (tree-aware, with retry), todo progress, cost and tokens, files changed, the latest reply. */
export const showSummary = (reference: string | undefined) =>
  Effect.gen(function* () {
    const client = yield* OpenCodeClient
    const host = yield* ProcessHost
    const session = yield* resolveSession(reference, host.cwd)
    const scoped = { directory: session.directory }
    const [state, messages, todos] = yield* Effect.all(
      [treeStatus(session, { mainAgent: false }), client.messages(session.id, scoped), client.todo(session.id, scoped)],
      { concurrency: "unbounded" }
    )
    const changes = yield* sessionChanges(session, messages)
    const assistants = messages.flatMap((message) => (message.info.role === "assistant" ? [{ message, info: message.info }] : []))
    const latest = [...assistants].reverse().find(({ message }) => replyText(message).trim() !== "")
    const summary: SessionSummary = {
      session,
      state,
      todo: {
        done: todos.filter((item) => item.status === "completed").length,
        inProgress: todos.filter((item) => item.status === "in_progress").length,
        total: todos.length
      },
      messages: { user: messages.length - assistants.length, assistant: assistants.length },
      cost: assistants.reduce((sum, { info }) => sum + (info.cost ?? 0), 0),
      tokens: assistants.reduce((sum, { info }) => addTokens(sum, tokensOf(info.tokens)), noTokens),
      changes: changeTotals(changes),
      lastError: assistants[assistants.length - 1]?.info.error?.name ?? null,
      lastReply: latest === undefined ? null : snippet(replyText(latest.message))
    }
    return summary
  })
