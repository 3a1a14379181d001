// Max pooling's WGSL kernels on inputs holding NaN and ±∞, against the CPU reference (which
// tests/graph/spatial.test.ts holds to PyTorch 1.13): a window with a NaN pools to NaN and its argmax, where
// the gradient goes, is the window's last NaN. Shader compilers may assume floats are never NaN, so this is
// checked on the device rather than trusted. Sizes are odd (N = 3, C = 5, 7×9 planes: no multiple of the
// 64-thread workgroup). NaN must meet NaN, argmax indices must be equal, and other values agree to 1e-5
// relative + 1e-6 absolute (the gradient sums at most a few terms in another order).
import { describe, expect, it } from "vitest";
import { Graph, type Attrs, type Dim } from "../../compiler/graph/ir.js";
import { GraphBuilder } from "../../compiler/graph/ops.js";
import { emitNode } from "../../codegen/wgsl/emit.js";
import { ALL_KERNELS } from "../../runtime/cpu/all-kernels.js";
import { normal } from "../../runtime/rng.js";
import { runKernel } from "../helpers/gpu.js";

const N = 3;
const X_SHAPE = [N, 5, 7, 9];

/**
 * Normal draws with NaN at scattered positions and in runs of two and three (several NaNs in one window),
 * a plane (n 1, c 2) all NaN, and some +∞ and −∞, which must count as numbers.
 */
function withNaN(count: number, stream: number): Float32Array {
  const data = new Float32Array(count);
  for (let i = 0; i < count; i++) data[i] = normal(17, stream, 0, i);
  for (let i = 0; i < count; i++) {
    if (i % 37 === 0 || i % 53 === 1 || i % 53 === 2 || i % 71 === 9 || i % 71 === 10 || i % 71 === 11) data[i] = NaN;
    else if (i % 41 === 3) data[i] = Infinity;
    else if (i % 43 === 4) data[i] = -Infinity;
  }
  data.fill(NaN, (1 * 5 + 2) * 63, (1 * 5 + 3) * 63);
  return data;
}

function expectSame(gpu: Float32Array, cpu: ArrayLike<number>, label: string): void {
  expect(gpu.length, label).toBe(cpu.length);
  for (let i = 0; i < cpu.length; i++) {
    const [g, c] = [gpu[i]!, cpu[i]!];
    const ok = Number.isNaN(c) ? Number.isNaN(g) : g === c || Math.abs(g - c) <= 1e-5 * Math.abs(c) + 1e-6;
    if (!ok) expect.fail(`${label}: element ${i} is ${g} on WebGPU, ${c} on the CPU`);
  }
}

/** Runs `op` on both backends over the given inputs (all shapes concrete but the batch "N") and compares. */
async function compare(op: string, shapes: Dim[][], values: Float32Array[], attrs: Attrs): Promise<Float32Array> {
  const graph = new Graph();
  const b = new GraphBuilder(graph);
  const inputs = shapes.map((shape) => b.add("input", [], shape, { shape }));
  const node = b.add(op, inputs, undefined, attrs);
  const resolve = (shape: Dim[]) => shape.map((d) => (d === "N" ? N : d));
  const outShape = resolve(graph.shape(node));
  const cpu = ALL_KERNELS[op]!(
    inputs.map((id, k) => ({ shape: resolve(graph.shape(id)), data: values[k]! })),
    attrs as Record<string, number>,
    { seed: 0, step: 0, training: true, batch: N },
    outShape,
  );
  const kernel = emitNode(graph.nodes[node]!, graph.nodes, true)!;
  const buffers = new Map<number | string, Float32Array>([...inputs.map((id, k): [number, Float32Array] => [id, values[k]!]), [node, new Float32Array(outShape.reduce((p, d) => p * d, 1))]]);
  const gpu = await runKernel(kernel, buffers, node, { batch: N });
  expectSame(gpu, cpu.data, `${op} ${JSON.stringify(attrs)}`);
  return Float32Array.from(cpu.data);
}

const windows: Attrs[] = [
  { kh: 2, kw: 2, sh: 2, sw: 2, ph: 0, pw: 0 },
  { kh: 3, kw: 3, sh: 2, sw: 2, ph: 1, pw: 1 },
  { kh: 3, kw: 3, sh: 1, sw: 1, ph: 1, pw: 1 },
  { kh: 2, kw: 3, sh: 1, sw: 2, ph: 1, pw: 1 },
];

describe("max pooling of NaN on WebGPU matches the CPU reference", () => {
  it("forward, argmax and gradient, over four windows", async () => {
    const x = withNaN(X_SHAPE.reduce((p, d) => p * d, 1), 1);
    const xShape: Dim[] = ["N", 5, 7, 9];
    for (const attrs of windows) {
      const y = await compare("maxpool2d", [xShape], [x], attrs);
      // The input's NaNs reach the output (else this would test nothing), and ±∞ pass as numbers.
      expect(y.some(Number.isNaN)).toBe(true);
      expect(y.some((v) => !Number.isNaN(v))).toBe(true);
      const argmax = await compare("maxpool2d_argmax", [xShape], [x], attrs);
      const ho = Math.floor((7 + 2 * (attrs["ph"] as number) - (attrs["kh"] as number)) / (attrs["sh"] as number)) + 1;
      const wo = Math.floor((9 + 2 * (attrs["pw"] as number) - (attrs["kw"] as number)) / (attrs["sw"] as number)) + 1;
      const yShape: Dim[] = ["N", 5, ho, wo];
      const dy = Float32Array.from({ length: N * 5 * ho * wo }, (_, i) => normal(17, 2, 0, i));
      const dx = await compare("maxpool2d_grad", [yShape, yShape], [argmax, dy], { ...attrs, inputShape: xShape });
      // Each NaN-valued window sends its gradient to a NaN of x.
      for (let o = 0; o < y.length; o++) {
        if (!Number.isNaN(y[o]!)) continue;
        const plane = Math.floor(o / (ho * wo)) * 63;
        expect(Number.isNaN(x[plane + argmax[o]!]!)).toBe(true);
      }
      expect(dx.some((v) => v !== 0)).toBe(true);
    }
  });
});
