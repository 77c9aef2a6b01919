import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as Effect from "effect/Effect"
import * as OpenCodeClientLive from "../../layers/OpenCodeClientLive.js"
import { doctorReport, type DoctorOptions, doctorVerdict } from "../programs/doctor.js"
import { doctorView } from "../present/doctor.js"
import { present } from "../present/Presenter.js"
import { connection, json } from "./common.js"

const skipServerCheck = Options.boolean("skip-server-check").pipe(
  Options.withDescription("do not contact the server: reachability and endpoints are reported as skipped")
)

/** The whole report is printed (text or `--json`) first; then a failed check fails the command (DoctorFailed). */
export const runDoctor = (options: DoctorOptions & { readonly json: boolean }) =>
  doctorReport(options).pipe(
    Effect.provide(OpenCodeClientLive.connector),
    Effect.tap(present(doctorView, options)),
    Effect.flatMap(doctorVerdict)
  )

// The client is made inside the program (by the connector) from the resolved target, so a bad URL is a failed check, not an exit 2.
export const doctorCommand = Command.make("doctor", { ...connection, json, skipServerCheck }, (options) =>
  Effect.asVoid(runDoctor(options))
).pipe(
  Command.withDescription(
    "check OpenCode's config (every source, precedence, the effective model of the local files and of the server), " +
      "which server ocm uses and why, auth, reachability, server version, the endpoints ocm needs, and the sandbox; " +
      "skipped checks are counted as skipped; exit 15 if a check fails"
  )
)
