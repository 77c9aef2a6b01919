/**
 * The live state a step's expectations read — the session on the server, the scripted model's record, files in
 * the project, the events seen — judged by Expect.ts. Only what an expectation asks about is read.
 */
import * as FileSystem from "@effect/platform/FileSystem"
import * as Path from "@effect/platform/Path"
import * as Effect from "effect/Effect"
import { OpenCodeClient, type OpenCodeClientShape } from "../../services/OpenCodeClient.js"
import type { SandboxShape } from "../../services/Sandbox.js"
import type { EventPayload } from "../domain/Domain.js"
import { treeStatus } from "../engine/WaitEngine.js"
import { sessionChanges } from "../programs/diff.js"
import {
  type CheckResult,
  eventChecks,
  type FileFacts,
  fileChecks,
  modelChecks,
  type ModelRequestFacts,
  type SessionFacts,
  sessionChecks
} from "./Expect.js"
import type { Expect, SessionCheck } from "./Scenario.js"

/** An event's type as a person names it (a type ocm does not model, a plugin's own, by its own name). */
export const eventType = (payload: EventPayload): string => (payload.type === "other" ? payload.name : payload.type)

/** What a scenario's checks can look at. */
export interface Observable {
  readonly client: OpenCodeClientShape
  readonly sandbox: SandboxShape
  readonly projectDir: string
  /** The types of the events seen since the scenario started, in order. */
  readonly events: () => ReadonlyArray<string>
}

/** Where a step began: how many events and model requests there were then. */
export interface Window {
  readonly events: number
  readonly requests: number
}

const failedToRead = (what: string, error: { readonly message: string }): CheckResult => ({
  check: what,
  ok: false,
  expected: "readable",
  actual: `could not be read: ${error.message}`
})

const sessionFacts = (id: string, check: SessionCheck) =>
  Effect.gen(function* () {
    const client = yield* OpenCodeClient
    const session = yield* client.getSession(id)
    const scoped = { directory: session.directory }
    const messages = yield* client.messages(id, scoped)
    const todo = check.todo === undefined ? undefined : yield* client.todo(id, scoped)
    const diff = check.diff === undefined ? undefined : (yield* sessionChanges(session, messages)).map((change) => change.patch).join("")
    const status =
      check.status === undefined
        ? undefined
        : yield* Effect.map(treeStatus(session, { mainAgent: false }), (state) => ({
            type: state.status.type,
            blocked: state.blocked.map(({ request }) => ({ permission: request.permission, patterns: request.patterns }))
          }))
    const facts: SessionFacts = { id, messages, todo, diff, status }
    return facts
  })

const modelFacts = (request: { readonly kind: string; readonly system: string; readonly toolNames: ReadonlyArray<string>; readonly lastUserText: string }): ModelRequestFacts => {
  const rule = (request as { readonly rule?: unknown }).rule
  return { ...request, rule: typeof rule === "string" ? rule : undefined }
}

/**
 * The live checks of an expectation (its variables filled in), judged now. `session` is the session a session check
 * is about when it names none.
 */
export const liveChecks = (expect: Expect, session: string | undefined, world: Observable, window: Window) =>
  Effect.gen(function* () {
    const checks: Array<CheckResult> = []
    if (expect.session !== undefined) {
      const id = expect.session.id ?? session
      if (id === undefined) {
        checks.push({
          check: "session",
          ok: false,
          expected: "a session to look at",
          actual: "none: the step names no session and no ${session} was captured (give session.id)"
        })
      } else {
        const facts = yield* Effect.either(sessionFacts(id, expect.session).pipe(Effect.provideService(OpenCodeClient, world.client)))
        checks.push(...(facts._tag === "Right" ? sessionChecks(expect.session, facts.right) : [failedToRead(`session ${id}`, facts.left)]))
      }
    }
    if (expect.model !== undefined) {
      const requests = yield* Effect.either(world.sandbox.modelRequests)
      checks.push(
        ...(requests._tag === "Right"
          ? modelChecks(expect.model, requests.right.slice(window.requests).map(modelFacts))
          : [failedToRead("the model's record", requests.left)])
      )
    }
    if (expect.files !== undefined) {
      const fs = yield* FileSystem.FileSystem
      const path = yield* Path.Path
      const files: Record<string, string | undefined> = {}
      for (const check of expect.files) {
        const text = yield* Effect.option(fs.readFileString(path.resolve(world.projectDir, check.path)))
        files[check.path] = text._tag === "Some" ? text.value : undefined
      }
      checks.push(...fileChecks(expect.files, files satisfies FileFacts))
    }
    if (expect.events !== undefined) checks.push(...eventChecks(expect.events, world.events().slice(window.events)))
    return checks
  })
