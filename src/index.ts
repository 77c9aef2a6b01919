/**
 * opencode-manager as a library: the services, their live and test layers, the programs, the typed errors and
 * the schemas — so another Effect app can run the same proofs.
 */
export * from "./Domain.js"
export * from "./Errors.js"
export { ascendingMessageId, nextMessageId } from "./MessageId.js"
export { resolveServerTarget, type ServerTarget, type TargetFlags, type TargetRule } from "./ServerTarget.js"
export { ping } from "./programs/ping.js"

export { OpenCodeClient, type OpenCodeClientShape } from "../services/OpenCodeClient.js"
export { Sandbox, type SandboxInfo, type SandboxShape } from "../services/Sandbox.js"
export { ModelRequest, ScriptedModel, type ScriptedModelShape } from "../services/ScriptedModel.js"

export * as OpenCodeClientLive from "../layers/OpenCodeClientLive.js"
export * as SandboxLive from "../layers/SandboxLive.js"
export * as ScriptedModelLive from "../layers/ScriptedModelLive.js"
export * as TestLayers from "../layers/TestLayers.js"
