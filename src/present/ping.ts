/** How `ocm ping` reads: one line, healthy or not, the version, where and by which rule. */
import type { Ping } from "../programs/ping.js"
import type { View } from "./Presenter.js"

export const pingView: View<Ping> = {
  json: ({ ok, url, rule, version }) => ({ ok, url, rule, version }),
  text: ({ ok, url, rule, version }) => `${ok ? "ok" : "unhealthy"}: opencode ${version} at ${url} (${rule})`
}
