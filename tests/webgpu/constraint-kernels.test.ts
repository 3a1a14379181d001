// The WGSL of the L1 penalty's `abs` op, gradient clipping (the Σg² partial sums, the coefficient, the
// clipped optimizer update) and the max-norm constraint against the CPU reference (runtime/cpu/kernels.ts,
// runtime/cpu/constraints.ts, runtime/cpu/optimizers.ts; those are checked against PyTorch 1.13 in
// tests/webgpu/golden-clip.test.ts) on sizes that are no multiple of a workgroup: flat buffers of 1, 1001
// and 300 001 floats (more than 256 workgroups of Σg², so threads stride), rows of 1 to 130 floats.
// Tolerances: abs is exact; norms and coefficients 1e-5 relative (f32 tree sums against float64 sums over
// up to 3e5 terms); clipped updates 1e-6·max(1, |p|) (a few f32 roundings); renormed weights 1e-6 relative.
import { describe, expect, it } from "vitest";
import { emitClipCoefficient, emitGradSquares, emitMaxNorm, CLIP_BUFFER, clipCoefficientIndex, clipFloats } from "../../codegen/wgsl/constraints.js";
import { emitNode } from "../../codegen/wgsl/emit.js";
import { emitOptimizer } from "../../codegen/wgsl/optimizer.js";
import { Graph } from "../../compiler/graph/ir.js";
import { GraphBuilder } from "../../compiler/graph/ops.js";
import { ALL_KERNELS } from "../../runtime/cpu/all-kernels.js";
import { clipGradients, globalNorm, renormRows } from "../../runtime/cpu/constraints.js";
import { createState, optimizerDefaults, optimizerStep, type OptimizerSpec } from "../../runtime/cpu/optimizers.js";
import { nextOptimizerScalars } from "../../runtime/optimizer-scalars.js";
import { normal } from "../../runtime/rng.js";
import { ALIGN_FLOATS } from "../../runtime/webgpu/layout.js";
import { runKernel, runKernelReadAll } from "../helpers/gpu.js";

function random(count: number, stream: number, scale = 1): Float32Array {
  return Float32Array.from({ length: count }, (_, i) => scale * normal(13, stream, 0, i));
}

function expectWithin(actual: ArrayLike<number>, expected: ArrayLike<number>, tolerance: (e: number) => number, label: string): number {
  expect(actual.length, label).toBe(expected.length);
  let worst = 0;
  for (let i = 0; i < expected.length; i++) {
    const error = Math.abs(actual[i]! - expected[i]!);
    if (!(error <= tolerance(expected[i]!))) expect.fail(`${label}: element ${i} is ${actual[i]} on WebGPU, ${expected[i]} on the CPU`);
    worst = Math.max(worst, error / Math.max(1, Math.abs(expected[i]!)));
  }
  return worst;
}

