// A search worker process (cli/workers/pool.ts starts it): runs the trials its parent sends, one at a time.
import { serveJobs } from "../cli/workers/serve.js";
import { runTrial } from "./trial.js";

serveJobs(runTrial, (error) => ({ failed: `internal error: ${error instanceof Error ? error.message : String(error)}`, seconds: 0 }));
