/** The Node platform ocm needs: files, paths, processes, HTTP (one keep-alive agent), and this process (pid, cwd, signals). */
import * as NodeCommandExecutor from "@effect/platform-node/NodeCommandExecutor"
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import * as NodePath from "@effect/platform-node/NodePath"
import * as NodeTerminal from "@effect/platform-node/NodeTerminal"
import * as Layer from "effect/Layer"
import * as OpenCodeClientLive from "./OpenCodeClientLive.js"
import * as ProcessHostLive from "./ProcessHostLive.js"

/**
 * Files, paths, child processes and the terminal: `NodeContext.layer` without its worker manager, which ocm never
 * uses and which every start of the CLI would otherwise build.
 */
export const node = Layer.mergeAll(NodePath.layer, NodeCommandExecutor.layer, NodeTerminal.layer).pipe(
  Layer.provideMerge(NodeFileSystem.layer)
)

export const layer = Layer.mergeAll(node, OpenCodeClientLive.keepAliveHttpClient, ProcessHostLive.layer)