describe("WGSL of clipping, max-norm and abs matches the CPU reference", () => {
  it("abs and its gradient, exactly, zeros included", async () => {
    for (const n of [1, 7, 257]) {
      const graph = new Graph();
      const b = new GraphBuilder(graph);
      const x = b.add("input", [], ["N", 33], { shape: ["N", 33] });
      const dy = b.add("input", [], ["N", 33], { shape: ["N", 33] });
      const values = random(n * 33, 1);
      for (let i = 0; i < values.length; i += 5) values[i] = i % 10 === 0 ? 0 : -0;
      const grads = random(n * 33, 2);
      for (const [op, inputs] of [["abs", [x]], ["abs_grad", [x, dy]]] as const) {
        const node = b.add(op, [...inputs]);
        const data = new Map<number | string, Float32Array>([[x, values], [dy, grads], [node, new Float32Array(n * 33)]]);
        const cpu = ALL_KERNELS[op]!(inputs.map((id) => ({ shape: [n, 33], data: data.get(id)! })), {}, { seed: 0, step: 0, training: true, batch: n }, [n, 33]);
        const gpu = await runKernel(emitNode(graph.nodes[node]!, graph.nodes, true)!, data, node, { batch: n });
        expect([...gpu].map((v) => v + 0), `${op} on ${n} rows`).toEqual([...cpu.data].map((v) => v + 0));
      }
    }
  });

  it("the global gradient norm over several chunks, and the clip coefficient on both sides of 1", async () => {
    const sizes = [1001, 1, 300_001];
    const chunks = sizes.map((n, c) => random(Math.ceil(n / ALIGN_FLOATS) * ALIGN_FLOATS, 10 + c, 0.1).fill(0, n));
    let clip = new Float32Array(clipFloats(chunks.length));
    for (const [c, grads] of chunks.entries()) {
      const kernel = emitGradSquares(c, grads.length);
      clip = (await runKernelReadAll(kernel, new Map<number | string, Float32Array>([[kernel.bindings[0]!.node, grads], [CLIP_BUFFER, clip]]), { batch: 1 })).get(CLIP_BUFFER)!;
    }
    const norm = globalNorm(chunks);
    for (const max of [0.5 * norm, 2 * norm]) {
      const coefficient = await runKernel(emitClipCoefficient(chunks.length, max), new Map([[CLIP_BUFFER, clip]]), CLIP_BUFFER, { batch: 1 });
      const expected = Math.min(1, max / (norm + 1e-6));
      const actual = coefficient[clipCoefficientIndex(chunks.length)]!;
      expectWithin([actual], [expected], (e) => 1e-5 * e, `coefficient for max ${max} and norm ${norm}`);
      console.log(`clip coefficient for max ${max.toFixed(3)}, norm ${norm.toFixed(3)}: relative error ${(Math.abs(actual - expected) / expected).toExponential(2)}`);
    }
  });

  it("clipped updates: by value and by norm, before weight decay", async () => {
    const cases: { spec: OptimizerSpec; kind: "value" | "norm" }[] = [
      { spec: { ...optimizerDefaults("sgd", 0.1), momentum: 0.9, weightDecay: 0.05 } as OptimizerSpec, kind: "value" },
      { spec: { ...optimizerDefaults("adam", 0.01), weightDecay: 0.1 } as OptimizerSpec, kind: "norm" },
      { spec: { ...optimizerDefaults("rmsprop", 0.01), centered: true, weightDecay: 0.1 } as OptimizerSpec, kind: "value" },
    ];
    for (const { spec, kind } of cases) {
      for (const n of [1, 1001]) {
        const params = random(n, 20);
        const grads = random(n, 21);
        const norm = globalNorm([grads]);
        // Half the largest entry (or half the norm): some entries clamped, and for n = 1 the only one.
        const max = kind === "value" ? 0.5 * Math.max(...grads.map(Math.abs)) : 0.5 * norm;
        const clipBuffer = new Float32Array(clipFloats(1));
        clipBuffer[clipCoefficientIndex(1)] = Math.fround(max / (norm + 1e-6));
        const kernel = emitOptimizer(spec, "p", "g", n, { clip: kind === "value" ? { kind, max } : { kind, buffer: CLIP_BUFFER, coefficient: clipCoefficientIndex(1) } });
        const state = createState(spec, n, params);
        const buffers = new Map<number | string, Float32Array>([["p", params.slice()], ["g", grads]]);
        for (const name of Object.keys(state.buffers)) buffers.set(`p:${name}`, new Float32Array(n));
        if (kind === "norm") buffers.set(CLIP_BUFFER, clipBuffer);
        const scalars = nextOptimizerScalars(spec, { step: 0, momentumStarted: false }, { lr: spec.lr });
        const gpu = await runKernel(kernel, new Map([...buffers].filter(([key]) => kernel.bindings.some((b) => b.node === key))), "p", { batch: 1, scalars });
        const cpu = params.slice();
        const clipped = clipGradients({ kind, max }, [grads]);
        // Clipping bit: otherwise the test would not tell a clipped update from an unclipped one.
        expect(clipped[0]).not.toEqual(grads);
        optimizerStep(spec, cpu, clipped[0]!, state, spec.lr);
        const worst = expectWithin(gpu, cpu, (e) => 1e-6 * Math.max(1, Math.abs(e)), `${spec.kind}, clip by ${kind}, ${n} elements`);
        console.log(`${spec.kind}, clip by ${kind}, ${n} elements: largest error ${worst.toExponential(2)}·max(1, |p|)`);
      }
    }
  });

  it("max-norm: rows of dense, bias and conv-shaped tensors in one flat buffer, above and below the limit", async () => {
    const shapes = [[5, 3], [7], [4, 3, 5, 5], [2, 130], [1, 1]];
    let offset = 0;
    const tensors = shapes.map((shape) => {
      const count = shape.reduce((a, d) => a * d, 1);
      const t = { shape, offset, count, rows: shape[0]!, cols: count / shape[0]! };
      offset += Math.ceil(count / ALIGN_FLOATS) * ALIGN_FLOATS;
      return t;
    });
    const flat = random(offset, 30, 0.4);
    for (const t of tensors) flat.fill(0, t.offset + t.count, t.offset + Math.ceil(t.count / ALIGN_FLOATS) * ALIGN_FLOATS);
    // A value some rows exceed and others do not (the conv rows of 75 floats have norms near 3.5, the dense rows near 0.7).
    const value = 1.3;
    const constrained = tensors.filter((_, k) => k !== 1);
    const kernel = emitMaxNorm(0, constrained, value);
    const gpu = await runKernel(kernel, new Map([[kernel.bindings[0]!.node, flat.slice()]]), kernel.bindings[0]!.node, { batch: 1 });
    const cpu = flat.slice();
    let changed = 0;
    let kept = 0;
    for (const t of constrained) {
      const view = cpu.subarray(t.offset, t.offset + t.count);
      const before = view.slice();
      renormRows(view, t.rows, value);
      for (let r = 0; r < t.rows; r++) {
        if (before[r * t.cols] !== view[r * t.cols]) changed++;
        else kept++;
      }
    }
    expect(changed).toBeGreaterThan(0);
    expect(kept).toBeGreaterThan(0);
    const worst = expectWithin(gpu, cpu, (e) => 1e-6 * Math.abs(e) + 1e-9, "renormed flat buffer (the unconstrained tensor and the padding untouched)");
    console.log(`max-norm: ${changed} rows renormed, ${kept} kept; largest error ${worst.toExponential(2)}`);
  });
});
