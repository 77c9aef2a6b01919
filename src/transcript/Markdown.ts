/**
 * The transcript as Markdown for people (SPEC §5.1), rendered from the view model's document: turns with their
 * prompt, system prompt and replies, tool steps with input and output, agent-only system prompts marked as such.
 */
import type { ModelRef } from "../domain/Domain.js"
import type { Transcript } from "./Decode.js"
import {
  type AssistantView,
  type PartView,
  type RenderOptions,
  toDocument,
  type TokensView,
  type TranscriptDocument,
  type TurnView,
  type UserView
} from "./View.js"

const iso = (ms: number) => new Date(ms).toISOString()

/** A fence longer than any backtick run inside, so text that contains fences cannot break out of its block. */
const fenced = (content: string, language = "text") => {
  const longestRun = Math.max(0, ...(content.match(/`+/g) ?? []).map((run) => run.length))
  const fence = "`".repeat(Math.max(3, longestRun + 1))
  return `${fence}${language}\n${content.replace(/\n$/, "")}\n${fence}`
}

const quoted = (text: string) =>
  text
    .split("\n")
    .map((line) => (line === "" ? ">" : `> ${line}`))
    .join("\n")

const modelText = (model: ModelRef | undefined) =>
  model === undefined ? undefined : `${model.providerID}/${model.modelID}${model.variant ? ` (${model.variant})` : ""}`

const numberText = (value: number) => String(Number(value.toFixed(6)))

const tokensText = (tokens: TokensView | undefined): string | undefined => {
  if (tokens === undefined) return undefined
  return [
    `${tokens.input} in`,
    `${tokens.output} out`,
    tokens.reasoning ? `${tokens.reasoning} reasoning` : undefined,
    tokens.cache.read ? `${tokens.cache.read} cache read` : undefined,
    tokens.cache.write ? `${tokens.cache.write} cache write` : undefined
  ]
    .filter((piece) => piece !== undefined)
    .join(", ")
}

/** `key: value` pairs joined on one line, absent values left out. */
const facts = (pairs: ReadonlyArray<readonly [string, string | undefined]>) =>
  pairs
    .filter(([, value]) => value !== undefined && value !== "")
    .map(([key, value]) => `${key}: ${value}`)
    .join(" · ")

const SYNTHETIC = "*(synthetic: added by OpenCode, not typed by the user)*"

const partMarkdown = (part: PartView): string => {
  switch (part.type) {
    case "text":
      return `${part.synthetic ? `${SYNTHETIC}\n\n` : ""}${part.ignored ? "*(ignored)*\n\n" : ""}${part.text}`
    case "reasoning":
      return `**Reasoning**\n\n${quoted(part.text)}`
    case "tool": {
      const status = part.status === "error" ? "**error**" : part.status
      const head = [
        `**Tool \`${part.tool}\`**`,
        status,
        part.title,
        part.durationSeconds === undefined ? undefined : `${part.durationSeconds} s`
      ]
        .filter((piece) => piece !== undefined && piece !== "")
        .join(" · ")
      const blocks = [head]
      if (part.input !== undefined) blocks.push(`Input:\n\n${fenced(JSON.stringify(part.input, null, 2), "json")}`)
      if (part.output !== undefined) blocks.push(`Output:\n\n${fenced(part.output === "" ? "(empty)" : part.output)}`)
      if (part.error !== undefined) blocks.push(`Error:\n\n${fenced(part.error)}`)
      return blocks.join("\n\n")
    }
    case "patch": {
      const files = part.files.length === 0 ? "(no files)" : part.files.map((file) => `- \`${file}\``).join("\n")
      return `**Patch**${part.hash ? ` \`${part.hash}\`` : ""}\n\n${files}`
    }
    case "step-finish":
      return `*step finished${part.reason ? `: ${part.reason}` : ""}*`
    case "file":
      return `**File** ${[
        part.filename ? `\`${part.filename}\`` : undefined,
        part.mime ? `(${part.mime})` : undefined,
        part.url && part.url !== part.filename ? `<${part.url}>` : undefined
      ]
        .filter((piece) => piece !== undefined)
        .join(" ")}`.trimEnd()
    case "other":
      return `**Part \`${part.partType}\`**\n\n${fenced(JSON.stringify(part.fields, null, 2), "json")}`
  }
}

const userMarkdown = (turn: TurnView, user: UserView): Array<string> => {
  const blocks: Array<string> = [
    `- ${facts([
      ["user message", `\`${user.id}\``],
      ["agent", user.agent],
      ["model", modelText(user.model)],
      ["created", iso(user.created)]
    ])}`
  ]
  if (turn.kind === "system-only") {
    const carried =
      turn.queued === undefined
        ? "A turn ran for it."
        : turn.queued.carriedIntoTurn === null
          ? "Queued: not carried into any later turn yet."
          : `Queued: carried into turn ${turn.queued.carriedIntoTurn}.`
    blocks.push(
      `### System prompt (agent-only)\n\n*Recorded in the session for the agent; not a visible prompt line. ${carried}*`,
      fenced(user.system ?? "")
    )
    // anything OpenCode added to such a message is still shown, marked
    blocks.push(...user.parts.map(partMarkdown))
    return blocks
  }
  if (user.system !== undefined && user.system !== "") blocks.push("### System prompt", fenced(user.system))
  blocks.push("### Prompt")
  // what the user sent is quoted; what OpenCode added to it is marked as such
  blocks.push(
    ...user.parts.map((part) =>
      part.type !== "text"
        ? partMarkdown(part)
        : [part.synthetic ? SYNTHETIC : undefined, part.ignored ? "*(ignored)*" : undefined, quoted(part.text)]
            .filter((block) => block !== undefined)
            .join("\n\n")
    )
  )
  if (user.parts.length === 0) blocks.push("*(no parts)*")
  return blocks
}

