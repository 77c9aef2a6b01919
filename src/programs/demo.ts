/**
 * `ocm demo`: the whole proof contract end to end on a throw-away sandbox with the scripted model, through the
 * same programs the commands use, each witness given as it is proved.
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Mailbox from "effect/Mailbox"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import { ProcessHost } from "../../services/ProcessHost.js"
import { Progress } from "../../services/Progress.js"
import { Sandbox } from "../../services/Sandbox.js"
import { TranscriptStore } from "../../services/TranscriptStore.js"
import { SandboxError } from "../domain/Errors.js"
import { markdownOf } from "../transcript/Markdown.js"
import type { WorldOptions } from "./sandbox.js"
import { beginSession, chat, final, type TurnOptions } from "./turns.js"

/** How the demo's sandbox is started (by whoever provides it: the CLI). */
export interface DemoOptions extends WorldOptions {
  readonly keep: boolean
  readonly opencodeBin: Option.Option<string>
}

export interface Witness {
  readonly _tag: "Witness"
  readonly step: string
  readonly proved: string
}

/** The end of a demo that passed: every witness, in order. */
export interface DemoPassed {
  readonly _tag: "Passed"
  readonly witnesses: ReadonlyArray<Witness>
}

/** A demo proves step by step: a witness as each step is proved, then that it passed. */
export type DemoStep = Witness | DemoPassed

const fail = (reason: string) => Effect.fail(new SandboxError({ reason: `demo: ${reason}` }))

const turnOptions: TurnOptions = {
  agent: Option.none(),
  model: Option.none(),
  variant: Option.none(),
  timeout: Duration.seconds(60),
  abortOnTimeout: false
}

const steps = (publish: (step: DemoStep) => Effect.Effect<void>) =>
  Effect.gen(function* () {
    const witnesses: Array<Witness> = []
    const witness = (step: string, proved: string) => {
      const proof: Witness = { _tag: "Witness", step, proved }
      witnesses.push(proof)
      return publish(proof)
    }
    const sandbox = yield* Sandbox
    const { info } = sandbox
    yield* witness("sandbox", `opencode ${info.opencodeVersion} at ${info.url}, scripted model at ${info.modelUrl}`)

    const begun = yield* beginSession("Reply with ONLY READY.", {
      ...turnOptions,
      agent: Option.some("proof"),
      dir: Option.none(),
      title: Option.some("ocm demo")
    })
    const id = begun.session.id
    if (begun.turn.reply !== "READY") return yield* fail(`begin-session replied "${begun.turn.reply}"`)
    yield* witness(
      "begin-session",
      `${id}: ${begun.turn.proof.assistantMessageIDs.join(",")} answered ${begun.turn.proof.userMessageID} with "READY" (${begun.turn.proof.completedBy})`
    )

    const resumed = yield* chat(id, "Reply with ONLY SECOND.", { ...turnOptions, noReply: false, system: false })
    if (resumed.turn.reply !== "SECOND" || resumed.turn.proof.identity.agent !== "proof") {
      return yield* fail("chat did not resume the proof agent")
    }
    yield* witness(
      "chat",
      `resumed agent "${resumed.turn.proof.identity.agent}" (${resumed.turn.proof.identity.source.agent}); assistant turns ${resumed.turn.proof.assistantTurnsBefore} → ${resumed.turn.proof.assistantTurnsAfter}`
    )

    const queued = yield* chat(id, "Reply with ONLY QUEUED.", { ...turnOptions, noReply: true, system: false })
    if (queued.turn.proof.assistantTurnsAfter !== queued.turn.proof.assistantTurnsBefore) return yield* fail("--no-reply was answered")
    yield* witness(
      "chat --no-reply",
      `${queued.turn.proof.userMessageID} recorded (${queued.turn.proof.recordedBy}); no assistant turn, still ${queued.turn.proof.assistantTurnsAfter}`
    )

    const marker = `DEMO-QUEUED-SYSTEM-${id}`
    const system = yield* chat(id, `Answer tersely. ${marker}`, { ...turnOptions, noReply: true, system: true })
    yield* witness("chat --system --no-reply", `${system.turn.proof.userMessageID} queued an agent-only system prompt`)

    const carried = yield* chat(id, "Reply with ONLY CARRIED.", { ...turnOptions, noReply: false, system: false })
    const reached = (yield* sandbox.modelRequests).filter((request) => request.kind === "chat" && request.system.includes(marker))
    if (!carried.turn.proof.carriedSystemPrompts.some((text) => text.includes(marker)) || reached.length !== 1) {
      return yield* fail("the queued system prompt did not reach the next turn's system message exactly once")
    }
    yield* witness(
      "chat (carries it)",
      `"CARRIED"; the model's request #${reached[0]!.index} had the queued system prompt in its system message`
    )

    const store = yield* TranscriptStore
    const markdown = markdownOf(yield* store.document(yield* store.load({ _tag: "Session", reference: id })))
    // inside the sandbox's dir: it goes with the sandbox, or stays with it under --keep
    const written = yield* store.write(markdown, { output: `${info.root}/transcript.md`, teeTemp: false })
    if (!markdown.includes(marker) || !markdown.includes("CARRIED")) return yield* fail("the transcript misses the system prompt or a reply")
    yield* witness("transcript", `${markdown.split("\n").length} lines with the queued system prompt, at ${written.output}`)

    const finished = yield* final(id, "Reply with ONLY DONE.", { ...turnOptions, transcript: false })
    yield* witness("final", `"${finished.turn.reply}", then deleted: ${id} reads 404`)

    yield* publish({ _tag: "Passed", witnesses })
  })

const proveAll = (publish: (step: DemoStep) => Effect.Effect<void>) =>
  Effect.gen(function* () {
    const { info } = yield* Sandbox
    // sessions of the demo live in the sandbox's own project
    const host = yield* ProcessHost
    // the witnesses say what each program proved; their own notes would only repeat it
    const progress = yield* Progress
    yield* steps(publish).pipe(
      Effect.provideService(ProcessHost, { ...host, cwd: info.projectDir }),
      Effect.provideService(Progress, { ...progress, note: () => Effect.void })
    )
  })

export type DemoError = Effect.Effect.Error<ReturnType<typeof proveAll>>

/**
 * The demo's steps as they are proved, on the sandbox, its client and the transcript store in context (the CLI
 * starts a sandbox for it, with `DemoOptions`, that lives as long as the stream runs).
 */
export const demo = () =>
  Stream.unwrapScoped(
    Effect.gen(function* () {
      const mailbox = yield* Mailbox.make<DemoStep, DemoError>()
      yield* proveAll((step) => Effect.asVoid(mailbox.offer(step))).pipe(Mailbox.into(mailbox), Effect.forkScoped)
      return Mailbox.toStream(mailbox)
    })
  )
