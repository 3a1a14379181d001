// The `abs` op of the L1 and elastic-net penalties: its gradient rule against finite differences (float64,
// tests/helpers/gradcheck.ts: relative error below 1e-6), and torch.abs's gradient at 0, which finite
// differences cannot see (a kink): sign(0) = 0, so a weight at exactly 0 gets no L1 gradient.
import { describe, expect, it } from "vitest";
import { ALL_KERNELS } from "../../runtime/cpu/all-kernels.js";
import { checkLeaves } from "../helpers/gradcheck.js";

describe("abs", () => {
  it("matches finite differences, alone and in the elastic-net sum", () => {
    checkLeaves([["N", 7]], (b, [x]) => b.unary("abs", x!));
    checkLeaves([[5, 3]], (b, [w]) => b.binary("add", b.scale(b.unary("sum_all", b.unary("abs", w!)), 0.3), b.scale(b.unary("sum_all", b.binary("mul", w!, w!)), 0.7)));
  });

  it("has gradient sign(x)·dy, 0 at ±0 (torch.abs's)", () => {
    const x = { shape: [5], data: Float32Array.from([-2, -0, 0, 3, -1e-30]) };
    const dy = { shape: [5], data: Float32Array.from([1.5, 2, 2, -0.5, 4]) };
    const ctx = { seed: 0, step: 0, training: true, batch: 1 };
    expect([...ALL_KERNELS["abs"]!([x], {}, ctx, [5]).data]).toEqual([2, 0, 0, 3, Math.fround(1e-30)]);
    expect([...ALL_KERNELS["abs_grad"]!([x, dy], {}, ctx, [5]).data].map((v) => v + 0)).toEqual([-1.5, 0, 0, -0.5, -4]);
  });
});
