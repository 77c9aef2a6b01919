/** `ocm prove`'s report: a line (or, for a failure, a block) per step as it is proved, then per scenario, then the result. */
import { eventJson, eventText } from "../prove/Report.js"
import type { ProveEvent } from "../prove/Runner.js"
import type { View } from "./Presenter.js"

export const proveView: View<ProveEvent> = { json: eventJson, text: eventText }
