// Runs the checker and lowering for the language server's published diagnostics (what `dslc check`
// reports, so the editor also shows what `dslc train` would refuse: E0601, E0810, …) in a child process, so
// that a check that takes too long (a huge or pathological file, a data file that never ends) can be
// abandoned by killing it: the checker is synchronous and could not be interrupted on the main thread. Not a
// worker thread: one blocked in a FIFO's read can be neither terminated nor left behind (the process then
// never exits); a process can always be killed.
import { compileProgram } from "../compiler/compile.js";
import type { Diagnostic } from "../compiler/diagnostics/diagnostic.js";

export interface CheckJob {
  id: number;
  text: string;
  path: string;
  /** Only the first `limit` diagnostics are sent back: copying 190,000 between threads costs seconds. */
  limit: number;
  /** `["slow-check"]` makes the check spin forever, `["crash-check"]` ends the process: for the tests of the budget. */
  faults: string[];
}

export type CheckReply = { id: number; diagnostics: Diagnostic[]; total: number } | { id: number; error: string };

// Loading the compiler takes a while (seconds from the sources on a busy machine): the time budget of a
// check starts at this message, not while the thread starts.
const reply = (message: CheckReply | "ready") => process.send!(message);
reply("ready");

process.on("message", (job: CheckJob) => {
  try {
    if (job.faults.includes("slow-check")) for (;;);
    if (job.faults.includes("crash-check")) process.exit(70);
    const result = compileProgram(job.text, job.path);
    reply({ id: job.id, diagnostics: result.diagnostics.slice(0, job.limit), total: result.diagnostics.length });
  } catch (error) {
    reply({ id: job.id, error: error instanceof Error ? error.message : String(error) });
  }
});
// The server is gone: so is the reason to exist.
process.on("disconnect", () => process.exit(0));
