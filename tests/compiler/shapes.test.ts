// Shape inference: the checker's shapes against shapes worked out by hand with PyTorch's formulas.
import * as fs from "node:fs";
import { describe, expect, it } from "vitest";
import type * as A from "../../grammar/ast.js";
import { broadcast, multiplyDims } from "../../compiler/check/shapes.js";
import { runFrontend } from "../../compiler/frontend.js";
import { checkText } from "../helpers/parse.js";

function shapeOf(text: string, name: string): unknown {
  const result = checkText(text);
  expect(result.diagnostics.filter((d) => d.severity === "error").map((d) => d.message)).toEqual([]);
  for (const [node, shape] of result.check.shapes) if ((node as A.Identifier).kind === "Identifier" && (node as A.Identifier).name === name) return shape;
  return undefined;
}

describe("broadcasting", () => {
  it("aligns from the right and stretches ones", () => {
    expect(broadcast(["N", 4], [4])).toEqual(["N", 4]);
    expect(broadcast(["N", 1], [1])).toEqual(["N", 1]);
    expect(broadcast(["N", 3, 1], [5])).toEqual(["N", 3, 5]);
    expect(broadcast(["N", 4], ["N", 8])).toBeUndefined();
  });

  it("keeps symbolic products readable", () => {
    expect(multiplyDims([4, 3, 3])).toBe(36);
    expect(multiplyDims(["C", 2, "H"])).toBe("2*C*H");
  });
});

describe("layer shapes", () => {
  it("follows the digits CNN sample through conv, pool and flatten", () => {
    const text = fs.readFileSync("samples/digits_cnn.dl", "utf8");
    const result = runFrontend(text, "samples/digits_cnn.dl");
    expect(result.diagnostics).toEqual([]);
    const model = result.check.models.get("DigitsCNN")!;
    expect(model.output).toEqual(["N", 10]);
    const shapes = [...result.check.shapes].filter(([n]) => (n as A.Identifier).kind === "Identifier").map(([n, s]) => [(n as A.Identifier).name, s]);
    // conv 3×3 pad 1 keeps 8×8, pool 2 halves: 16×4×4, then 32×2×2.
    expect(shapes).toContainEqual(["h", ["N", 16, 4, 4]]);
    expect(shapes).toContainEqual(["h", ["N", 32, 2, 2]]);
  });

  it("uses PyTorch's conv output formula with stride, padding and dilation", () => {
    // ⌊(28 + 2·1 − 2·(5 − 1) − 1)/2⌋ + 1 = 11
    expect(shapeOf("model M(x: f32[N, 3, 28, 28]) {\n  h = x |> conv2d(6, kernel: 5, stride: 2, padding: 1, dilation: 2)\n  return h\n}\n", "h")).toEqual(["N", 6, 11, 11]);
    expect(shapeOf("model M(x: f32[N, 3, 9, 7]) {\n  h = x |> conv2d(4, kernel: [3, 1])\n  return h\n}\n", "h")).toEqual(["N", 4, 7, 7]);
    expect(shapeOf("model M(x: f32[N, 3, 9, 9]) {\n  h = x |> avgpool(3, stride: 2)\n  return h\n}\n", "h")).toEqual(["N", 3, 4, 4]);
  });

  it("infers reshape's -1 and maxout's width", () => {
    expect(shapeOf("model M(x: f32[N, 64]) {\n  h = x |> reshape([4, -1])\n  return h\n}\n", "h")).toEqual(["N", 4, 16]);
    expect(shapeOf("model M(x: f32[N, 2]) {\n  h = x |> dense(12) |> maxout(k: 4)\n  return h\n}\n", "h")).toEqual(["N", 3]);
  });

  it("computes concat, reductions, matmul and broadcast arithmetic", () => {
    const model = "model M(x: f32[N, 4]) {\n  a = x |> dense(3)\n  b = x |> dense(5)\n  c = concat([a, b])\n  s = sum(c, axis: 1, keepdim: true)\n  m = mean(c, keepdim: true)\n  w = param([8, 2])\n  p = c @ w\n  q = p * 2 + s\n  return q + m\n}\n";
    expect(shapeOf(model, "c")).toEqual(["N", 8]);
    expect(shapeOf(model, "s")).toEqual(["N", 1]);
    expect(shapeOf(model, "m")).toEqual(["N", 1]);
    expect(shapeOf(model, "p")).toEqual(["N", 2]);
    expect(shapeOf(model, "q")).toEqual(["N", 2]);
  });

  it("takes sizes from lets and from a block's symbols", () => {
    const text = "let width = 32\nblock Twice(x: f32[N, D]) -> f32[N, D] {\n  return x |> dense(D) |> relu |> dense(D)\n}\nmodel M(x: f32[N, 5]) {\n  h = x |> dense(width) |> Twice\n  return h\n}\n";
    expect(shapeOf(text, "h")).toEqual(["N", 32]);
  });
});

describe("shape errors name both shapes", () => {
  it("labels each operand of a failed broadcast", () => {
    const result = checkText("model M(x: f32[N, 4]) {\n  h = x |> dense(8)\n  return h + x\n}\n");
    const error = result.diagnostics.find((d) => d.code === "E0301")!;
    expect(error.labels.map((l) => l.message)).toEqual(["this is f32[N, 8]", "this is f32[N, 4]"]);
    expect(error.help).toContain("dense");
  });

  it("points at the layer and labels its input shape", () => {
    const text = "model M(x: f32[N, 1, 8, 8]) {\n  return x |> conv2d(4) |> dense(10)\n}\n";
    const error = checkText(text).diagnostics.find((d) => d.code === "E0302")!;
    expect(text.slice(error.labels[0]!.span.start, error.labels[0]!.span.end)).toBe("x |> conv2d(4)");
    expect(error.labels[0]!.message).toBe("this is f32[N, 4, 6, 6]");
    expect(error.help).toContain("flatten");
  });

  it("refuses a shared layer fed two sizes", () => {
    const result = checkText("model M(x: f32[N, 4]) {\n  fc = dense(3)\n  a = x |> fc\n  b = x |> dense(5) |> fc\n  return a + b\n}\n");
    const error = result.diagnostics.find((d) => d.code === "E0302")!;
    expect(error.message).toBe("layer `fc` is shared, but this use gives it f32[N, 5] instead of f32[N, 4]");
    expect(error.labels[0]!.message).toBe("first applied to f32[N, 4] here");
  });

  it("checks a block's declared shape at each use", () => {
    const result = checkText("block Same(x: f32[N, D]) -> f32[N, D] {\n  return x |> dense(3)\n}\nmodel M(x: f32[N, 4]) {\n  return x |> Same\n}\n");
    expect(result.diagnostics.map((d) => [d.code, d.message])).toEqual([["E0303", "block `Same` returns f32[N, 3], not f32[N, 4]"]]);
  });

  it("reports a problem inside a block once, however often it is used", () => {
    const result = checkText("block Bad(x: f32[N, D]) {\n  return x |> dense(2.5)\n}\nmodel M(x: f32[N, 4]) {\n  return x |> Bad |> Bad\n}\n");
    expect(result.diagnostics.map((d) => d.code)).toEqual(["E0203"]);
  });
});
