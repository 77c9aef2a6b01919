/** Text without ANSI colour and style sequences. */
export const plainText = (text: string) => text.replace(/\u001b\[[0-9;]*m/g, "")

/**
 * A URL as ocm shows it: every query value, the fragment and any `user:password@` replaced by `***` (a query can
 * carry a token, as `?token=…`; a bare `?word` may be one). The one function for every message, hint and report
 * that shows a server URL.
 */
export const redactUrl = (url: string): string => {
  const hashAt = url.indexOf("#")
  const fragment = hashAt === -1 ? "" : "#***"
  const beforeHash = hashAt === -1 ? url : url.slice(0, hashAt)
  const queryAt = beforeHash.indexOf("?")
  const base = (queryAt === -1 ? beforeHash : beforeHash.slice(0, queryAt)).replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/?#]*@/i, "$1***@")
  if (queryAt === -1) return `${base}${fragment}`
  const query = beforeHash
    .slice(queryAt + 1)
    .split("&")
    .map((pair) => {
      const eq = pair.indexOf("=")
      return pair === "" ? pair : eq === -1 ? "***" : `${pair.slice(0, eq)}=***`
    })
    .join("&")
  return `${base}?${query}${fragment}`
}

/** Every http(s) URL inside a text, redacted (`redactUrl`): for messages that quote what a server or node said. */
export const redactUrlsIn = (text: string): string => text.replace(/https?:\/\/[^\s"'<>]+/gi, (url) => redactUrl(url))
