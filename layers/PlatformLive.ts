/** The Node platform ocm needs: files, paths, processes, HTTP (one keep-alive agent), and this process (pid, cwd, signals). */
import * as NodeContext from "@effect/platform-node/NodeContext"
import * as Layer from "effect/Layer"
import * as OpenCodeClientLive from "./OpenCodeClientLive.js"
import * as ProcessHostLive from "./ProcessHostLive.js"

export const layer = Layer.mergeAll(NodeContext.layer, OpenCodeClientLive.keepAliveHttpClient, ProcessHostLive.layer)
