/**
 * The TranscriptStore: live sessions through the OpenCodeClient, export files through the FileSystem.
 * `layer` needs a client; `layerWithoutServer` reads files only, so rendering a file never resolves a server.
 */
import * as FileSystem from "@effect/platform/FileSystem"
import * as Path from "@effect/platform/Path"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import { writeFileAtomic } from "../src/local/Files.js"
import { InvalidInput } from "../src/domain/Errors.js"
import { resolveSession } from "../src/engine/SessionResolver.js"
import { decodeExport, type Transcript } from "../src/transcript/Decode.js"
import { toDocument } from "../src/transcript/View.js"
import { OpenCodeClient, type OpenCodeClientShape } from "../services/OpenCodeClient.js"
import { ProcessHost } from "../services/ProcessHost.js"
import {
  type TranscriptRenderOptions,
  type TranscriptSource,
  TranscriptStore,
  type TranscriptStoreShape,
  type TranscriptWriteOptions,
  type WrittenTranscript
} from "../services/TranscriptStore.js"

const reasonOf = (error: { readonly message: string }) => error.message

export const make = (client: Option.Option<OpenCodeClientShape>) =>
  Effect.gen(function* () {
    const fs = yield* FileSystem.FileSystem
    const path = yield* Path.Path
    const { cwd } = yield* ProcessHost

    const loadSession = (reference: string | undefined) =>
      Option.match(client, {
        onNone: () =>
          Effect.fail(new InvalidInput({ message: "reading a live session needs a server connection; none was configured" })),
        onSome: (client) =>
          Effect.gen(function* () {
            const session = yield* resolveSession(reference, cwd)
            const messages = yield* client.messages(session.id, { directory: session.directory })
            return { session, messages } satisfies Transcript
          }).pipe(Effect.provideService(OpenCodeClient, client))
      })

    const loadFile = (file: string) =>
      fs.readFileString(file).pipe(
        Effect.mapError((error) =>
          new InvalidInput({
            message:
              error._tag === "SystemError" && error.reason === "NotFound"
                ? `cannot read ${file}: no such file`
                : `cannot read ${file}: ${reasonOf(error)}`
          })
        ),
        Effect.flatMap((text) => decodeExport(text, file))
      )

    const load = (source: TranscriptSource) =>
      source._tag === "File" ? loadFile(source.path) : loadSession(source.reference)

    const generatedAt = (options: TranscriptRenderOptions | undefined) =>
      options?.stamp ? Effect.map(Clock.currentTimeMillis, (now) => ({ generatedAt: now })) : Effect.succeed({})

    const content = (text: string) => (text.endsWith("\n") ? text : `${text}\n`)

    const writeAtomically = (target: string, text: string) =>
      writeFileAtomic(target, text).pipe(
        Effect.as(target),
        Effect.mapError((error) =>
          error._tag === "InvalidInput" ? error : new InvalidInput({ message: `cannot write ${target}: ${reasonOf(error)}` })
        ),
        Effect.provideService(FileSystem.FileSystem, fs),
        Effect.provideService(Path.Path, path)
      )

    const writeTemp = (text: string, suffix: string | undefined) =>
      fs.makeTempFile({ prefix: "ocm-transcript-", ...(suffix === undefined ? {} : { suffix }) }).pipe(
        Effect.tap((file) => fs.writeFileString(file, text)),
        Effect.mapError((error) => new InvalidInput({ message: `cannot write a temp file: ${reasonOf(error)}` }))
      )

    const write = (text: string, options: TranscriptWriteOptions) =>
      Effect.gen(function* () {
        const written: { output?: string; teeTemp?: string } = {}
        if (options.output !== undefined) {
          written.output = yield* writeAtomically(path.resolve(cwd, options.output), content(text))
        }
        if (options.teeTemp) written.teeTemp = yield* writeTemp(content(text), options.suffix)
        return written satisfies WrittenTranscript
      })

    return TranscriptStore.of({
      load: Effect.fn("TranscriptStore.load")(load),
      document: Effect.fn("TranscriptStore.document")((transcript, options) =>
        Effect.map(generatedAt(options), (render) => toDocument(transcript, render))
      ),
      write: Effect.fn("TranscriptStore.write")(write)
    } satisfies TranscriptStoreShape)
  })

/** Reads live sessions (through the OpenCodeClient in context) and export files. */
export const layer = Layer.effect(TranscriptStore, Effect.flatMap(OpenCodeClient, (client) => make(Option.some(client))))

/** Reads export files only; a live session source fails with InvalidInput. Needs no server. */
export const layerWithoutServer = Layer.effect(TranscriptStore, make(Option.none()))
