// Trials in parallel worker processes (worker.ts), one trial at a time each (the pool: cli/workers/pool.ts).
// A worker that dies fails only its trial, with the reason.
import { performance } from "node:perf_hooks";
import { ProcessPool, workerPath } from "../cli/workers/pool.js";
import type { TrialOutcome, TrialJob, TrialRunner } from "./study.js";
import type { TrialSpec } from "./trial.js";

const WORKER_PATH = workerPath(import.meta.url, "./worker");

export class WorkerPool {
  private readonly pool = new ProcessPool<TrialSpec, TrialOutcome>(WORKER_PATH);

  constructor(private readonly base: Omit<TrialSpec, "params" | "epochs">) {}

  readonly run: TrialRunner = async (job: TrialJob) => {
    const start = performance.now();
    const outcome = await this.pool.run({ ...this.base, params: job.params, epochs: job.epochs });
    return outcome.ok ? outcome.result : { failed: outcome.crashed, seconds: (performance.now() - start) / 1000 };
  };

  /** Ends every worker, those running a trial too (an interrupted study runs those trials again later). */
  close(): void {
    this.pool.close();
  }
}
