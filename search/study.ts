// The search itself: stage after stage, plan the trials, run the unfinished ones `workers` at a time
// through a TrialRunner, record each result in the store as it finishes. It knows nothing of training:
// the runner (worker processes, or a plain function in tests) turns values into a metric.
import { planStage, ranked, trialParams, type StagePlan, type TrialKey, type TrialResult } from "./plan.js";
import type { ParamValue, SearchSpace } from "./space.js";
import type { TrialStore } from "./store.js";

export interface TrialJob extends TrialKey {
  params: Record<string, ParamValue>;
  epochs: number;
}

/** What a finished trial measured, or why it failed. */
export type TrialOutcome = { metric: number; seconds: number } | { failed: string; seconds: number };

/** Runs one trial; concurrent calls run concurrently. */
export type TrialRunner = (job: TrialJob) => Promise<TrialOutcome>;

export interface StudyEvents {
  onStage?: (plan: StagePlan, done: number) => void;
  onStart?: (job: TrialJob) => void;
  onTrial?: (result: TrialResult) => void;
}

export interface StudyOptions extends StudyEvents {
  space: SearchSpace;
  store: TrialStore;
  run: TrialRunner;
  workers: number;
  /** Polled before each trial starts: true stops the study (trials running are left to the caller). */
  stopped?: () => boolean;
}

export interface StudyResult {
  results: TrialResult[];
  /** Finished, successful trials: the last stage's first, best first within each stage. */
  ranked: TrialResult[];
  /**
   * The best trial of the deepest stage with a finished trial. Stages train for different lengths, so only
   * trials of one stage compare, and the last stage is the one the coarse-to-fine search refined.
   */
  best?: TrialResult;
  /** False when stopped before every trial finished. */
  complete: boolean;
}

export async function runStudy(options: StudyOptions): Promise<StudyResult> {
  const { space, store } = options;
  const stopped = options.stopped ?? (() => false);
  for (let stage = 0; stage < space.stages.length; stage++) {
    const plan = planStage(space, stage, store.results());
    const finished = new Set(store.results().filter((r) => r.stage === stage).map((r) => r.trial));
    options.onStage?.(plan, finished.size);
    const pending = Array.from({ length: plan.trials }, (_, trial) => trial).filter((t) => !finished.has(t));
    await pool(pending, Math.max(1, options.workers), async (trial) => {
      if (stopped() || !store.claim({ stage, trial })) return;
      const job: TrialJob = { stage, trial, params: trialParams(space, plan, trial), epochs: plan.epochs };
      options.onStart?.(job);
      const outcome = await options.run(job).catch((error: unknown) => ({ failed: `the trial's runner failed: ${error instanceof Error ? error.message : String(error)}`, seconds: 0 }));
      // A trial cut short by the interruption is not a result: it runs again when the study resumes.
      if (stopped()) return store.release({ stage, trial });
      const result: TrialResult = { stage, trial, params: job.params, metric: "metric" in outcome ? outcome.metric : null, seconds: outcome.seconds, ...("failed" in outcome ? { failed: outcome.failed } : {}) };
      store.report(result);
      options.onTrial?.(result);
    });
    if (stopped()) break;
  }
  const results = store.results();
  const complete = space.stages.every((s, stage) => results.filter((r) => r.stage === stage).length >= s.trials);
  const byStage = ranked(results, space.mode).sort((a, b) => b.stage - a.stage);
  return { results, ranked: byStage, best: byStage[0], complete };
}

/** Runs `work` on every item, at most `limit` at a time, in order of the items. */
async function pool<T>(items: T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await work(items[next++]!);
  });
  await Promise.all(lanes);
}
