/**
 * The one output formatter: a command's result goes to stdout as one JSON document (`--json`) or as text;
 * diagnostics and progress go to stderr.
 */
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"

export const toJson = (value: unknown): string => JSON.stringify(value, null, 2)

export const emit = (json: boolean, value: unknown, human: () => string) =>
  json ? Console.log(toJson(value)) : Effect.suspend(() => Console.log(human()))

/** A line on stderr: progress, notes, warnings. Never part of the result. */
export const note = (text: string) => Console.error(text)

/** Aligned `key  value` lines for human output. */
export const table = (rows: ReadonlyArray<readonly [string, string | number | undefined]>, indent = "  "): string => {
  const present = rows.filter(([, value]) => value !== undefined && value !== "")
  const width = Math.max(0, ...present.map(([key]) => key.length))
  return present.map(([key, value]) => `${indent}${key.padEnd(width)}  ${value}`).join("\n")
}
