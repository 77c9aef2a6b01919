/**
 * The small language inside a scenario's strings: `${name}` variables (built in, or captured from an earlier step),
 * an ocm command line split into words, and paths into a step's JSON document. Pure.
 */

/** Variables every scenario has, from its sandbox and its file. */
export const builtinVariables = ["project", "url", "modelUrl", "root", "home", "scenarioDir"] as const

const variable = /\$(\$?)\{([A-Za-z_][A-Za-z0-9_]*)\}/g

/** The names a text refers to (`$${name}` is a literal `${name}`, not a reference). */
export const referencedVariables = (text: string): ReadonlyArray<string> =>
  [...text.matchAll(variable)].filter((match) => match[1] === "").map((match) => match[2]!)

/**
 * Replaces each `${name}` by its value. A name without a value is an error, unless `keepUnknown` (a shell command,
 * whose own `${HOME}` belongs to the shell). `$${name}` becomes `${name}`.
 */
export const substitute = (
  text: string,
  values: Readonly<Record<string, string>>,
  options: { readonly keepUnknown?: boolean } = {}
): { readonly text: string } | { readonly missing: string } => {
  let missing: string | undefined
  const replaced = text.replace(variable, (whole, escaped: string, name: string) => {
    if (escaped !== "") return whole.slice(1)
    if (Object.prototype.hasOwnProperty.call(values, name)) return values[name]!
    if (!options.keepUnknown) missing ??= name
    return whole
  })
  return missing === undefined ? { text: replaced } : { missing }
}

/** Every string inside a value (an expectation), substituted; the first missing name fails it. */
export const substituteDeep = (
  value: unknown,
  values: Readonly<Record<string, string>>
): { readonly value: unknown } | { readonly missing: string } => {
  let missing: string | undefined
  const walk = (node: unknown): unknown => {
    if (typeof node === "string") {
      const result = substitute(node, values)
      if ("missing" in result) {
        missing ??= result.missing
        return node
      }
      return result.text
    }
    if (Array.isArray(node)) return node.map(walk)
    if (typeof node === "object" && node !== null) {
      return Object.fromEntries(Object.entries(node).map(([key, inner]) => [key, walk(inner)]))
    }
    return node
  }
  const result = walk(value)
  return missing === undefined ? { value: result } : { missing }
}

/**
 * A command line split into words as a shell would, without any expansion: blanks separate words, single quotes
 * keep everything, double quotes keep everything but `\"` and `\\`, a backslash outside quotes keeps the next
 * character.
 */
export const splitWords = (line: string): ReadonlyArray<string> | { readonly problem: string } => {
  const words: Array<string> = []
  let word = ""
  let inWord = false
  let quote: "'" | '"' | undefined
  for (let i = 0; i < line.length; i++) {
    const char = line[i]!
    if (quote === "'") {
      if (char === "'") quote = undefined
      else word += char
    } else if (quote === '"') {
      if (char === '"') quote = undefined
      else if (char === "\\" && (line[i + 1] === '"' || line[i + 1] === "\\")) word += line[++i]
      else word += char
    } else if (char === "'" || char === '"') {
      quote = char
      inWord = true
    } else if (char === "\\" && i + 1 < line.length) {
      word += line[++i]
      inWord = true
    } else if (/\s/.test(char)) {
      if (inWord) words.push(word)
      word = ""
      inWord = false
    } else {
      word += char
      inWord = true
    }
  }
  if (quote !== undefined) return { problem: `the command line has an unclosed ${quote === "'" ? "single" : "double"} quote` }
  if (inWord) words.push(word)
  return words
}

/** `proof.identity.agent`, `$.items[0].id`, `[2]`: the keys of a path, or undefined when it is not one. */
export const pathKeys = (path: string): ReadonlyArray<string | number> | undefined => {
  const rest = path.startsWith("$") ? path.slice(1) : path
  const keys: Array<string | number> = []
  const pattern = /\.?([A-Za-z_$][\w$-]*)|\[(\d+)\]|\["([^"]*)"\]/y
  let at = 0
  while (at < rest.length) {
    pattern.lastIndex = at
    const match = pattern.exec(rest)
    if (match === null) return undefined
    keys.push(match[1] ?? (match[2] === undefined ? match[3]! : Number(match[2])))
    at = pattern.lastIndex
  }
  return keys
}

/** The value at a path of a document, or undefined when the document has none there. */
export const lookup = (document: unknown, path: string): unknown => {
  const keys = pathKeys(path)
  if (keys === undefined) return undefined
  let node: unknown = document
  for (const key of keys) {
    if (typeof key === "number") {
      if (!Array.isArray(node)) return undefined
      node = node[key]
    } else {
      if (typeof node !== "object" || node === null || !Object.prototype.hasOwnProperty.call(node, key)) return undefined
      node = (node as Record<string, unknown>)[key]
    }
  }
  return node
}

/** A captured value as the text it stands for in later steps (JSON for anything that is not a string). */
export const asText = (value: unknown): string => (typeof value === "string" ? value : JSON.stringify(value))
