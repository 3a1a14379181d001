// The spatial family (pooling, maxout, concat, sum/mean over an axis) and `@`: gradient rules against
// central finite differences in float64 (step 1e-6; relative error ≤ 1e-6, or absolute ≤ 1e-8 where the
// gradient is ~0), pooling and maxout against PyTorch 1.13 (tests/golden/pool.json from
// make_pool_golden.py; 1e-10 absolute, float64 on both sides; NaN where PyTorch gives NaN), and the lowering of `.dl` models that use
// them, whose outputs are compared with the same arithmetic written out here (1e-12 absolute).
import * as fs from "node:fs";
import { describe, expect, it } from "vitest";
import { differentiate } from "../../compiler/graph/autodiff.js";
import type { Dim } from "../../compiler/graph/ir.js";
import { GraphBuilder } from "../../compiler/graph/ops.js";
import { DiagnosticBag } from "../../compiler/diagnostics/diagnostic.js";
import { ModelLowering } from "../../compiler/lower/model.js";
import { execute } from "../../runtime/cpu/interpreter.js";
import type { Tensor } from "../../runtime/cpu/tensor.js";
import { BATCH, checkLeaves, concrete, gradcheckGraph, randomTensor } from "../helpers/gradcheck.js";
import { lowerModelText } from "../helpers/lower.js";
import { checkText } from "../helpers/parse.js";

const golden = JSON.parse(fs.readFileSync("tests/golden/pool.json", "utf8"));

/** Up to 400 entries of each parameter perturbed. */
const ENTRIES = { maxEntries: 400 };

/** Leaves of the given shapes as parameters, `body` applied, every leaf's gradient checked. */
function check(shapes: Dim[][], body: (b: GraphBuilder, leaves: number[]) => number): void {
  checkLeaves(shapes, body, ENTRIES);
}

const pool = (kh: number, kw: number, sh: number, sw: number, p: number) => ({ kh, kw, sh, sw, ph: p, pw: p });

describe("spatial gradients match finite differences", () => {
  it("max and average pooling over kernel, stride and padding combinations", () => {
    for (const op of ["maxpool2d", "avgpool2d"]) {
      for (const attrs of [pool(2, 2, 2, 2, 0), pool(3, 3, 2, 2, 1), pool(3, 2, 1, 2, 1), pool(2, 3, 1, 1, 0)]) {
        check([["N", 2, 7, 6]], (b, [x]) => b.add(op, [x!], undefined, attrs));
      }
    }
  });

  it("maxout", () => {
    check([["N", 12]], (b, [x]) => b.add("maxout", [x!], undefined, { k: 3 }));
    check([["N", 8]], (b, [x]) => b.add("maxout", [x!], undefined, { k: 2 }));
  });

  it("concat along each axis, of two and three inputs", () => {
    check([["N", 2, 3], ["N", 4, 3]], (b, [x, y]) => b.add("concat", [x!, y!], undefined, { axis: 1 }));
    check([["N", 2, 3], ["N", 2, 1], ["N", 2, 2]], (b, [x, y, z]) => b.add("concat", [x!, y!, z!], undefined, { axis: 2 }));
    check([[2, 3], [1, 3]], (b, [x, y]) => b.add("concat", [x!, y!], undefined, { axis: 0 }));
  });

  it("sum and mean over each axis, the batch included", () => {
    for (const mean of [false, true]) {
      for (const axis of [0, 1, 2]) check([["N", 4, 5]], (b, [x]) => b.add("reduce_axis", [x!], undefined, { axis, mean }));
    }
  });
});

/** The golden case as a `.dl` pooling call: stride left out where PyTorch used its default. */
function poolCall(kind: string, c: { kernel: number | number[]; stride: number | number[] | null; padding: number }): string {
  const list = (v: number | number[]) => (Array.isArray(v) ? `[${v.join(", ")}]` : String(v));
  return `${kind}(kernel: ${list(c.kernel)}${c.stride === null ? "" : `, stride: ${list(c.stride)}`}, padding: ${c.padding})`;
}

