import { runOcm } from "../Cli.js"
import { runCli } from "../Main.js"

runCli("ocm", runOcm)
