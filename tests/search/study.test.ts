// The search logic on a cheap synthetic objective with a known optimum (lr = 0.01, width = 6): a plain
// function stands in for the worker processes, so no training runs.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { checkText } from "../helpers/parse.js";
import { borderWarnings } from "../../search/border.js";
import { planStage, ranked, trialParams, type TrialResult } from "../../search/plan.js";
import { searchSpace, type SearchSpace } from "../../search/space.js";
import { JsonlTrialStore, StudyLogError } from "../../search/store.js";
import { runStudy, type TrialJob, type TrialOutcome } from "../../search/study.js";
import { runTrial } from "../../search/trial.js";

const MODEL = `let lr = 0.1
let width = 4
let act = "relu"
model M(x: f32[N, 2]) -> f32[N, 3] {
  return x |> dense(width) |> relu |> dense(3)
}
train {
  data = spirals(classes: 3) |> split(val: 0.2)
  loss = cross_entropy()
  optimizer = sgd(lr: lr)
  epochs 1
}
`;

function studyFile(search: string): string {
  return `${MODEL}search {\n${search}\n  metric val_accuracy\n  mode max\n}\n`;
}

function spaceOf(text: string): SearchSpace {
  const checked = checkText(text);
  expect(checked.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  return searchSpace(checked.check.searchSpace!);
}

/** Highest (0) at lr = 0.01 and width = 6; "gelu" costs a little. */
function objective(params: TrialJob["params"]): number {
  const lr = params["lr"] as number;
  const width = (params["width"] as number | undefined) ?? 6;
  return -((Math.log10(lr) + 2) ** 2) - ((width - 6) / 4) ** 2 - (params["act"] === "gelu" ? 0.05 : 0);
}

const synthetic = async (job: TrialJob): Promise<TrialOutcome> => ({ metric: objective(job.params), seconds: 0 });

const dirs: string[] = [];
function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dslc-search-"));
  dirs.push(dir);
  return dir;
}
afterAll(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

function store(text: string, dir = tempDir()): JsonlTrialStore {
  return new JsonlTrialStore(path.join(dir, "log.jsonl"), text, "study.dl");
}

const distance = (r: TrialResult) => Math.abs(Math.log10(r.params["lr"] as number) + 2);
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

const COARSE_TO_FINE = studyFile(`  lr ~ loguniform(1e-6, 1)
  width ~ int_uniform(1, 16)
  act ~ choice(["relu", "gelu", "tanh"])
  stage(trials: 30, epochs: 1)
  stage(trials: 12, epochs: 2, narrow: 0.3)
  stage(trials: 12, epochs: 3, narrow: 0.3)
  seed 5`);

describe("search", () => {
  it("reads its space from the checker: distributions, stages and settings", () => {
    const space = spaceOf(COARSE_TO_FINE);
    expect(space.dimensions).toEqual([
      { name: "lr", range: { kind: "loguniform", lo: 1e-6, hi: 1 } },
      { name: "width", range: { kind: "int_uniform", lo: 1, hi: 16 } },
      { name: "act", range: { kind: "choice", values: ["relu", "gelu", "tanh"] } },
    ]);
    expect(space.stages).toEqual([{ trials: 30, epochs: 1, narrow: 1 }, { trials: 12, epochs: 2, narrow: 0.3 }, { trials: 12, epochs: 3, narrow: 0.3 }]);
    expect([space.metric, space.mode, space.seed]).toEqual(["val_accuracy", "max", 5]);
    const single = spaceOf(studyFile("  lr ~ uniform(0.1, 0.2)\n  trials 7\n  epochs 2"));
    expect(single.stages).toEqual([{ trials: 7, epochs: 2, narrow: 1 }]);
  });

  it("coarse to fine: later stages sample narrower ranges around the optimum", async () => {
    const space = spaceOf(COARSE_TO_FINE);
    const jobs: TrialJob[] = [];
    const study = await runStudy({ space, store: store(COARSE_TO_FINE), run: (job) => (jobs.push(job), synthetic(job)), workers: 4 });
    expect(study.complete).toBe(true);
    expect(study.results).toHaveLength(54);
    expect(jobs.map((j) => j.epochs)).toEqual([...Array(30).fill(1), ...Array(12).fill(2), ...Array(12).fill(3)]);
    const stage = (s: number) => study.results.filter((r) => r.stage === s);
    // Each stage lies closer to lr = 0.01 (in decades) than the one before, and its range is narrower.
    const [d0, d1, d2] = [0, 1, 2].map((s) => mean(stage(s).map(distance)));
    expect(d1).toBeLessThan(d0! / 2);
    expect(d2).toBeLessThan(d1!);
    const plans = [0, 1, 2].map((s) => planStage(space, s, study.results));
    const decades = plans.map((p) => (p.ranges[0]!.kind === "loguniform" ? Math.log10(p.ranges[0]!.hi / p.ranges[0]!.lo) : NaN));
    expect(decades[0]).toBeCloseTo(6);
    expect(decades[1]).toBeCloseTo(1.8);
    expect(decades[2]).toBeCloseTo(0.54);
    for (const plan of plans) {
      const range = plan.ranges[0]!;
      if (range.kind === "choice") throw new Error("unexpected");
      expect(range.lo).toBeGreaterThanOrEqual(1e-6);
      expect(range.hi).toBeLessThanOrEqual(1);
    }
    // Integers stay whole; the choice keeps the best trials' values.
    expect(study.results.every((r) => Number.isInteger(r.params["width"]))).toBe(true);
    const bestBefore = (s: number) => ranked(study.results.filter((r) => r.stage < s), "max")[0]!.params["act"];
    for (const s of [1, 2]) expect(plans[s]!.ranges[2]).toEqual({ kind: "choice", values: expect.arrayContaining([bestBefore(s)]) });
    // The reported best is the last stage's: stages train for different lengths, so only one stage's trials compare.
    const best = study.best!;
    expect(best).toEqual(ranked(stage(2), "max")[0]);
    expect(study.ranked.map((r) => r.stage)).toEqual([...study.ranked.map((r) => r.stage)].sort((a, b) => b - a));
    expect(distance(best)).toBeLessThan(0.3);
    expect(best.metric!).toBeGreaterThan(ranked(stage(0), "max")[0]!.metric!);
    expect(Math.abs((best.params["width"] as number) - 6)).toBeLessThanOrEqual(1);
    expect(borderWarnings(space, best)).toEqual([]);
  });

  it("warns (W0801) when the best value lies in the outer 10% of a range too narrow for the optimum", async () => {
    const text = studyFile("  lr ~ loguniform(1e-6, 1e-3)\n  width ~ int_uniform(2, 12)\n  trials 20\n  epochs 1");
    const space = spaceOf(text);
    const study = await runStudy({ space, store: store(text), run: synthetic, workers: 2 });
    const warnings = borderWarnings(space, study.best);
    expect(warnings.map((w) => [w.code, w.param])).toEqual([["W0801", "lr"]]);
    expect(warnings[0]!.message).toMatch(/^the best `lr` \(\S+\) lies in the highest 10% of its range loguniform\(1\.000e-6, 0\.001\) \(log scale\)$/);
    expect(warnings[0]!.help).toBe("the optimum may lie outside the range: widen the range above 0.001, e.g. `lr ~ loguniform(1.000e-6, 0.03162)`");
    // The same search over a range that holds the optimum: no warning.
    const wide = studyFile("  lr ~ loguniform(1e-6, 1)\n  width ~ int_uniform(2, 12)\n  trials 20\n  epochs 1");
    const wideSpace = spaceOf(wide);
    expect(borderWarnings(wideSpace, (await runStudy({ space: wideSpace, store: store(wide), run: synthetic, workers: 2 })).best)).toEqual([]);
  });

  it("the same seed samples the same values; another seed others", () => {
    const values = (seed: number) => {
      const space = spaceOf(COARSE_TO_FINE.replace("seed 5", `seed ${seed}`));
      const plan = planStage(space, 0, []);
      return Array.from({ length: 30 }, (_, i) => trialParams(space, plan, i));
    };
    expect(values(5)).toEqual(values(5));
    const [a, b] = [values(5), values(6)];
    expect(a.filter((p, i) => p["lr"] === b[i]!["lr"])).toEqual([]);
    // Values cover the range: none outside it, both halves (in decades) visited.
    expect(a.every((p) => (p["lr"] as number) >= 1e-6 && (p["lr"] as number) <= 1)).toBe(true);
    expect(a.some((p) => (p["lr"] as number) < 1e-3) && a.some((p) => (p["lr"] as number) > 1e-3)).toBe(true);
  });

  it("an interrupted study resumes where it stopped, runs every trial exactly once, and ends as an uninterrupted one", async () => {
    const space = spaceOf(COARSE_TO_FINE);
    const whole = await runStudy({ space, store: store(COARSE_TO_FINE), run: synthetic, workers: 3 });
    const dir = tempDir();
    const ran: string[] = [];
    let finished = 0;
    const counting = async (job: TrialJob) => {
      ran.push(`${job.stage}/${job.trial}`);
      const outcome = await synthetic(job);
      finished++;
      return outcome;
    };
    // Stopped after 35 results: stage 2 is underway, and trials that were running are given back.
    const first = await runStudy({ space, store: store(COARSE_TO_FINE, dir), run: counting, workers: 3, stopped: () => finished >= 35 });
    expect(first.complete).toBe(false);
    const logged = fs.readFileSync(path.join(dir, "log.jsonl"), "utf8").trim().split("\n");
    expect(logged.length - 1).toBe(first.results.length);
    // The trials still running at the stop were given back, not recorded.
    expect(first.results.length).toBeGreaterThanOrEqual(32);
    expect(first.results.length).toBeLessThan(ran.length);
    const before = new Set(first.results.map((r) => `${r.stage}/${r.trial}`));
    ran.length = 0;
    const second = await runStudy({ space, store: store(COARSE_TO_FINE, dir), run: counting, workers: 3 });
    expect(second.complete).toBe(true);
    expect(ran.filter((k) => before.has(k))).toEqual([]);
    expect(ran.length + before.size).toBe(54);
    const lines = fs.readFileSync(path.join(dir, "log.jsonl"), "utf8").trim().split("\n").slice(1).map((l) => JSON.parse(l) as TrialResult);
    expect(new Set(lines.map((r) => `${r.stage}/${r.trial}`)).size).toBe(54);
    expect(lines).toHaveLength(54);
    expect(second.results).toEqual(whole.results);
  });

  it("a trial that fails is recorded with its reason and the study goes on", async () => {
    const text = studyFile("  lr ~ loguniform(1e-4, 1)\n  trials 6\n  epochs 1");
    const space = spaceOf(text);
    const run = async (job: TrialJob): Promise<TrialOutcome> => {
      if (job.trial === 1) return { failed: "E0701: the loss became NaN", seconds: 1 };
      if (job.trial === 2) throw new Error("the worker process died (SIGKILL)");
      return synthetic(job);
    };
    const study = await runStudy({ space, store: store(text), run, workers: 2 });
    expect(study.complete).toBe(true);
    expect(study.results.filter((r) => r.failed).map((r) => [r.trial, r.metric, r.failed])).toEqual([
      [1, null, "E0701: the loss became NaN"],
      [2, null, "the trial's runner failed: the worker process died (SIGKILL)"],
    ]);
    expect(study.ranked).toHaveLength(4);
  });

  it("a real trial that diverges fails with E0701 instead of stopping the study", async () => {
    const outcome = await runTrial({ text: MODEL, path: "/virtual/model.dl", params: { lr: 1e6 }, epochs: 1, metric: "val_accuracy", backend: "cpu" });
    expect(outcome).toMatchObject({ failed: expect.stringMatching(/^E0701: /) });
    const good = await runTrial({ text: MODEL, path: "/virtual/model.dl", params: { lr: 0.1, width: 8 }, epochs: 1, metric: "val_accuracy", backend: "cpu" });
    expect(good).toMatchObject({ metric: expect.any(Number) });
  });

  describe("the log", () => {
    it("refuses another study's log (E0802)", () => {
      const dir = tempDir();
      store(COARSE_TO_FINE, dir);
      const changed = COARSE_TO_FINE.replace("seed 5", "seed 6");
      expect(() => store(changed, dir)).toThrow(StudyLogError);
      expect(() => store(changed, dir)).toThrow(/^the search log `.*log\.jsonl` belongs to another study \(study\.dl, study [0-9a-f]{16}\); this file's text is study [0-9a-f]{16}$/);
    });

    it("cuts off a line a crash left half-written, so that trial runs again", async () => {
      const dir = tempDir();
      const space = spaceOf(COARSE_TO_FINE);
      const first = store(COARSE_TO_FINE, dir);
      first.report({ stage: 0, trial: 0, params: { lr: 0.1, width: 3, act: "relu" }, metric: -1, seconds: 0 });
      fs.appendFileSync(path.join(dir, "log.jsonl"), '{"stage":0,"trial":1,"par');
      const reopened = store(COARSE_TO_FINE, dir);
      expect(reopened.results().map((r) => r.trial)).toEqual([0]);
      expect(reopened.claim({ stage: 0, trial: 1 })).toBe(true);
      expect(reopened.claim({ stage: 0, trial: 1 })).toBe(false);
      expect(reopened.claim({ stage: 0, trial: 0 })).toBe(false);
      reopened.release({ stage: 0, trial: 1 });
      const study = await runStudy({ space, store: reopened, run: synthetic, workers: 1 });
      expect(study.results).toHaveLength(54);
      expect(() => JSON.parse(`[${fs.readFileSync(path.join(dir, "log.jsonl"), "utf8").trim().split("\n").join(",")}]`)).not.toThrow();
    });

    it("refuses a damaged line in the middle (E0802)", () => {
      const dir = tempDir();
      store(COARSE_TO_FINE, dir);
      fs.appendFileSync(path.join(dir, "log.jsonl"), "not json\n");
      expect(() => store(COARSE_TO_FINE, dir)).toThrow(/^line 2 of the search log `.*` is damaged$/);
    });
  });
});
