// house-rules: an OpenCode plugin that changes what reaches the model. Every chat request OpenCode sends gets the
// project's house rule appended to its system prompt, and each new session is announced with a toast, so a client
// watching the server's events sees that the plugin is running, not merely configured.
//
// Plain JavaScript without imports: OpenCode 1.18.33 loads it as it is (named by a config's `plugin` list,
// `ocm … --plugin`, or put in `.opencode/plugin/`), with no package installed. Every export of a plugin module must
// be a plugin function (OpenCode refuses a module that exports anything else), so the rule stays a local constant.

const HOUSE_RULE = "House rule: answer in British English and never use emoji."

/** @type {import("@opencode-ai/plugin").Plugin} */
export const HouseRules = async ({ client }) => ({
  "experimental.chat.system.transform": async (_input, output) => {
    output.system.push(HOUSE_RULE)
  },
  event: async ({ event }) => {
    if (event.type !== "session.created") return
    await client.tui.showToast({
      body: { title: "house-rules", message: `house rules apply to ${event.properties.info.id}`, variant: "info" }
    })
  }
})
