/** How `ocm models` reads: one ready-to-use `provider/model` id a line, with its name and variants. */
import type { ModelRow } from "../programs/models.js"
import type { View } from "./Presenter.js"

const modelLine = (row: ModelRow) =>
  `${row.id}${row.isDefault ? " (default)" : ""}  ${row.name}${row.variants.length > 0 ? `  variants: ${row.variants.join(", ")}` : ""}${row.connected ? "" : "  [not connected]"}`

/** An empty list (no search: a search that matches nothing fails instead) means no provider is connected. */
export const modelsView: View<ReadonlyArray<ModelRow>> = {
  json: (rows) => rows,
  text: (rows) => (rows.length === 0 ? undefined : rows.map(modelLine).join("\n")),
  note: (rows) => (rows.length === 0 ? "ocm: no provider is connected; `ocm models --all` lists the whole catalogue" : undefined)
}
