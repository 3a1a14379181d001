// Training one program on both backends and comparing their per-epoch curves: with the same seed they draw
// the same initial weights, batches, augmentations and dropout masks, so losses agree to f32 rounding
// (1e-4 relative per epoch) and learning rates exactly.
import { expect } from "vitest";
import { trainWebGpu } from "../../cli/backends.js";
import { compileProgram } from "../../compiler/compile.js";
import { trainCpu, type EpochReport } from "../../runtime/cpu/train.js";
import type { Program } from "../../runtime/program.js";

export async function curvesOf(make: () => Program): Promise<{ cpu: EpochReport[]; gpu: EpochReport[] }> {
  const cpu: EpochReport[] = [];
  const gpu: EpochReport[] = [];
  await trainCpu(make(), { onEpoch: (e) => cpu.push(e) });
  await trainWebGpu(make(), { onEpoch: (e) => gpu.push(e) });
  return { cpu, gpu };
}

/** Compiles `source` (which must check clean) afresh for each backend and trains it on both. */
export function curvesOfSource(source: string, file: string): Promise<{ cpu: EpochReport[]; gpu: EpochReport[] }> {
  return curvesOf(() => {
    const result = compileProgram(source, file);
    expect(result.diagnostics.filter((d) => d.severity === "error").map((d) => d.message)).toEqual([]);
    return result.program!;
  });
}

export function expectAgree(a: EpochReport[], b: EpochReport[]): void {
  expect(b.length).toBe(a.length);
  a.forEach((e, i) => {
    expect(Math.abs(b[i]!.train_loss - e.train_loss) / Math.abs(e.train_loss), `train loss, epoch ${i + 1}`).toBeLessThan(1e-4);
    if (e.val_loss !== undefined) expect(Math.abs(b[i]!.val_loss! - e.val_loss) / Math.abs(e.val_loss), `val loss, epoch ${i + 1}`).toBeLessThan(1e-4);
    expect(b[i]!.lr).toBe(e.lr);
  });
}
