/**
 * Transitional (issue #8): programs still being moved to results + src/present use these. New code uses
 * src/present/Presenter.ts and services/Progress.ts; this file goes away when the last program is converted.
 */
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import { note as progressNote } from "../services/Progress.js"
import { toJson } from "./present/Presenter.js"

export { table, toJson } from "./present/Presenter.js"

export const emit = (json: boolean, value: unknown, human: () => string) =>
  json ? Console.log(toJson(value)) : Effect.suspend(() => Console.log(human()))

/** A line on stderr: progress, notes, warnings. Never part of the result. */
export const note = (text: string) => progressNote("progress", text)
