/** How `ocm demo` reads: a line per witness as it is proved, then the verdict; `--json`: one document at the end. */
import type { DemoStep } from "../programs/demo.js"
import type { View } from "./Presenter.js"

export const demoView: View<DemoStep> = {
  json: (step) => (step._tag === "Passed" ? { passed: true, witnesses: step.witnesses.map(({ step, proved }) => ({ step, proved })) } : undefined),
  text: (step) =>
    step._tag === "Witness" ? `✓ ${step.step.padEnd(26)} ${step.proved}` : `demo passed: ${step.witnesses.length} witnesses`
}
