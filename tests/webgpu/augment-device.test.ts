// On WebGPU, training batches are augmented on the device by the step's first kernels (codegen/wgsl/augment.ts);
// on the CPU reference, on the host (runtime/data/augment.ts). Both draw from the same counter-based hash, so
// for the same seed and step they must produce the same batch: flips, crops and cutout squares exactly (their
// decisions are integer arithmetic on both sides), brightness, contrast, scaling and noise to f32 rounding.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { compileProgram } from "../../compiler/compile.js";
import { planKernels } from "../../codegen/wgsl/plan.js";
import { augmentBatch } from "../../runtime/data/augment.js";
import { augmentationsOf } from "../../runtime/data/pipeline.js";
import { encodeNpy } from "../../runtime/data/npy.js";
import type { Dataset } from "../../runtime/data/sources.js";
import { acquireDevice } from "../../runtime/webgpu/device.js";
import { WebGpuBackend } from "../../runtime/webgpu/backend.js";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dslc-augment-device-"));
afterAll(() => fs.rmSync(dir, { recursive: true }));

// 13 images of 3×7×9 (odd sizes: no workgroup or image dimension is a power of two), distinct smooth values.
const [count, C, H, W] = [13, 3, 7, 9];
const features = C * H * W;
const values = Array.from({ length: count * features }, (_, k) => Math.sin(k * 0.37) * 2 + (k % 5) * 0.25);
fs.writeFileSync(path.join(dir, "x.npy"), encodeNpy(values, [count, C, H, W], "<f4"));
fs.writeFileSync(path.join(dir, "y.npy"), encodeNpy(Array.from({ length: count }, (_, i) => i % 2), [count], "<i8"));
const raw = (): Dataset => ({ x: Float32Array.from(values), y: new Float32Array(count), count, features, targets: 1, shape: [C, H, W] });

function programWith(augmentations: string) {
  const text = `model M(x: f32[N, ${C}, ${H}, ${W}]) -> f32[N, 2] {\n  return x |> flatten |> dense(2)\n}\ntrain {\n  data = npy(x: "x.npy", y: "y.npy") |> augment([${augmentations}])\n  loss = cross_entropy()\n  optimizer = sgd(lr: 0.1)\n  epochs 1\n  batch ${count}\n  seed 23\n}\n`;
  const result = compileProgram(text, path.join(dir, "model.dl"));
  expect(result.diagnostics.map((d) => `${d.code} ${d.message}`)).toEqual([]);
  return result.program!;
}

/** The batch both ways at two steps: [host, device] pairs. */
async function bothWays(augmentations: string): Promise<[Float32Array, Float32Array][]> {
  const program = programWith(augmentations);
  const plan = planKernels(program);
  expect(plan.augment).toHaveLength(augmentationsOf(program.data).length);
  const backend = new WebGpuBackend(await acquireDevice(), program, plan, program.loop.seed, count);
  try {
    const pairs: [Float32Array, Float32Array][] = [];
    for (const step of [0, 5]) {
      const host = augmentBatch(raw(), augmentationsOf(program.data), program.loop.seed, step).x;
      pairs.push([host, await backend.augmentedBatch(raw(), step)]);
    }
    return pairs;
  } finally {
    backend.destroy();
  }
}

function maxError(pairs: [Float32Array, Float32Array][]): number {
  let worst = 0;
  for (const [host, device] of pairs) host.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - device[i]!))));
  return worst;
}

describe("augmentation on the device matches the host's", () => {
  it.each([
    ["hflip(p: 0.5)"],
    ["random_crop(padding: 3)"],
    ["cutout(size: 3, count: 2)"],
    ["hflip(p: 0.7), random_crop(padding: 2), cutout(size: 4)"],
  ])("%s: identical batches", async (augmentations) => {
    const pairs = await bothWays(augmentations);
    for (const [host, device] of pairs) expect(Array.from(device)).toEqual(Array.from(host));
    // The augmentation did something (a test of a no-op would pass trivially).
    expect(pairs.some(([host]) => host.some((v, i) => v !== values[i]))).toBe(true);
  }, 60_000);

  // Values are within ±4; f32 arithmetic against the host's float64 differs by a few units in the last place
  // (~5e-7 at 4); the mean of contrast is summed in another order, and noise's log/cos are the device's own.
  it.each([
    ["brightness(amount: 0.3)", 2e-6],
    ["contrast(amount: 0.4)", 4e-6],
    ["random_scale(min: 0.7, max: 1.3)", 4e-6],
    ["gaussian_noise(std: 0.2)", 1e-5],
    ["hflip(p: 0.5), random_crop(padding: 2), random_scale(min: 0.8, max: 1.2), brightness(amount: 0.2), contrast(amount: 0.3), gaussian_noise(std: 0.1), cutout(size: 3, count: 2)", 2e-5],
  ])("%s: agrees to %s", async (augmentations, tolerance) => {
    const pairs = await bothWays(augmentations);
    expect(maxError(pairs)).toBeLessThan(tolerance);
    expect(pairs.some(([host]) => host.some((v, i) => Math.abs(v - values[i]!) > 1e-3))).toBe(true);
  }, 60_000);

  it("draws anew at every step", async () => {
    const [first, later] = await bothWays("random_crop(padding: 3), brightness(amount: 0.3)");
    expect(Array.from(first![1])).not.toEqual(Array.from(later![1]));
  }, 60_000);
});