/** Lowers `x |> call` for the golden input shape, runs it forward and backward on the CPU. */
function runGolden(call: string, c: { xShape: number[]; yShape: number[]; x: number[]; w: number[] }) {
  const [n, ...rest] = c.xShape;
  const lowered = lowerModelText(`model M(x: f32[N, ${rest.join(", ")}]) -> f32[N, ${c.yShape.slice(1).join(", ")}] {\n  return x |> ${call}\n}\n`);
  const { graph } = lowered;
  const b = new GraphBuilder(graph);
  graph.params.push({ node: lowered.input, name: "x", shape: c.xShape, init: { kind: "zeros" }, role: "weight", fanIn: 1, fanOut: 1 });
  const w = b.add("input", [], graph.shape(lowered.output), { shape: graph.shape(lowered.output) });
  const loss = b.add("sum_all", [b.binary("mul", lowered.output, w)]);
  const [dx] = differentiate(graph, loss).params;
  const values = new Map<number, Tensor>([
    [lowered.input, { shape: c.xShape, data: Float64Array.from(c.x) }],
    [w, { shape: c.yShape, data: Float64Array.from(c.w) }],
  ]);
  execute(graph.nodes, values, [lowered.output, dx!], { seed: 0, step: 0, training: true, batch: n! });
  return { y: values.get(lowered.output)!, dx: values.get(dx!)! };
}

function expectClose(actual: ArrayLike<number>, expected: number[], tolerance: number, label: string): void {
  expect(actual.length, label).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    if (!(Math.abs(actual[i]! - expected[i]!) <= tolerance)) expect.fail(`${label}: element ${i} is ${actual[i]}, PyTorch says ${expected[i]}`);
  }
}

describe("pooling and maxout match PyTorch 1.13", () => {
  for (const kind of ["maxpool", "avgpool"]) {
    for (const c of golden[kind]) {
      const call = poolCall(kind, c);
      it(`${call} on [${c.xShape.join(", ")}]`, () => {
        const { y, dx } = runGolden(call, c);
        expect(y.shape).toEqual(c.yShape);
        expectClose(y.data, c.y, 1e-10, `${call} output`);
        expectClose(dx.data, c.dx, 1e-10, `${call} gradient`);
      });
    }
  }
  // JSON has no NaN: the script writes it as null. A NaN expected must be NaN here too.
  const decode = (values: (number | null)[]) => values.map((v) => (v === null ? NaN : v));
  for (const c of golden.maxpool_nan) {
    const call = poolCall("maxpool", c);
    it(`${call} on [${c.xShape.join(", ")}] holding NaN: NaN out, gradient to each window's last NaN`, () => {
      const expected = { y: decode(c.y), dx: decode(c.dx) };
      expect(expected.y.some(Number.isNaN)).toBe(true);
      const { y, dx } = runGolden(call, { ...c, x: decode(c.x) });
      for (const [label, actual, want] of [["output", y.data, expected.y], ["gradient", dx.data, expected.dx]] as const) {
        expect(actual.length, label).toBe(want.length);
        for (let i = 0; i < want.length; i++) {
          const ok = Number.isNaN(want[i]!) ? Number.isNaN(actual[i]!) : Math.abs(actual[i]! - want[i]!) <= 1e-10;
          if (!ok) expect.fail(`${call} ${label}: element ${i} is ${actual[i]}, PyTorch says ${want[i]}`);
        }
      }
    });
  }
  for (const c of golden.maxout) {
    it(`maxout(k: ${c.k}) on [${c.xShape.join(", ")}]`, () => {
      const { y, dx } = runGolden(`maxout(k: ${c.k})`, { ...c, yShape: [c.xShape[0], c.xShape[1] / c.k] });
      expectClose(y.data, c.y, 1e-10, "maxout output");
      expectClose(dx.data, c.dx, 1e-10, "maxout gradient");
    });
  }
});

/**
 * Lowers a model, gives its input and parameters random values, runs it forward, and gradchecks every
 * parameter and the input through the lowered graph. Returns the values by parameter name and the output.
 */
