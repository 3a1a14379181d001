// The worker side of pool.ts: answers each job its parent sends with `handle`'s result, one at a time.
// Ctrl-C reaches the whole process group; the parent decides what an interruption means (it ends the
// workers), so a worker ignores SIGINT rather than die and look like a crashed job.
import type { JobMessage, ReplyMessage } from "./pool.js";

/** `failed` turns an error `handle` threw into a result, so that a job always gets an answer. */
export function serveJobs<J, R>(handle: (job: J) => Promise<R>, failed: (error: unknown) => R): void {
  process.on("SIGINT", () => {});
  process.on("disconnect", () => process.exit(0));
  process.on("message", (message: JobMessage<J>) => {
    void handle(message.job)
      .catch(failed)
      .then((result) => process.send!({ id: message.id, result } satisfies ReplyMessage<R>));
  });
  process.send!("ready");
}
