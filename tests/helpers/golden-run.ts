// Replaying a whole training run against PyTorch's (the golden-training tests): every step's loss, the final
// parameters and state, and the loss in evaluation mode, on any backend. Tolerance: 2e-5 relative + 2e-6
// absolute unless a run says otherwise (f32 arithmetic on either side).
import { expect } from "vitest";
import { loadSource } from "../../runtime/data/sources.js";
import { runTraining, type TrainingBackend } from "../../runtime/loop.js";
import type { Program } from "../../runtime/program.js";

export interface ExpectedRun {
  losses: number[];
  /** Final values by node id (parameters and state). */
  values: Map<number, { what: string; values: number[] }>;
  evalLoss: number;
}

export function close(actual: ArrayLike<number>, expected: number[], what: string, relative = 2e-5, absolute = 2e-6): void {
  expect(actual.length, what).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    expect(Math.abs(actual[i]! - expected[i]!), `${what}[${i}]: ${actual[i]} vs PyTorch's ${expected[i]}`).toBeLessThanOrEqual(relative * Math.abs(expected[i]!) + absolute);
  }
}

export async function replayRun(program: Program, backend: TrainingBackend & { destroy?: () => void }, run: ExpectedRun, tolerance: { relative?: number; absolute?: number } = {}): Promise<void> {
  const losses: number[] = [];
  await runTraining(program, backend, { onLog: (e) => losses.push(e.loss) });
  close(losses, run.losses, "loss per step", tolerance.relative, tolerance.absolute);
  const saved = (await backend.saveWeights()) as Map<number, Float32Array> | { params: Map<number, Float32Array>; state: Map<number, Float32Array> };
  const values = saved instanceof Map ? saved : new Map([...saved.params, ...saved.state]);
  for (const [node, expected] of run.values) close(values.get(node)!, expected.values, expected.what, tolerance.relative, tolerance.absolute);
  const data = loadSource(program.data.source, program.loop.seed);
  close([(await backend.evaluate(data)).loss], [run.evalLoss], "loss in evaluation mode", tolerance.relative, tolerance.absolute);
  backend.destroy?.();
}
