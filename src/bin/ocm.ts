import { ocm } from "../cli/Cli.js"
import { runCli } from "../cli/Main.js"
import { VERSION } from "../domain/Version.js"

runCli("ocm", ocm, VERSION, { helpCommand: true })
