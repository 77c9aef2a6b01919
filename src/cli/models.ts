import * as Args from "@effect/cli/Args"
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as Effect from "effect/Effect"
import { listModels } from "../programs/models.js"
import { clientLayer, connection, json, referenceArg } from "./common.js"

export const modelsCommand = Command.make(
  "models",
  {
    ...connection,
    json,
    enabled: Options.boolean("enabled").pipe(Options.withDescription("only providers that are connected (have credentials or config)")),
    grep: Options.text("grep").pipe(Options.withDescription("only ids or names containing this text (case-insensitive)"), Options.optional),
    scope: referenceArg("provider[/model]").pipe(
      Args.withDescription("only this provider, or exactly this provider/model"),
      Args.optional
    )
  },
  (options) => listModels(options.scope, options).pipe(Effect.provide(clientLayer(options)))
).pipe(Command.withDescription("list models as ready-to-use provider/model ids (for --model), with their variants"))