function runModel(text: string): { byName: Map<string, Tensor>; x: Tensor; y: Tensor; shape: Dim[] } {
  const lowered = lowerModelText(text);
  const { graph } = lowered;
  const inputShape = concrete(graph.shape(lowered.input));
  graph.params.push({ node: lowered.input, name: "x", shape: inputShape, init: { kind: "zeros" }, role: "weight", fanIn: 1, fanOut: 1 });
  const values = new Map<number, Tensor>();
  const byName = new Map<string, Tensor>();
  graph.params.forEach((p, k) => {
    const value = randomTensor(p.shape, 20 + k);
    values.set(p.node, value);
    byName.set(p.name, value);
  });
  const forward = execute(graph.nodes, new Map(values), [lowered.output], { seed: 0, step: 0, training: true, batch: BATCH });
  const y = forward.get(lowered.output)!;
  const shape = graph.shape(lowered.output);
  gradcheckGraph(graph, lowered.output, values, ENTRIES);
  return { byName, x: byName.get("x")!, y, shape };
}

const at = (t: Tensor, ...index: number[]) => t.data[index.reduce((flat, i, k) => flat * t.shape[k]! + i, 0)]!;

describe("concat, sum, mean and @ in a model", () => {
  it("concat([a, x], axis: -1) joins features; gradients reach both sides", () => {
    const { byName, x, y, shape } = runModel("model M(x: f32[N, 3]) -> f32[N, 5] {\n  w = param([3, 2])\n  a = x @ w\n  return concat([a, x])\n}\n");
    expect(shape).toEqual(["N", 5]);
    const w = [...byName.values()][0]!;
    for (let n = 0; n < BATCH; n++) {
      for (let j = 0; j < 2; j++) expect(at(y, n, j)).toBeCloseTo([0, 1, 2].reduce((s, k) => s + at(x, n, k) * at(w, k, j), 0), 12);
      for (let j = 0; j < 3; j++) expect(at(y, n, 2 + j)).toBe(at(x, n, j));
    }
  });

  it("concat along a middle axis, and of more inputs than one kernel binds", () => {
    const { x, y, shape } = runModel("model M(x: f32[N, 2, 3]) -> f32[N, 2, 27] {\n  return concat([x, x, x, x, x, x, x, x, x], axis: 2)\n}\n");
    expect(shape).toEqual(["N", 2, 27]);
    for (let n = 0; n < BATCH; n++) for (let c = 0; c < 2; c++) for (let j = 0; j < 27; j++) expect(at(y, n, c, j)).toBe(at(x, n, c, j % 3));
    const middle = runModel("model M(x: f32[N, 2, 3]) -> f32[N, 4, 3] {\n  return concat([x, x * 2], axis: 1)\n}\n");
    for (let n = 0; n < BATCH; n++) for (let c = 0; c < 4; c++) for (let j = 0; j < 3; j++) expect(at(middle.y, n, c, j)).toBe(at(middle.x, n, c % 2, j) * (c < 2 ? 1 : 2));
  });

  it("sum and mean over an axis, with and without keepdim, and over all but the batch", () => {
    const sums = runModel("model M(x: f32[N, 4, 5]) -> f32[N, 5] {\n  return sum(x, axis: 1)\n}\n");
    for (let n = 0; n < BATCH; n++) for (let j = 0; j < 5; j++) expect(at(sums.y, n, j)).toBeCloseTo([0, 1, 2, 3].reduce((s, c) => s + at(sums.x, n, c, j), 0), 12);
    const kept = runModel("model M(x: f32[N, 4, 5]) -> f32[N, 4, 1] {\n  return mean(x, axis: -1, keepdim: true)\n}\n");
    expect(kept.shape).toEqual(["N", 4, 1]);
    for (let n = 0; n < BATCH; n++) for (let c = 0; c < 4; c++) expect(at(kept.y, n, c, 0)).toBeCloseTo([0, 1, 2, 3, 4].reduce((s, j) => s + at(kept.x, n, c, j), 0) / 5, 12);
    const all = runModel("model M(x: f32[N, 4, 5]) -> f32[N, 1, 1] {\n  return mean(x, keepdim: true)\n}\n");
    expect(all.shape).toEqual(["N", 1, 1]);
    for (let n = 0; n < BATCH; n++) expect(at(all.y, n, 0, 0)).toBeCloseTo(all.x.data.slice(n * 20, n * 20 + 20).reduce((s, v) => s + v, 0) / 20, 12);
    const total = runModel("model M(x: f32[N, 4, 5]) -> f32[N] {\n  return sum(x)\n}\n");
    expect(total.shape).toEqual(["N"]);
    for (let n = 0; n < BATCH; n++) expect(at(total.y, n)).toBeCloseTo(total.x.data.slice(n * 20, n * 20 + 20).reduce((s, v) => s + v, 0), 12);
  });

  it("@ with a matrix or a vector on the right, and with a rank-3 parameter on the left", () => {
    const matrix = runModel("model M(x: f32[N, 3]) -> f32[N, 4] {\n  w = param([3, 4])\n  return x @ w\n}\n");
    const w = [...matrix.byName.values()][0]!;
    for (let n = 0; n < BATCH; n++) for (let j = 0; j < 4; j++) expect(at(matrix.y, n, j)).toBeCloseTo([0, 1, 2].reduce((s, k) => s + at(matrix.x, n, k) * at(w, k, j), 0), 12);
    const vector = runModel("model M(x: f32[N, 3]) -> f32[N] {\n  v = param([3])\n  return x @ v\n}\n");
    const v = [...vector.byName.values()][0]!;
    for (let n = 0; n < BATCH; n++) expect(at(vector.y, n)).toBeCloseTo([0, 1, 2].reduce((s, k) => s + at(vector.x, n, k) * v.data[k]!, 0), 12);
    const folded = runModel("model M(x: f32[N, 5]) -> f32[N, 5] {\n  a = param([2, 3, 4])\n  b = param([4, 5])\n  return x + sum(sum(a @ b, axis: 0), axis: 0)\n}\n");
    const [a, bw] = [...folded.byName.values()];
    for (let n = 0; n < BATCH; n++) {
      for (let j = 0; j < 5; j++) {
        let expected = at(folded.x, n, j);
        for (let i = 0; i < 2; i++) for (let r = 0; r < 3; r++) for (let k = 0; k < 4; k++) expected += at(a!, i, r, k) * at(bw!, k, j);
        expect(at(folded.y, n, j)).toBeCloseTo(expected, 12);
      }
    }
  });
});

