import { ocm } from "../Cli.js"
import { runCli } from "../Main.js"
import { VERSION } from "../Version.js"

runCli("ocm", ocm, VERSION, { helpCommand: true })
