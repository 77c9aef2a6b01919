/** `ocm models [PROVIDER[/MODEL]] [--enabled] [--grep T]`: ready-to-use `provider/model` ids with their variants. */
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { OpenCodeClient } from "../../services/OpenCodeClient.js"
import type { ProviderCatalog } from "../Domain.js"
import { emit } from "../Output.js"

export interface ModelRow {
  /** What `--model` takes: `provider/model`, the model id kept whole even when it has slashes. */
  readonly id: string
  readonly provider: string
  readonly model: string
  readonly name: string
  readonly variants: ReadonlyArray<string>
  readonly connected: boolean
  readonly isDefault: boolean
}

/** Rows of the catalog that pass the filters, sorted by id. Pure. */
export const modelRows = (
  catalog: ProviderCatalog,
  filters: { readonly scope?: string | undefined; readonly enabled: boolean; readonly grep?: string | undefined }
): ReadonlyArray<ModelRow> => {
  const connected = new Set(catalog.connected)
  const needle = filters.grep?.toLowerCase()
  const rows = catalog.all.flatMap((provider) =>
    Object.values(provider.models).map(
      (model): ModelRow => ({
        id: `${provider.id}/${model.id}`,
        provider: provider.id,
        model: model.id,
        name: model.name ?? model.id,
        variants: Object.keys(model.variants ?? {}).sort(),
        connected: connected.has(provider.id),
        isDefault: catalog.default[provider.id] === model.id
      })
    )
  )
  return rows
    .filter((row) => !filters.enabled || row.connected)
    .filter((row) => filters.scope === undefined || (filters.scope.includes("/") ? row.id === filters.scope : row.provider === filters.scope))
    .filter((row) => needle === undefined || row.id.toLowerCase().includes(needle) || row.name.toLowerCase().includes(needle))
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
}

export const listModels = (
  scope: Option.Option<string>,
  options: { readonly enabled: boolean; readonly grep: Option.Option<string>; readonly json: boolean }
) =>
  Effect.gen(function* () {
    const client = yield* OpenCodeClient
    const rows = modelRows(yield* client.providerCatalog(), {
      scope: Option.getOrUndefined(scope),
      enabled: options.enabled,
      grep: Option.getOrUndefined(options.grep)
    })
    yield* emit(options.json, rows, () =>
      rows
        .map(
          (row) =>
            `${row.id}${row.isDefault ? " (default)" : ""}  ${row.name}${row.variants.length > 0 ? `  variants: ${row.variants.join(", ")}` : ""}${row.connected ? "" : "  [not connected]"}`
        )
        .join("\n")
    )
  })
