/**
 * install-skill / view-skill: the SKILL.md that teaches agents to use ocm, installed as an OpenCode user skill.
 * OpenCode 1.18.33 reads `{skill,skills}/**\/SKILL.md` below each of its config directories, the global one being
 * `${XDG_CONFIG_HOME:-~/.config}/opencode`; a directory instance loads its skills when it is first used.
 */
import * as FileSystem from "@effect/platform/FileSystem"
import * as Path from "@effect/platform/Path"
import * as Config from "effect/Config"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { writeFileAtomic } from "../local/Files.js"
import { InvalidInput } from "../domain/Errors.js"
import { note } from "../../services/Progress.js"
import { SKILL_TEXT } from "../local/SkillText.js"

/** `${XDG_CONFIG_HOME:-~/.config}/opencode/skills/ocm/SKILL.md` */
export const skillInstallPath = Effect.gen(function* () {
  const path = yield* Path.Path
  const nonEmpty = (name: string) => Config.string(name).pipe(Config.option, Effect.map(Option.filter((value) => value !== "")))
  const xdg = yield* nonEmpty("XDG_CONFIG_HOME")
  const home = yield* nonEmpty("HOME")
  const base = Option.isSome(xdg)
    ? xdg.value
    : Option.isSome(home)
      ? path.join(home.value, ".config")
      : yield* new InvalidInput({ message: "neither XDG_CONFIG_HOME nor HOME is set: cannot tell where OpenCode's skills live" })
  return path.join(base, "opencode", "skills", "ocm", "SKILL.md")
})

const reasonOf = (error: { readonly message: string }) => error.message

/** What is at the install path now: nothing, this very skill, or something else. */
export type InstalledState = "absent" | "identical" | "different"

const installedState = (file: string) =>
  Effect.gen(function* () {
    const fs = yield* FileSystem.FileSystem
    if (!(yield* fs.exists(file))) return "absent" as const
    const current = yield* fs.readFileString(file)
    return current === SKILL_TEXT ? ("identical" as const) : ("different" as const)
  }).pipe(Effect.mapError((error) => new InvalidInput({ message: `cannot read ${file}: ${reasonOf(error)}` })))

const writeAtomically = (file: string, text: string) =>
  writeFileAtomic(file, text, { makeDirectory: true }).pipe(
    Effect.mapError((error) =>
      error._tag === "InvalidInput" ? error : new InvalidInput({ message: `cannot write ${file}: ${reasonOf(error)}` })
    )
  )

/** Where the skill is, and whether install-skill wrote it, replaced a different one, or found it up to date. */
export interface SkillInstalled {
  readonly path: string
  readonly outcome: "installed" | "unchanged" | "replaced"
}

export const installSkill = (options: { readonly force: boolean }) =>
  Effect.gen(function* () {
    const file = yield* skillInstallPath
    const before = yield* installedState(file)
    if (before === "different" && !options.force) {
      return yield* new InvalidInput({
        message: `${file} exists and differs from ocm's skill; pass --force to replace it (ocm view-skill shows ocm's version)`
      })
    }
    if (before !== "identical") yield* writeAtomically(file, SKILL_TEXT)
    const outcome = before === "absent" ? "installed" : before === "identical" ? "unchanged" : "replaced"
    yield* note(
      "progress",
      outcome === "unchanged"
        ? "ocm: the skill is already installed and up to date"
        : `ocm: skill ${outcome}; OpenCode loads it when a directory is first used (restart running servers to see it everywhere)`
    )
    const result: SkillInstalled = { path: file, outcome }
    return result
  })

/** ocm's skill: its text, where install-skill puts it, and what is there now. */
export interface Skill {
  readonly path: string
  readonly installed: InstalledState
  readonly content: string
}

export const viewSkill = Effect.gen(function* () {
  const path = yield* skillInstallPath
  const skill: Skill = { path, installed: yield* installedState(path), content: SKILL_TEXT }
  return skill
})
