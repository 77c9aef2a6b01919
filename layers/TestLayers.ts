/**
 * Test layers: a real sandbox (scripted model + `opencode serve`) and an OpenCodeClient pointed at it.
 * Build them once per test file (`layer(SandboxClientLayer())(…)` from @effect/vitest); each test uses its own
 * sessions.
 */
import * as NodeContext from "@effect/platform-node/NodeContext"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import { OpenCodeClient } from "../services/OpenCodeClient.js"
import { Sandbox } from "../services/Sandbox.js"
import * as OpenCodeClientLive from "./OpenCodeClientLive.js"
import * as ProcessHostLive from "./ProcessHostLive.js"
import * as SandboxLive from "./SandboxLive.js"

/** The Node platform ocm needs: files, paths, processes, HTTP, and this process (pid, cwd, signals). */
export const PlatformLayer = Layer.mergeAll(NodeContext.layer, OpenCodeClientLive.keepAliveHttpClient, ProcessHostLive.layer)

/** The client of the sandbox in context (with the sandbox's password when it has one). */
export const clientForSandbox = (options?: { readonly password?: string }) =>
  Layer.effect(
    OpenCodeClient,
    Effect.flatMap(Sandbox, ({ info }) =>
      OpenCodeClientLive.makeOpenCodeClient({
        url: info.url,
        rule: "sandbox",
        username: "opencode",
        password: options?.password === undefined ? undefined : Redacted.make(options.password)
      })
    )
  )

/** A sandbox and a client of it, over the Node platform. */
export const SandboxClientLayer = (options?: SandboxLive.SandboxOptions) =>
  clientForSandbox().pipe(
    Layer.provideMerge(SandboxLive.layer(options)),
    Layer.provideMerge(PlatformLayer)
  )
