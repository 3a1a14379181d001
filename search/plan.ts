// Which values each trial trains with. Stage s trial i's values are a pure function of the seed, s, i and
// the finished results of the stages before s: a resumed study derives them again instead of storing
// plans, and two machines sharing a store would agree on them.
import { uniform } from "../runtime/rng.js";
import { draw, narrowRange, type ParamValue, type Range, type SearchSpace } from "./space.js";

export interface TrialKey {
  stage: number;
  trial: number;
}

export interface TrialResult extends TrialKey {
  params: Record<string, ParamValue>;
  /** The metric at the end of the trial; null when it failed. */
  metric: number | null;
  seconds: number;
  /** Why the trial failed (a training abort, a crash), when it did. */
  failed?: string;
}

/** The ranges one stage samples from. */
export interface StagePlan {
  stage: number;
  trials: number;
  epochs: number;
  ranges: Range[];
}

/** Finished, successful trials, best first (ties by stage and trial, so the order never depends on finishing order). */
export function ranked(results: readonly TrialResult[], mode: "min" | "max"): TrialResult[] {
  const ok = results.filter((r) => r.metric !== null && Number.isFinite(r.metric));
  return ok.sort((a, b) => (mode === "max" ? b.metric! - a.metric! : a.metric! - b.metric!) || a.stage - b.stage || a.trial - b.trial);
}

/**
 * The plan of stage `stage`, from the results of the stages before it. Each later stage keeps `narrow` of
 * the previous stage's range around the best trial so far (the best quarter of the trials' values for a
 * choice).
 */
export function planStage(space: SearchSpace, stage: number, earlier: readonly TrialResult[]): StagePlan {
  let ranges = space.dimensions.map((d) => d.range);
  for (let s = 1; s <= stage; s++) {
    const before = ranked(earlier.filter((r) => r.stage < s), space.mode);
    const keep = space.stages[s]!.narrow;
    const top = before.slice(0, Math.max(1, Math.ceil(before.length * Math.min(keep, 0.25))));
    ranges = ranges.map((range, k) => narrowRange(space.dimensions[k]!.range, range, top.map((r) => r.params[space.dimensions[k]!.name]!), keep));
  }
  const { trials, epochs } = space.stages[stage]!;
  return { stage, trials, epochs, ranges };
}

/** Stage `plan.stage` trial `trial`'s values: one counter-based draw per hyperparameter. */
export function trialParams(space: SearchSpace, plan: StagePlan, trial: number): Record<string, ParamValue> {
  const params: Record<string, ParamValue> = {};
  space.dimensions.forEach((d, k) => (params[d.name] = draw(plan.ranges[k]!, uniform(space.seed, plan.stage, trial, k))));
  return params;
}
