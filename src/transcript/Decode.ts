/**
 * A transcript's source as data: a session and its messages, decoded from an export file (`opencode export` output
 * or `{info, messages}`) with the same schemas the client reads the server with.
 */
import * as Either from "effect/Either"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import { MessageWithParts, Session } from "../domain/Domain.js"
import { TranscriptDecodeError } from "../domain/Errors.js"

export interface Transcript {
  readonly session: Session
  readonly messages: ReadonlyArray<MessageWithParts>
}

/** What `opencode export <id>` prints: the session (`GET /session/{id}`) and its messages (`GET …/message`). */
export const ExportFile = Schema.Struct({
  info: Session,
  messages: Schema.Array(MessageWithParts)
})

// made when a file is decoded, not when the module loads (the parser of a schema is memoised)
const decodeExportFile = (json: unknown) => Schema.decodeUnknownEither(ExportFile, { errors: "all" })(json)

/** Where in the document an issue is, as `messages[3].info.role`. */
const pathText = (path: ReadonlyArray<PropertyKey>) =>
  path.reduce<string>(
    (text, key) => (typeof key === "number" ? `${text}[${key}]` : `${text}${text === "" ? "" : "."}${String(key)}`),
    ""
  )

/** The first few issues, one line each: enough to find the problem without a page of union alternatives. */
const describeIssues = (error: ParseResult.ParseError): string => {
  const issues = ParseResult.ArrayFormatter.formatErrorSync(error)
  const shown = issues.slice(0, 3).map((issue) => {
    const where = pathText(issue.path)
    return where === "" ? issue.message : `at ${where}: ${issue.message}`
  })
  const more = issues.length > shown.length ? ` (and ${issues.length - shown.length} more)` : ""
  return `${shown.join("; ")}${more}`
}

/** Decodes an export file's text (`opencode export` output or `{info, messages}`); `source` names it in errors. */
export const decodeExport = (text: string, source: string): Either.Either<Transcript, TranscriptDecodeError> =>
  Either.try({
    try: (): unknown => JSON.parse(text),
    catch: (error) => new TranscriptDecodeError({ source, detail: `not JSON: ${(error as Error).message}` })
  }).pipe(
    Either.flatMap((json) =>
      decodeExportFile(json).pipe(
        Either.map(({ info, messages }): Transcript => ({ session: info, messages })),
        Either.mapLeft((error) => new TranscriptDecodeError({ source, detail: describeIssues(error) }))
      )
    )
  )
