// How each loss beyond mse and cross_entropy is lowered, and what is refused: the ops and attributes that
// reach the Program (kl_div's `mean` is PyTorch's batchmean; against class labels it is nll), E0601 where a
// loss meets labels its kernels cannot take, and E0304 where the data cannot match the output at all.
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { compileProgram } from "../../compiler/compile.js";
import type { Program } from "../../runtime/program.js";
import { npyPair } from "../helpers/npy.js";

const classes = (loss: string, out = 3, tail = "") => `model C(x: f32[N, 2]) -> f32[N, ${out}] {
  return x |> dense(${out})${tail}
}
train {
  data = spirals(n: 30, classes: 3)
  loss = ${loss}
  optimizer = sgd(lr: 0.1)
  epochs 1
}
`;

const regression = (loss: string) => `model R(x: f32[N, 1]) -> f32[N, 1] {
  return x |> dense(1)
}
train {
  data = sine(n: 30)
  loss = ${loss}
  optimizer = sgd(lr: 0.1)
  epochs 1
}
`;

const binary = (loss: string) => `model B(x: f32[N, 2]) -> f32[N, 1] {
  return x |> dense(1)
}
train {
  data = xor(n: 8)
  loss = ${loss}
  optimizer = sgd(lr: 0.1)
  epochs 1
}
`;

function lossNode(source: string): { op: string; attrs: Record<string, unknown>; program: Program } {
  const result = compileProgram(source, "loss.dl");
  expect(result.diagnostics.filter((d) => d.severity === "error").map((d) => d.message)).toEqual([]);
  const program = result.program!;
  const node = program.nodes.find((n) => n.op === "pointwise_loss" || n.op === "class_loss")!;
  return { op: node.op, attrs: node.attrs, program };
}

function errors(source: string, file = "loss.dl"): { code: string; message: string }[] {
  return compileProgram(source, file).diagnostics.filter((d) => d.severity === "error").map((d) => ({ code: d.code, message: d.message }));
}

describe("lowering the losses", () => {
  it("regression losses carry their threshold and reduction", () => {
    expect(lossNode(regression("mae()"))).toMatchObject({ op: "pointwise_loss", attrs: { kind: "mae", reduction: "mean" } });
    expect(lossNode(regression("huber(delta: 0.3, reduction: sum)")).attrs).toEqual({ kind: "huber", threshold: 0.3, reduction: "sum" });
    expect(lossNode(regression("smooth_l1(beta: 2)")).attrs).toEqual({ kind: "smooth_l1", threshold: 2, reduction: "mean" });
  });

  it("class losses take class labels; kl_div against them is nll, against distributions batchmean", () => {
    const hinge = lossNode(classes("hinge(margin: 0.5)"));
    expect(hinge).toMatchObject({ op: "class_loss", attrs: { kind: "hinge", margin: 0.5, reduction: "mean" } });
    expect(hinge.program.task).toBe("classification");
    expect(lossNode(classes("nll(reduction: sum)", 3, " |> log_softmax")).attrs).toEqual({ kind: "nll", margin: 0, reduction: "sum" });
    expect(lossNode(classes("kl_div()", 3, " |> log_softmax")).attrs).toEqual({ kind: "nll", margin: 0, reduction: "mean" });
  });

  it("binary losses read two-class labels as the output column's targets", () => {
    const bce = lossNode(binary("bce()"));
    expect(bce.attrs).toEqual({ kind: "bce", threshold: 0, reduction: "mean" });
    // The labels [N] reach the loss reshaped to the output's [N, 1].
    const node = bce.program.nodes.find((n) => n.op === "pointwise_loss")!;
    expect(bce.program.nodes[node.inputs[1]!]).toMatchObject({ op: "reshape", shape: ["N", 1] });
    expect(lossNode(regression("bce_with_logits(reduction: sum)")).attrs).toEqual({ kind: "bce_logits", threshold: 0, reduction: "sum" });
  });

  it("refuses regression losses against class labels (E0601)", () => {
    for (const loss of ["mae", "huber", "smooth_l1"]) {
      // One error, naming the loss only, even with an argument written.
      expect(errors(classes(`${loss}(reduction: sum)`))).toEqual([{ code: "E0601", message: `\`${loss}\` against class labels is not supported by the training backends yet` }]);
    }
  });

  it("rejects outputs the data cannot match (E0304): kl_div's width, binary losses on wide targets", () => {
    expect(errors(classes("kl_div()", 4, " |> log_softmax")).map((e) => e.code)).toEqual(["E0304"]);
    expect(errors(classes("hinge()", 4)).map((e) => e.code)).toEqual(["E0304"]);
    expect(errors(classes("bce()")).map((e) => e.code)).toEqual(["E0304"]);
  });

  it("rejects binary losses on several targets per example, and kl_div whose width differs from the targets' (E0304)", () => {
    const dir = npyPair({ shape: [6, 2], values: Array.from({ length: 12 }, (_, i) => i / 7) }, { shape: [6, 3], values: Array.from({ length: 18 }, (_, i) => (i % 3) / 3 + 0.1) });
    const file = path.join(dir, "loss.dl");
    const data = 'npy(x: "x.npy", y: "y.npy")';
    expect(errors(binary("bce_with_logits()").replace("xor(n: 8)", data), file)).toMatchObject([{ code: "E0304", message: "`bce_with_logits` needs one target per example, but the data has 3" }]);
    expect(errors(classes("kl_div()", 4, " |> log_softmax").replace("spirals(n: 30, classes: 3)", data), file).map((e) => e.code)).toEqual(["E0304"]);
    expect(errors(classes("kl_div()", 3, " |> log_softmax").replace("spirals(n: 30, classes: 3)", data), file)).toEqual([]);
  });
});
