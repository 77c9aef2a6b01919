/** install-skill and view-skill: ocm's SKILL.md for OpenCode-compatible agents. */
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as Effect from "effect/Effect"
import { installSkill, viewSkill } from "../programs/skill.js"
import { present } from "../present/Presenter.js"
import { skillInstalledView, skillView } from "../present/skill.js"
import { json } from "./common.js"

export const installSkillCommand = Command.make(
  "install-skill",
  {
    json,
    force: Options.boolean("force").pipe(Options.withDescription("replace an existing SKILL.md that differs from ocm's"))
  },
  (options) => installSkill(options).pipe(Effect.flatMap(present(skillInstalledView, options)))
).pipe(
  Command.withDescription(
    "install the SKILL.md that teaches agents to use ocm as an OpenCode user skill (${XDG_CONFIG_HOME:-~/.config}/opencode/skills/ocm/SKILL.md); prints its path"
  )
)

export const viewSkillCommand = Command.make(
  "view-skill",
  {
    json,
    path: Options.boolean("path").pipe(Options.withDescription("print where install-skill puts it instead of the text"))
  },
  (options) => viewSkill.pipe(Effect.flatMap(present(skillView(options), options)))
).pipe(Command.withDescription("print ocm's SKILL.md (--path: where it is installed)"))
