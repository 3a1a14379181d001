// Learning-rate schedules against PyTorch 1.13's schedulers (tests/golden/schedules.json): the learning rate
// at each of 200 steps. Tolerance: 1e-9 relative (PyTorch updates some schedules recursively, which
// accumulates rounding; the closed forms here differ from it by ~1e-15 per step).
import * as fs from "node:fs";
import { describe, expect, it } from "vitest";
import { learningRate, PlateauSchedule, type ScheduleSpec } from "../../runtime/schedules.js";

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
