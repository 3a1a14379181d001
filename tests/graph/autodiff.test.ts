// Every op's gradient rule (compiler/graph/ops.ts) with its CPU kernel (runtime/cpu/kernels.ts), checked
// against central finite differences in float64 (step 1e-6). Tolerance: relative error ≤ 1e-6, or absolute
// ≤ 1e-8 where the gradient is ~0. Each case reduces the op's output to a scalar with fixed random weights
// so every output element contributes.
import { describe, it } from "vitest";
import type { Dim } from "../../compiler/graph/ir.js";
import type { GraphBuilder } from "../../compiler/graph/ops.js";
import { checkLeaves } from "../helpers/gradcheck.js";

/** Leaves of the given shapes, `body` on them; `positive` shifts the leaves by +3 (divisors, rsqrt's argument). */
function check(shapes: Dim[][], body: (b: GraphBuilder, leaves: number[]) => number, options: { training?: boolean; positive?: boolean; labels?: number[] } = {}) {
  checkLeaves(shapes, body, { training: options.training, labels: options.labels, offset: options.positive ? 3 : 0 });
}

describe("gradients match finite differences", () => {
  it("matmul in all four transpose combinations", () => {
    for (const [ta, tb] of [[false, false], [false, true], [true, false], [true, true]] as const) {
      check([ta ? [4, 3] : [3, 4], tb ? [5, 4] : [4, 5]], (b, [x, w]) => b.matmul(x!, w!, ta, tb));
    }
  });

  it("add, sub, mul and div with broadcasting", () => {
    for (const op of ["add", "sub", "mul", "div"] as const) {
      check([["N", 4], [4]], (b, [x, y]) => b.binary(op, x!, y!), { positive: op === "div" });
      check([["N", 1], [1, 5]], (b, [x, y]) => b.binary(op, x!, y!), { positive: op === "div" });
    }
  });

  it("scale, pow and rsqrt", () => {
    check([["N", 4]], (b, [x]) => b.scale(x!, -2.5));
    check([["N", 4]], (b, [x]) => b.unary("pow", x!, { p: 3 }));
    check([["N", 4]], (b, [x]) => b.unary("rsqrt", x!, { eps: 1e-5 }), { positive: true });
  });

  it("relu, leaky_relu, tanh, sigmoid and softmax", () => {
    check([["N", 6]], (b, [x]) => b.unary("relu", x!));
    check([["N", 6]], (b, [x]) => b.unary("leaky_relu", x!, { alpha: 0.1 }));
    check([["N", 6]], (b, [x]) => b.unary("tanh", x!));
    check([["N", 6]], (b, [x]) => b.unary("sigmoid", x!));
    check([["N", 6]], (b, [x]) => b.unary("softmax", x!));
  });

  it("dropout with its mask fixed by the seed, in training mode", () => {
    check([["N", 8]], (b, [x]) => b.unary("dropout", x!, { p: 0.3, stream: 5 }));
  });

  it("reductions: mean over the batch, sum and mean of everything, sum_to and broadcast_to", () => {
    check([["N", 4]], (b, [x]) => b.unary("mean_batch", x!));
    check([["N", 4]], (b, [x]) => b.unary("sum_all", x!));
    check([["N", 4]], (b, [x]) => b.unary("mean_all", x!));
    check([["N", 4], [4]], (b, [x, y]) => b.add("broadcast_to", [y!, x!], ["N", 4]));
    check([["N", 4]], (b, [x]) => b.add("sum_to", [x!], [1, 4], { shape: [1, 4] }));
  });

  it("softmax cross-entropy with label smoothing, mean and sum", () => {
    for (const reduction of ["mean", "sum"]) {
      check([["N", 5]], (b, [x, labels]) => b.add("softmax_cross_entropy", [x!, labels!], [], { smoothing: 0.1, reduction }), { labels: [0, 3, 4] });
    }
  });

  it("select_mode sends the gradient to the training branch", () => {
    check([["N", 4], ["N", 4]], (b, [x, y]) => b.add("select_mode", [b.unary("tanh", x!), y!], ["N", 4]));
  });
});
