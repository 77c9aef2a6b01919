/**
 * `ocm models [PROVIDER[/MODEL]] [--all] [--grep T]`: ready-to-use `provider/model` ids with their variants, of the
 * connected providers by default (as occtl lists them), of the whole catalogue with `--all`.
 */
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { OpenCodeClient } from "../../services/OpenCodeClient.js"
import type { ProviderCatalog } from "../domain/Domain.js"
import { InvalidInput, ModelNotFound } from "../domain/Errors.js"

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

export interface ModelFilters {
  readonly scope?: string | undefined
  /** The whole catalogue, connected or not; otherwise connected providers only. */
  readonly all: boolean
  readonly grep?: string | undefined
}

/** Rows of the catalog that pass the filters, sorted by id. Pure. */
export const modelRows = (catalog: ProviderCatalog, filters: ModelFilters): ReadonlyArray<ModelRow> => {
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
    .filter((row) => filters.all || row.connected)
    .filter((row) => filters.scope === undefined || (filters.scope.includes("/") ? row.id === filters.scope : row.provider === filters.scope))
    .filter((row) => needle === undefined || row.id.toLowerCase().includes(needle) || row.name.toLowerCase().includes(needle))
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
}

/** How a search reads in a message: `"anthropic" with "sonnet" in its id or name`. */
const searchLabel = (filters: ModelFilters) =>
  [
    filters.scope === undefined ? undefined : `"${filters.scope}"`,
    filters.grep === undefined ? undefined : `${filters.scope === undefined ? "" : "with "}"${filters.grep}" in its id or name`
  ]
    .filter((part) => part !== undefined)
    .join(" ")

export const listModels = (
  scope: Option.Option<string>,
  options: { readonly all: boolean; readonly enabled: boolean; readonly grep: Option.Option<string> }
) =>
  Effect.gen(function* () {
    if (options.all && options.enabled) {
      return yield* new InvalidInput({ message: "give --all (the whole catalogue) or --enabled (connected providers, the default), not both" })
    }
    const blank = [
      ["PROVIDER[/MODEL]", Option.getOrUndefined(scope)],
      ["--grep", Option.getOrUndefined(options.grep)]
    ].find(([, value]) => value !== undefined && value.trim() === "")
    if (blank !== undefined) return yield* new InvalidInput({ message: `${blank[0]} must not be blank` })
    const client = yield* OpenCodeClient
    const filters: ModelFilters = { scope: Option.getOrUndefined(scope), all: options.all, grep: Option.getOrUndefined(options.grep) }
    const catalog = yield* client.providerCatalog()
    const rows = modelRows(catalog, filters)
    const searched = filters.scope !== undefined || filters.grep !== undefined
    if (rows.length === 0 && searched) {
      const elsewhere = filters.all ? 0 : modelRows(catalog, { ...filters, all: true }).length
      return yield* new ModelNotFound({
        search: searchLabel(filters),
        detail: filters.all
          ? "in the whole catalogue"
          : elsewhere > 0
            ? `among the connected providers' models; ${elsewhere} in the catalogue: ocm models --all`
            : "in the whole catalogue either"
      })
    }
    return rows
  })
