/** Text without ANSI colour and style sequences. */
export const plainText = (text: string) => text.replace(/\u001b\[[0-9;]*m/g, "")
