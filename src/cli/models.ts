import * as Args from "@effect/cli/Args"
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as Effect from "effect/Effect"
import { listModels } from "../programs/models.js"
import { modelsView } from "../present/models.js"
import { present } from "../present/Presenter.js"
import { clientLayer, connection, json, referenceArg } from "./common.js"

export const modelsCommand = Command.make(
  "models",
  {
    ...connection,
    json,
    all: Options.boolean("all").pipe(
      Options.withDescription("the whole catalogue, connected or not (default: connected providers only)")
    ),
    enabled: Options.boolean("enabled").pipe(
      Options.withDescription("connected providers only: the default, accepted for occtl's scripts")
    ),
    grep: Options.text("grep").pipe(Options.withDescription("only ids or names containing this text (case-insensitive)"), Options.optional),
    scope: referenceArg("provider[/model]").pipe(
      Args.withDescription("only this provider, or exactly this provider/model"),
      Args.optional
    )
  },
  (options) =>
    listModels(options.scope, options).pipe(Effect.flatMap(present(modelsView, options)), Effect.provide(clientLayer(options)))
).pipe(
  Command.withDescription(
    "list the connected providers' models (--all: the whole catalogue) as ready-to-use provider/model ids, with their variants; a search that matches nothing exits 5"
  )
)
