// The PyTorch fixtures of optimizer numerics that both the CPU and the WebGPU tests replay
// (tests/golden/make_golden.py writes them): long Adam runs and optimizers driven by momentum-cycling
// schedules.
import * as fs from "node:fs";
import { optimizerDefaults, type OptimizerSpec } from "../../runtime/cpu/optimizers.js";
import type { ScheduleSpec } from "../../runtime/schedules.js";

/** An optimizer as the fixtures state it: only what differs from PyTorch's defaults. */
type PartialSpec = Partial<OptimizerSpec> & { kind: OptimizerSpec["kind"] };

export function fullSpec(partial: PartialSpec): OptimizerSpec {
  return { ...optimizerDefaults(partial.kind), ...partial } as OptimizerSpec;
}

/** tests/golden/long_adam.json: parameters after each step in `checkpoints` (1-based). */
export interface LongAdamGolden {
  steps: number;
  initial: number[];
  grads_sample: Record<string, number[]>;
  checkpoints: number[];
  cases: { name: string; spec: PartialSpec; trajectory: number[][] }[];
}

/** tests/golden/cycled_momentum.json: lr and momentum (or β₁) before every step, parameters after each checkpoint. */
export interface CycledMomentumGolden {
  steps: number;
  initial: number[];
  grads: number[][];
  checkpoints: number[];
  cases: { name: string; optimizer: PartialSpec; schedule: ScheduleSpec; lrs: number[]; momentum: number[]; trajectory: number[][] }[];
}

export function readGolden<T>(name: string): T {
  return JSON.parse(fs.readFileSync(`tests/golden/${name}`, "utf8")) as T;
}

/**
 * long_grad of make_golden.py for step k (0-based) and coordinate i: integer arithmetic and one correctly
 * rounded division, so JavaScript computes the same doubles as Python.
 */
export function longGrad(k: number, i: number): number {
  const u = (((k + 1) * (2 * i + 3) * 7919) % 2003) / 1001.5 - 1;
  const amplitude = Math.floor(k / 400) % 3 === 0 ? 2.0 : 0.5;
  const sign = i % 2 === 0 ? 1.0 : -1.0;
  return sign * amplitude * (0.5 + 0.4 * u);
}

export function longGrads(k: number, size: number): number[] {
  return Array.from({ length: size }, (_, i) => longGrad(k, i));
}
