/**
 * install-skill / view-skill: the SKILL.md that teaches agents to use ocm, installed as an OpenCode user skill.
 * OpenCode 1.18.33 reads `{skill,skills}/**\/SKILL.md` below each of its config directories, the global one being
 * `${XDG_CONFIG_HOME:-~/.config}/opencode`; a directory instance loads its skills when it is first used.
 */
import * as FileSystem from "@effect/platform/FileSystem"
import * as Path from "@effect/platform/Path"
import * as Config from "effect/Config"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { writeFileAtomic } from "../Files.js"
import { InvalidInput } from "../Errors.js"
import { emit, note } from "../Output.js"
import { SKILL_TEXT } from "../SkillText.js"

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

export const installSkill = (options: { readonly force: boolean; readonly json: boolean }) =>
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
      outcome === "unchanged"
        ? "ocm: the skill is already installed and up to date"
        : `ocm: skill ${outcome}; OpenCode loads it when a directory is first used (restart running servers to see it everywhere)`
    )
    yield* emit(options.json, { path: file, outcome }, () => file)
    return { path: file, outcome }
  })

export const viewSkill = (options: { readonly path: boolean; readonly json: boolean }) =>
  Effect.gen(function* () {
    const file = yield* skillInstallPath
    if (options.json) {
      const state = yield* installedState(file)
      return yield* emit(true, { path: file, installed: state, content: SKILL_TEXT }, () => "")
    }
    // the text already ends with a newline: print it byte for byte
    return yield* Console.log(options.path ? file : SKILL_TEXT.replace(/\n$/, ""))
  })
