// `repvgg` is exactly its three training branches: a file that writes them out by hand (conv + batchnorm,
// 1×1 conv + batchnorm, identity batchnorm, summed, relu) draws the same initial weights (parameters are
// created in the same order, so each has the same RNG stream) and trains to the same losses on the CPU
// reference. Conv, BatchNorm over channels and their gradients are each checked against PyTorch elsewhere
// (tests/graph/conv.test.ts, tests/graph/norm.test.ts, tests/webgpu/golden-cnn-training.test.ts).
import { describe, expect, it } from "vitest";
import { compileProgram } from "../../compiler/compile.js";
import { trainCpu, type EpochReport } from "../../runtime/cpu/train.js";

const TRAIN = `train {
  data = blobs(n: 96, classes: 3, features: 32) |> split(val: 0.25)
  loss = cross_entropy()
  optimizer = sgd(lr: 0.05, momentum: 0.9)
  epochs 3
  batch 16
  seed 9
}
`;

const block = (body: string) => `model M(x: f32[N, 32]) -> f32[N, 3] {\n  h = x |> reshape([2, 4, 4])\n${body}  return h |> flatten |> dense(3)\n}\n${TRAIN}`;

const BUILTIN = block("  h = h |> repvgg(2) |> repvgg(3, stride: 2)\n");
const BY_HAND = block(`  a = h |> conv2d(2, kernel: 3, padding: 1, bias: false) |> batchnorm
  b = h |> conv2d(2, kernel: 1, bias: false) |> batchnorm
  c = h |> batchnorm
  h = (a + b + c) |> relu
  d = h |> conv2d(3, kernel: 3, stride: 2, padding: 1, bias: false) |> batchnorm
  e = h |> conv2d(3, kernel: 1, stride: 2, bias: false) |> batchnorm
  h = (d + e) |> relu
`);

async function losses(source: string): Promise<{ epochs: EpochReport[]; shapes: number[][] }> {
  const compiled = compileProgram(source, "/virtual/repvgg.dl");
  expect(compiled.diagnostics.filter((d) => d.severity === "error").map((d) => d.message)).toEqual([]);
  const epochs: EpochReport[] = [];
  await trainCpu(compiled.program!, { onEpoch: (e) => epochs.push(e) });
  return { epochs, shapes: compiled.program!.params.map((p) => p.shape) };
}

describe("repvgg", () => {
  it("trains exactly as its branches written by hand (identity branch only where the shape is kept)", async () => {
    const builtin = await losses(BUILTIN);
    const byHand = await losses(BY_HAND);
    expect(builtin.shapes).toEqual(byHand.shapes);
    // First block: 3×3, its BN, 1×1, its BN, identity BN; second block (stride 2, 2 → 3 channels): no identity.
    expect(builtin.shapes.slice(0, 8)).toEqual([[2, 2, 3, 3], [2], [2], [2, 2, 1, 1], [2], [2], [2], [2]]);
    expect(builtin.epochs.length).toBe(3);
    builtin.epochs.forEach((e, k) => {
      expect(e.train_loss).toBeCloseTo(byHand.epochs[k]!.train_loss, 6);
      expect(e.val_loss).toBeCloseTo(byHand.epochs[k]!.val_loss!, 6);
    });
    // And it learns something: the loss falls.
    expect(builtin.epochs[2]!.train_loss).toBeLessThan(builtin.epochs[0]!.train_loss);
  });
});