const assistantMarkdown = (assistant: AssistantView, index: number, of: number): Array<string> => {
  const blocks = [
    `### Assistant${of > 1 ? ` ${index + 1}/${of}` : ""}`,
    [
      `- ${facts([
        ["assistant message", `\`${assistant.id}\``],
        ["agent", assistant.agent],
        ["model", modelText(assistant.model)]
      ])}`,
      `- ${facts([
        ["duration", assistant.durationSeconds === undefined ? "not completed" : `${assistant.durationSeconds} s`],
        ["finish", assistant.finish],
        ["tokens", tokensText(assistant.tokens)],
        ["cost", assistant.cost === undefined ? undefined : numberText(assistant.cost)]
      ])}`,
      ...(assistant.error === undefined
        ? []
        : [
            `- **error: ${assistant.error.name}${assistant.error.message === undefined ? "" : `: ${assistant.error.message}`}**`
          ])
    ].join("\n")
  ]
  if (assistant.error?.data !== undefined) blocks.push(fenced(JSON.stringify(assistant.error.data, null, 2), "json"))
  // a step that finished the way the message did says nothing the header has not said
  const shown = assistant.parts.filter((part) => !(part.type === "step-finish" && part.reason === assistant.finish))
  blocks.push(...shown.map(partMarkdown))
  if (assistant.parts.length === 0) blocks.push("*(no parts)*")
  return blocks
}

const turnHeading = (turn: TurnView) => {
  switch (turn.kind) {
    case "prompt":
      return `## Turn ${turn.turn}`
    case "system-only":
      return `## Turn ${turn.turn}: ${turn.queued === undefined ? "system prompt only" : "queued system prompt"}`
    case "orphan":
      return `## Turn ${turn.turn}: assistant messages without their user message`
  }
}

const turnMarkdown = (turn: TurnView): string => {
  const blocks = [turnHeading(turn)]
  if (turn.user !== undefined) blocks.push(...userMarkdown(turn, turn.user))
  else blocks.push(`*Parented to \`${turn.assistants[0]?.parentID ?? "?"}\`, which is not in the transcript.*`)
  turn.assistants.forEach((assistant, index) => blocks.push(...assistantMarkdown(assistant, index, turn.assistants.length)))
  if (turn.assistants.length === 0 && turn.kind === "prompt") blocks.push("*No assistant reply.*")
  return blocks.join("\n\n")
}

/** The transcript document as Markdown for people. */
export const markdownOf = (document: TranscriptDocument): string => {
  const { session, counts } = document
  const header = [
    `# Transcript: ${session.title}`,
    [
      `- session: \`${session.id}\``,
      `- directory: \`${session.directory}\``,
      ...(session.parentID ? [`- parent session: \`${session.parentID}\``] : []),
      `- ${facts([
        ["created", iso(session.time.created)],
        ["updated", iso(session.time.updated)]
      ])}`,
      `- ${counts.turns} turns, ${counts.messages} messages (${counts.userMessages} user, ${counts.assistantMessages} assistant)`,
      ...(document.generatedAt === undefined ? [] : [`- generated: ${document.generatedAt}`])
    ].join("\n")
  ]
  return [...header, ...document.turns.map(turnMarkdown)].join("\n\n")
}

export const renderMarkdown = (transcript: Transcript, options: RenderOptions = {}): string =>
  markdownOf(toDocument(transcript, options))
