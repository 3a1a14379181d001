// `dslc ARGS…` run from the sources (through tsx) in a process of its own, so a test can interrupt it.
import { run } from "../../cli/main.js";

process.exitCode = await run(process.argv.slice(2), {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  isTTY: false,
});
