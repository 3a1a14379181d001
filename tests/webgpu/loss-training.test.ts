// Whole training runs with each loss beyond mse and cross_entropy, on both backends from the same source:
// the per-epoch losses agree to 1e-4 relative (tests/helpers/backends.ts, f32 rounding), accuracies are
// equal where the task is classification (nll, hinge, kl_div against class labels, and bce and
// bce_with_logits on two-class data, whose accuracy thresholds the single output), and the loss falls.
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import type { EpochReport } from "../../runtime/cpu/train.js";
import { curvesOfSource, expectAgree } from "../helpers/backends.js";
import { npyPair } from "../helpers/npy.js";

const REGRESSION = (loss: string) => `model R(x: f32[N, 1]) -> f32[N, 1] {
  return x |> dense(16) |> tanh |> dense(1)
}
train {
  data = sine(n: 96) |> split(val: 0.25)
  loss = ${loss}
  optimizer = adam(lr: 1e-2)
  epochs 5
  batch 32
  seed 3
}
`;

const CLASSES = (loss: string, tail = "") => `model C(x: f32[N, 2]) -> f32[N, 3] {
  return x |> dense(16) |> relu |> dense(3)${tail}
}
train {
  data = spirals(n: 90, classes: 3) |> split(val: 0.2)
  loss = ${loss}
  optimizer = adam(lr: 1e-2)
  epochs 5
  batch 16
  seed 3
}
`;

const BINARY = (loss: string, tail = "", lr = 0.5) => `model B(x: f32[N, 2]) -> f32[N, 1] {
  return x |> dense(8, init: xavier_uniform) |> tanh |> dense(1)${tail}
}
train {
  data = xor(n: 40) |> split(val: 0.2)
  loss = ${loss}
  optimizer = sgd(lr: ${lr}, momentum: 0.9)
  epochs 8
  batch 8
  seed 5
}
`;

/**
 * Soft targets, which the checker reads as regression data: n points in the plane with, per point, a
 * distribution over 3 classes (a softmax of its coordinates) or one probability (a sigmoid of their sum).
 */
function softTargets(width: 1 | 3): string {
  const n = 60;
  const x = Array.from({ length: 2 * n }, (_, i) => Math.sin(1.7 * i + 0.3) * 2);
  const y: number[] = [];
  for (let r = 0; r < n; r++) {
    const [a, b] = [x[2 * r]!, x[2 * r + 1]!];
    if (width === 1) y.push(1 / (1 + Math.exp(-(a + b))));
    else {
      const e = [Math.exp(a), Math.exp(b), Math.exp(-a - b)];
      const sum = e[0]! + e[1]! + e[2]!;
      y.push(...e.map((v) => v / sum));
    }
  }
  return npyPair({ shape: [n, 2], values: x }, { shape: width === 1 ? [n] : [n, 3], values: y });
}

function expectLearns(cpu: EpochReport[]): void {
  expect(cpu.at(-1)!.train_loss).toBeLessThan(cpu[0]!.train_loss);
}

function expectSameAccuracy(cpu: EpochReport[], gpu: EpochReport[]): void {
  cpu.forEach((e, i) => {
    expect(e.train_accuracy, `train accuracy, epoch ${i + 1}`).toBeDefined();
    expect([gpu[i]!.train_accuracy, gpu[i]!.val_accuracy]).toEqual([e.train_accuracy, e.val_accuracy]);
  });
}

describe("training with each loss agrees on WebGPU and the CPU reference", () => {
  for (const loss of ["mae()", "huber(delta: 0.3)", "smooth_l1(beta: 0.4, reduction: sum)", "huber(reduction: sum)"]) {
    it(`regression: ${loss}`, async () => {
      const { cpu, gpu } = await curvesOfSource(REGRESSION(loss), "loss.dl");
      expectAgree(cpu, gpu);
      expectLearns(cpu);
      expect(cpu[0]!.train_accuracy).toBeUndefined();
    }, 120_000);
  }

  for (const [loss, tail] of [
    ["nll()", " |> log_softmax"],
    ["nll(reduction: sum)", " |> log_softmax"],
    ["hinge()", ""],
    ["hinge(margin: 0.5, reduction: sum)", ""],
    ["kl_div()", " |> log_softmax"],
  ] as const) {
    it(`classification: ${loss}`, async () => {
      const { cpu, gpu } = await curvesOfSource(CLASSES(loss, tail), "loss.dl");
      expectAgree(cpu, gpu);
      expectSameAccuracy(cpu, gpu);
      expectLearns(cpu);
    }, 120_000);
  }

  // The summed loss takes a smaller rate: at 0.5 its steps (8× the mean's) saturate the sigmoid, where
  // bce's log(1 − p) turns f32 rounding of p into loss differences above 1e-4.
  for (const [loss, tail, lr] of [
    ["bce()", " |> sigmoid", 0.5],
    ["bce(reduction: sum)", " |> sigmoid", 0.1],
    ["bce_with_logits()", "", 0.5],
    ["bce_with_logits(reduction: sum)", "", 0.1],
  ] as const) {
    it(`two classes, one output: ${loss}`, async () => {
      const { cpu, gpu } = await curvesOfSource(BINARY(loss, tail, lr), "loss.dl");
      expectAgree(cpu, gpu);
      expectSameAccuracy(cpu, gpu);
      expectLearns(cpu);
      // XOR is learnable: the thresholded output ends up right on most examples.
      expect(cpu.at(-1)!.train_accuracy!).toBeGreaterThan(0.5);
    }, 120_000);
  }

  it("kl_div against target distributions (batchmean), both reductions", async () => {
    const dir = softTargets(3);
    for (const loss of ["kl_div()", "kl_div(reduction: sum)"]) {
      const source = CLASSES(loss, " |> log_softmax").replace("spirals(n: 90, classes: 3)", 'npy(x: "x.npy", y: "y.npy")');
      const { cpu, gpu } = await curvesOfSource(source, path.join(dir, "loss.dl"));
      expectAgree(cpu, gpu);
      expectLearns(cpu);
      expect(cpu[0]!.train_accuracy).toBeUndefined();
    }
  }, 120_000);

  it("bce and bce_with_logits against soft targets in (0, 1)", async () => {
    const dir = softTargets(1);
    for (const [loss, tail] of [["bce()", " |> sigmoid"], ["bce_with_logits(reduction: sum)", ""]] as const) {
      const source = BINARY(loss, tail, 0.1).replace("xor(n: 40)", 'npy(x: "x.npy", y: "y.npy")');
      const { cpu, gpu } = await curvesOfSource(source, path.join(dir, "loss.dl"));
      expectAgree(cpu, gpu);
      expectLearns(cpu);
      expect(cpu[0]!.train_accuracy).toBeUndefined();
    }
  }, 120_000);
});
