/** How install-skill and view-skill read. */
import type { Skill, SkillInstalled } from "../programs/skill.js"
import type { View } from "./Presenter.js"

/** install-skill: the path (the note says what happened). */
export const skillInstalledView: View<SkillInstalled> = {
  json: ({ path, outcome }) => ({ path, outcome }),
  text: ({ path }) => path
}

/** view-skill: the text byte for byte (`path`: where it is installed); `--json`: both, and what is installed there. */
export const skillView = (options: { readonly path: boolean }): View<Skill> => ({
  json: ({ path, installed, content }) => ({ path, installed, content }),
  // the text already ends with a newline, and a printed line gets one
  text: ({ path, content }) => (options.path ? path : content.replace(/\n$/, ""))
})
