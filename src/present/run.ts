/** How `ocm run` reads: the reply (or the path it was written to); `--json`: the turn with where its results went. */
import type { RunResult } from "../programs/run.js"
import type { View } from "./Presenter.js"
import { turnJson } from "./turns.js"

export const runView: View<RunResult> = {
  json: (result) => ({
    ...turnJson(result),
    ...(result.reasoning === undefined ? {} : { reasoning: result.reasoning }),
    out: result.out ?? null,
    raw: result.raw ?? null,
    deleted: result.deleted
  }),
  text: (result) => result.out ?? result.shown
}
