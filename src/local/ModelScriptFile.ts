/**
 * Reading a model script from a file (`ocm sandbox script FILE`): YAML (`.yaml`, `.yml`, and any other name), strict
 * JSON (`.json`) or JSONC (`.jsonc`: comments and trailing commas), decoded strictly with the ModelScript schema.
 * Whatever is wrong is one InvalidInput line naming the file, the line and the problem
 * (`script.yaml:7: rules[1].when.usr: is unexpected`), so that nothing is sent for a file that cannot work.
 */
import * as FileSystem from "@effect/platform/FileSystem"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as ParseResult from "effect/ParseResult"
import { findNodeAtLocation, type ParseError, parse as parseJsonc, parseTree, printParseErrorCode } from "jsonc-parser"
import { LineCounter, parseDocument } from "yaml"
import { decodeModelScript, type ModelScript } from "../../services/ScriptedModel.js"
import { InvalidInput } from "../domain/Errors.js"
import { chooseIssue, formatPath, lineOf, type PathKey } from "../prove/ScenarioFile.js"

interface Parsed {
  readonly value: unknown
  /** The line of the value at a path (or of the nearest one above it). */
  readonly lineAt: (path: ReadonlyArray<PathKey>) => number | undefined
}

const lineOfOffset = (text: string, offset: number) => text.slice(0, offset).split("\n").length

const parseJsonText = (text: string, comments: boolean): Either.Either<Parsed, { line: number; message: string }> => {
  const errors: Array<ParseError> = []
  const options = { allowTrailingComma: comments, disallowComments: !comments, allowEmptyContent: false }
  const value = parseJsonc(text, errors, options) as unknown
  if (errors.length > 0) {
    const error = errors[0]!
    return Either.left({ line: lineOfOffset(text, error.offset), message: `not valid ${comments ? "JSONC" : "JSON"}: ${printParseErrorCode(error.error)}` })
  }
  const tree = parseTree(text, [], options)
  return Either.right({
    value,
    lineAt: (path) => {
      for (let depth = path.length; depth >= 0 && tree !== undefined; depth--) {
        const node = findNodeAtLocation(tree, path.slice(0, depth) as Array<PathKey>)
        // a property's value: the line of its key reads better
        if (node !== undefined) return lineOfOffset(text, node.parent?.type === "property" ? node.parent.offset : node.offset)
      }
      return undefined
    }
  })
}

const parseYamlText = (text: string): Either.Either<Parsed, { line: number; message: string }> => {
  const counter = new LineCounter()
  const doc = parseDocument(text, { lineCounter: counter, prettyErrors: false, uniqueKeys: true })
  if (doc.errors.length > 0) {
    const error = doc.errors[0]!
    return Either.left({
      line: counter.linePos(error.pos[0]).line,
      message: `not valid YAML: ${error.message.replace(/ at line \d+, column \d+.*$/s, "")}`
    })
  }
  return Either.right({ value: doc.toJS() as unknown, lineAt: (path) => lineOf(doc, counter, path) })
}

/** Parses and decodes a script's text; `file` names it in the problem. Pure. */
export const parseModelScript = (file: string, text: string): Either.Either<ModelScript, InvalidInput> => {
  const invalid = (line: number | undefined, message: string) =>
    new InvalidInput({ message: `${file}${line === undefined ? "" : `:${line}`}: ${message}` })
  const parsed = file.endsWith(".json") ? parseJsonText(text, false) : file.endsWith(".jsonc") ? parseJsonText(text, true) : parseYamlText(text)
  if (Either.isLeft(parsed)) return Either.left(invalid(parsed.left.line, parsed.left.message))
  const decoded = decodeModelScript(parsed.right.value)
  if (Either.isRight(decoded)) return Either.right(decoded.right)
  const issue = chooseIssue(ParseResult.ArrayFormatter.formatErrorSync(decoded.left))
  const path = (issue?.path ?? []) as ReadonlyArray<PathKey>
  const where = path.length === 0 ? "" : `${formatPath(path)}: `
  return Either.left(invalid(parsed.right.lineAt(path), `${where}${issue?.message ?? "not a model script"}`))
}

/** Reads a model script file; anything wrong is an InvalidInput `FILE:LINE: …`. */
export const readModelScript = (file: string) =>
  Effect.gen(function* () {
    const fs = yield* FileSystem.FileSystem
    const text = yield* fs.readFileString(file).pipe(
      Effect.mapError((error) => new InvalidInput({ message: `${file}: cannot read it: ${error.message}` }))
    )
    return yield* parseModelScript(file, text)
  })
