/** Replaced by the bundler with package.json's version; read from there in development. */
declare const __OCM_VERSION__: string | undefined

export const VERSION: string = typeof __OCM_VERSION__ === "string" ? __OCM_VERSION__ : "0.0.0-dev"
