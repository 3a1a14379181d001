// An ensemble worker process (pool.ts starts it): trains the members its parent sends, one at a time.
import { runMemberJob, type MemberJobResult } from "./member-job.js";
import { serveJobs } from "./serve.js";

serveJobs(runMemberJob, (error): MemberJobResult => ({ ok: false, reason: `internal error: ${error instanceof Error ? error.message : String(error)}` }));
