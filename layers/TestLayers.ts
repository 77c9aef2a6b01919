/**
 * Test conveniences over the live layers: a real sandbox (scripted model + `opencode serve`) and an OpenCodeClient
 * pointed at it. Build them once per test file (`layer(SandboxClientLayer())(…)` from @effect/vitest); each test
 * uses its own sessions. Only tests import this module; production code and the library use `PlatformLive` and
 * `SandboxLive` directly.
 */
import * as PlatformLive from "./PlatformLive.js"
import * as SandboxLive from "./SandboxLive.js"

/** The Node platform ocm needs (`PlatformLive.layer`). */
export const PlatformLayer = PlatformLive.layer

/** The client of the sandbox in context (`SandboxLive.client`). */
export const clientForSandbox = SandboxLive.client

/** A sandbox and a client of it, over the Node platform (`SandboxLive.withClient`). */
export const SandboxClientLayer = SandboxLive.withClient
