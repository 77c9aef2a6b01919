/** CLI wiring of the transcript renderer: `ocm transcript` here, and the pieces `opencode-transcript` shares. */
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as TranscriptStoreLive from "../../layers/TranscriptStoreLive.js"
import { transcript, transcriptSource } from "../programs/transcript.js"
import { present } from "../present/Presenter.js"
import { transcriptView } from "../present/transcript.js"
import { clientLayer, type Connection, connection, json, output, sessionArg } from "./common.js"

export const stamp = Options.boolean("stamp").pipe(
  Options.withDescription("add the time of rendering (without it, the same session always renders the same text)")
)

export const input = Options.file("input").pipe(
  Options.withDescription("render this export file (`opencode export` output or {info, messages}) instead of a live session"),
  Options.optional
)

export interface TranscriptCommandOptions extends Connection {
  readonly session: Option.Option<string>
  readonly input: Option.Option<string>
  readonly json: boolean
  readonly output: Option.Option<string>
  readonly teeTemp: boolean
  readonly stamp: boolean
}

/** Renders a file without any server (no URL is resolved); a live session through the resolved server. */
export const runTranscriptCommand = (options: TranscriptCommandOptions) =>
  Effect.flatMap(transcriptSource(options.session, options.input), (source) =>
    transcript({
      source,
      format: options.json ? "json" : "markdown",
      output: Option.getOrUndefined(options.output),
      teeTemp: options.teeTemp,
      stamp: options.stamp
    }).pipe(
      Effect.flatMap(present(transcriptView, options)),
      Effect.provide(
        source._tag === "File"
          ? TranscriptStoreLive.layerWithoutServer
          : TranscriptStoreLive.layer.pipe(Layer.provide(clientLayer(options)))
      )
    )
  )

export const transcriptCommand = Command.make(
  "transcript",
  { session: sessionArg, ...connection, json, ...output, stamp },
  (options) => runTranscriptCommand({ ...options, input: Option.none() })
).pipe(
  Command.withDescription(
    "render a live session as Markdown (or --json): turns, system prompts, replies, reasoning, tool steps, patches"
  )
)
