// A worker for pool.test.ts: doubles a number, or dies with the exit code it is asked for.
import { serveJobs } from "../../cli/workers/serve.js";

serveJobs(
  async (job: { value: number; exit?: number }) => {
    if (job.exit !== undefined) {
      process.stderr.write("about to die\n");
      process.exit(job.exit);
    }
    return job.value * 2;
  },
  () => NaN,
);
