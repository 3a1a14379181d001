// How the side-by-side benchmarks time one implementation: warm up (pipeline compilation, autotuning and
// allocation happen there, not in the timed part), size a repetition so it lasts at least `minSeconds`
// (a single step or kernel may be shorter than the timer's noise), repeat, and take the median so that one
// garbage-collection pause or a late compile in one repetition does not decide the result.
import { performance } from "node:perf_hooks";

export interface Rate {
  /** Units per second, median over the repetitions. */
  median: number;
  /** Units per second of each repetition, in the order they ran. */
  runs: number[];
  /** Calls per repetition, chosen so that one repetition lasts at least `minSeconds`. */
  calls: number;
  /** Seconds of one repetition, median. */
  seconds: number;
}

export interface TimingOptions {
  warmup: number;
  minSeconds: number;
  repetitions: number;
}

/** From the environment, so a quick run (`BENCH_REPS=1 BENCH_MIN_SECONDS=0.2`) needs no edit. */
export function timingFromEnv(): TimingOptions {
  const number = (name: string, fallback: number) => {
    const value = Number(process.env[name]);
    return Number.isFinite(value) && value > 0 ? value : fallback;
  };
  return { warmup: Math.round(number("BENCH_WARMUP", 3)), minSeconds: number("BENCH_MIN_SECONDS", 0.5), repetitions: Math.round(number("BENCH_REPS", 5)) };
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** One implementation being timed: `run(times)` does `times` calls and returns once their results are on the
 * host (so the work is done, not just queued); each call is worth `units` (samples, GFLOPs). */
export interface Runner {
  run(times: number): Promise<void>;
  units: number;
}

/**
 * Times several implementations side by side: each is warmed up and sized first, then every repetition
 * times each of them once, in turn, so that load from elsewhere that changes during the run (a shared
 * machine) falls on all of them alike instead of on whichever ran at the busy moment. A runner that throws
 * (a kernel its library lacks) is reported as skipped, with the message, and the others go on.
 */
export async function measureSideBySide(runners: Runner[], options: TimingOptions): Promise<(Rate | { skipped: string })[]> {
  const failed: (string | undefined)[] = runners.map(() => undefined);
  const calls: number[] = runners.map(() => 1);
  const attempt = async (i: number, times: number): Promise<number> => {
    if (failed[i] !== undefined) return 0;
    const start = performance.now();
    try {
      await runners[i]!.run(times);
    } catch (error) {
      failed[i] = (error as Error).message;
    }
    return (performance.now() - start) / 1000;
  };
  for (let i = 0; i < runners.length; i++) {
    await attempt(i, options.warmup);
    const once = await attempt(i, 1);
    calls[i] = Math.max(1, Math.ceil(options.minSeconds / Math.max(once, 1e-6)));
  }
  const seconds: number[][] = runners.map(() => []);
  for (let r = 0; r < options.repetitions; r++) for (let i = 0; i < runners.length; i++) seconds[i]!.push(await attempt(i, calls[i]!));
  return runners.map((runner, i) => {
    if (failed[i] !== undefined) return { skipped: failed[i]! };
    const runs = seconds[i]!.map((s) => (calls[i]! * runner.units) / s);
    return { median: median(runs), runs, calls: calls[i]!, seconds: median(seconds[i]!) };
  });
}