/** The E0601 messages of lowering a model that checks cleanly. */
function refusals(text: string): string[] {
  const checked = checkText(text);
  expect(checked.diagnostics.filter((d) => d.severity === "error").map((d) => d.message)).toEqual([]);
  const bag = new DiagnosticBag();
  new ModelLowering(bag).lower(checked.check.models.get("M")!.elaborated!);
  return bag.items.map((d) => d.message);
}

describe("forms the backends refuse, by name", () => {
  it("@ of a batched tensor of rank 3", () => {
    expect(refusals("model M(x: f32[N, 2, 3]) -> f32[N, 2, 4] {\n  w = param([3, 4])\n  return x @ w\n}\n")).toEqual([expect.stringContaining("`@` of a batched tensor of rank 3")]);
  });

});

describe("what the checker refuses before lowering", () => {
  it("pooling with padding wider than half the window, as PyTorch (E0306, at the layer, with the largest padding allowed)", () => {
    const errors = checkText("model M(x: f32[N, 1, 6, 6]) -> f32[N, 1, 5, 5] {\n  return x |> maxpool(kernel: 2, padding: 2)\n}\n").diagnostics.filter((d) => d.severity === "error");
    expect(errors.map((d) => [d.code, d.message])).toEqual([["E0306", "`maxpool` with padding 2 pads more than half its 2 window"]]);
    expect(errors[0]!.help).toContain("at most 1");
    // Half the window exactly is allowed, as in PyTorch; a [2, 4] window allows padding 1 only.
    expect(checkText("model M(x: f32[N, 1, 6, 6]) -> f32[N, 1, 4, 4] {\n  return x |> avgpool(kernel: 2, padding: 1)\n}\n").diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    expect(checkText("model M(x: f32[N, 1, 6, 6]) -> f32[N, 1, 4, 4] {\n  return x |> avgpool(kernel: [2, 4], padding: 2)\n}\n").diagnostics.map((d) => d.code)).toContain("E0306");
  });
});
