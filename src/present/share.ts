/** How publishing reads: `share`, `unshare`. */
import type { Shared, Unshared } from "../programs/share.js"
import type { View } from "./Presenter.js"

/** share: the public URL. */
export const sharedView: View<Shared> = {
  json: ({ sessionID, url }) => ({ sessionID, url }),
  text: ({ url }) => url
}

export const unsharedView: View<Unshared> = {
  json: ({ sessionID, wasShared }) => ({ sessionID, shared: false, wasShared }),
  text: ({ sessionID, wasShared }) => (wasShared ? `unshared ${sessionID}` : `unshared ${sessionID} (it was not shared)`)
}
