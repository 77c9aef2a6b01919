import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import type { EventSubscription } from "../../services/OpenCodeClient.js"

/** Waits (up to 20 s) for the session to report busy on a subscription made before the prompt was sent. */
export const untilBusy = (subscription: EventSubscription, sessionID: string) =>
  subscription.events.pipe(
    Stream.filter(
      (e) =>
        e.payload.type === "session.status" &&
        e.payload.properties.sessionID === sessionID &&
        e.payload.properties.status.type === "busy"
    ),
    Stream.runHead,
    Effect.timeout("20 seconds")
  )
