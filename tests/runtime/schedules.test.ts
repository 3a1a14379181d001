// Learning-rate schedules against PyTorch 1.13's schedulers (tests/golden/schedules.json): the learning rate
// at each of 200 steps. Tolerance: 1e-9 relative (PyTorch updates some schedules recursively, which
// accumulates rounding; the closed forms here differ from it by ~1e-15 per step).
import * as fs from "node:fs";
import { describe, expect, it } from "vitest";
import { cyclesMomentum, learningRate, PlateauSchedule, scheduleAt, type ScheduleSpec } from "../../runtime/schedules.js";
import { readGolden, type CycledMomentumGolden } from "../helpers/golden.js";

interface Golden {
  lr0: number;
  steps: number;
  cases: { name: string; spec: ScheduleSpec; lrs: number[] }[];
  plateau: { metrics: number[]; cases: { name: string; options: ConstructorParameters<typeof PlateauSchedule>[1]; lrs: number[] }[] };
}

const golden = JSON.parse(fs.readFileSync("tests/golden/schedules.json", "utf8")) as Golden;

describe("schedules match PyTorch at every step", () => {
  for (const c of golden.cases) {
    it(c.name, () => {
      for (let t = 0; t < golden.steps; t++) {
        const expected = c.lrs[t]!;
        const actual = learningRate(c.spec, golden.lr0, t);
        expect(Math.abs(actual - expected), `${c.name} at step ${t}: ${actual} vs ${expected}`).toBeLessThanOrEqual(1e-9 * Math.max(Math.abs(expected), 1e-3));
      }
    });
  }
});

describe("reduce on plateau matches PyTorch", () => {
  for (const c of golden.plateau.cases) {
    it(c.name, () => {
      const schedule = new PlateauSchedule(golden.lr0, c.options);
      const lrs = golden.plateau.metrics.map((m) => schedule.observe(m));
      for (let i = 0; i < lrs.length; i++) expect(lrs[i], `after metric ${i}`).toBeCloseTo(c.lrs[i]!, 12);
    });
  }
});

// Momentum cycling against PyTorch's CyclicLR and OneCycleLR with cycle_momentum=True
// (tests/golden/cycled_momentum.json): the lr and the momentum (β₁ for the Adam family) before each of 100
// optimizer steps. Tolerance: 1e-12 relative (the same closed forms, evaluated in the same order).
describe("cyclic and one_cycle cycle the momentum as PyTorch does", () => {
  const cycled = readGolden<CycledMomentumGolden>("cycled_momentum.json");
  for (const c of cycled.cases) {
    it(c.name, () => {
      for (let t = 0; t < cycled.steps; t++) {
        const { lr, momentum } = scheduleAt(c.schedule, c.optimizer.lr!, t);
        expect(Math.abs(lr - c.lrs[t]!), `lr at step ${t}: ${lr} vs ${c.lrs[t]}`).toBeLessThanOrEqual(1e-12 * c.lrs[t]!);
        expect(Math.abs(momentum! - c.momentum[t]!), `momentum at step ${t}: ${momentum} vs ${c.momentum[t]}`).toBeLessThanOrEqual(1e-12 * c.momentum[t]!);
      }
    });
  }
});

describe("which schedules set the momentum", () => {
  const cyclic: ScheduleSpec = { kind: "cyclic", baseLr: 0.01, maxLr: 0.1, stepSizeUp: 10, mode: "triangular", gamma: 1, cycleMomentum: true, baseMomentum: 0.8, maxMomentum: 0.9 };
  const warmup: ScheduleSpec = { kind: "warmup", duration: 5, from: 0.1 };

  it("cyclic and one_cycle unless cycle_momentum is false, and a sequence through its cycling part only", () => {
    expect(cyclesMomentum(cyclic)).toBe(true);
    expect(cyclesMomentum({ ...cyclic, cycleMomentum: false })).toBe(false);
    expect(cyclesMomentum(warmup)).toBe(false);
    const sequence: ScheduleSpec = { kind: "sequence", stepsPerEpoch: 10, parts: [{ schedule: warmup, length: 5, per: "step" }, { schedule: cyclic, length: 100, per: "step" }] };
    expect(cyclesMomentum(sequence)).toBe(true);
    expect(scheduleAt(sequence, 0.1, 4).momentum).toBeUndefined();
    expect(scheduleAt(sequence, 0.1, 5)).toEqual({ lr: 0.01, momentum: 0.9 });
    expect(scheduleAt({ ...cyclic, cycleMomentum: false }, 0.1, 3).momentum).toBeUndefined();
  });
});

describe("a sequence's parts advance at their own pace", () => {
  // Warmup for 15 steps, then a per-epoch step decay (γ = 0.5 every epoch) with 10 steps per epoch: the
  // decay's epoch count advances at the run's epoch boundaries (steps 20, 30, …), not 10 steps after 15.
  const spec: ScheduleSpec = {
    kind: "sequence",
    stepsPerEpoch: 10,
    parts: [
      { schedule: { kind: "warmup", duration: 15, from: 0 }, length: 15, per: "step" },
      { schedule: { kind: "step", stepSize: 1, gamma: 0.5 }, length: 85, per: "epoch" },
    ],
  };
  it("per-step warmup, then epochs counted from the epoch the part starts in", () => {
    const lrs = [0, 10, 14, 15, 19, 20, 29, 30, 40].map((t) => learningRate(spec, 1, t));
    expect(lrs).toEqual([0, 10 / 15, 14 / 15, 1, 1, 0.5, 0.5, 0.25, 0.125]);
  });
});

describe("sgdr restarts", () => {
  // The closed form of CosineAnnealingWarmRestarts.step(epoch), with a float log: the fixture must contain a
  // step it gets wrong, or the fixture would not test the integer replay of runtime/schedules.ts.
  function floatLogLearningRate(spec: Extract<ScheduleSpec, { kind: "sgdr" }>, lr0: number, t: number): number {
    let tCur = t;
    let period = spec.t0;
    if (t >= spec.t0) {
      const n = Math.floor(Math.log((t / spec.t0) * (spec.tMult - 1) + 1) / Math.log(spec.tMult));
      tCur = t - (spec.t0 * (spec.tMult ** n - 1)) / (spec.tMult - 1);
      period = spec.t0 * spec.tMult ** n;
    }
    return spec.etaMin + ((lr0 - spec.etaMin) * (1 + Math.cos((Math.PI * tCur) / period))) / 2;
  }

  it("the T_mult 10 fixture has a restart that a float log misplaces (step 111: log(1000)/log(10) < 3)", () => {
    const c = golden.cases.find((x) => x.name === "sgdr T_mult 10")!;
    const spec = c.spec as Extract<ScheduleSpec, { kind: "sgdr" }>;
    const wrong = c.lrs.flatMap((lr, t) => (Math.abs(floatLogLearningRate(spec, golden.lr0, t) - lr) > 1e-9 * lr ? [t] : []));
    expect(wrong).toEqual([111]);
  });
});
