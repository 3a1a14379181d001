// Every WGSL kernel of the spatial family (codegen/wgsl/ops/spatial.ts) against its CPU reference, on odd
// sizes (N = 3, C = 5, H and W of 7 and 9: no multiple of the 64-thread workgroup) over kernels 2 and 3,
// strides 1 and 2, padding 0 and 1, and a non-square window. Inputs are f32 draws (no ties, so max
// pooling picks the same element on both sides); the reference computes in f64 from the same values.
// Tolerance: 1e-5 relative + 1e-6 absolute (sums of at most a few dozen terms in another order).
import { describe, expect, it } from "vitest";
import { Graph, type Attrs, type Dim } from "../../compiler/graph/ir.js";
import { GraphBuilder } from "../../compiler/graph/ops.js";
import { emitNode } from "../../codegen/wgsl/emit.js";
import { ALL_KERNELS } from "../../runtime/cpu/all-kernels.js";
import { normal } from "../../runtime/rng.js";
import { runKernel } from "../helpers/gpu.js";
import { curvesOfSource, expectAgree } from "../helpers/backends.js";

function random(count: number, stream: number): Float32Array {
  const data = new Float32Array(count);
  for (let i = 0; i < count; i++) data[i] = normal(13, stream, 0, i);
  return data;
}

function expectClose(gpu: Float32Array, cpu: ArrayLike<number>, label: string): void {
  expect(gpu.length, label).toBe(cpu.length);
  for (let i = 0; i < cpu.length; i++) {
    if (!(Math.abs(gpu[i]! - cpu[i]!) <= 1e-5 * Math.abs(cpu[i]!) + 1e-6)) expect.fail(`${label}: element ${i} is ${gpu[i]} on WebGPU, ${cpu[i]} on the CPU`);
  }
}

/** Builds one op over inputs of the given shapes, runs it on both backends and compares. */
async function compare(op: string, shapes: Dim[][], batch: number, attrs: Attrs = {}, given: Float32Array[] = []): Promise<void> {
  const graph = new Graph();
  const b = new GraphBuilder(graph);
  const inputs = shapes.map((shape) => b.add("input", [], shape, { shape }));
  const node = b.add(op, inputs, undefined, attrs);
  const resolve = (shape: Dim[]) => shape.map((d) => (d === "N" ? batch : d));
  const values = new Map<number, Float32Array>();
  inputs.forEach((id, k) => values.set(id, given[k] ?? random(resolve(shapes[k]!).reduce((p, d) => p * d, 1), k + 1)));
  const outShape = resolve(graph.shape(node));
  const cpu = ALL_KERNELS[op]!(
    inputs.map((id) => ({ shape: resolve(graph.shape(id)), data: values.get(id)! })),
    attrs as Record<string, number>,
    { seed: 3, step: 5, training: true, batch },
    outShape,
  );
  const kernel = emitNode(graph.nodes[node]!, graph.nodes, true)!;
  const buffers = new Map<number | string, Float32Array>([...values, [node, new Float32Array(outShape.reduce((p, d) => p * d, 1))]]);
  const gpu = await runKernel(kernel, buffers, node, { batch, step: 5, seed: 3 });
  expectClose(gpu, cpu.data, `${op} ${JSON.stringify(attrs)} [${shapes.map((s) => resolve(s).join("×")).join(", ")}]`);
}

const N = 3;

/** Windows: square kernels 2 and 3, strides 1 and 2, padding 0 and 1, and one non-square window. */
function windows(): Attrs[] {
  const out: Attrs[] = [];
  for (const k of [2, 3]) for (const s of [1, 2]) for (const p of [0, 1]) out.push({ kh: k, kw: k, sh: s, sw: s, ph: p, pw: p });
  out.push({ kh: 2, kw: 3, sh: 1, sw: 2, ph: 1, pw: 1 });
  return out;
}

function pooledShape(h: number, w: number, a: Attrs): Dim[] {
  const o = (size: number, k: number, s: number, p: number) => Math.floor((size + 2 * p - k) / s) + 1;
  return ["N", 5, o(h, a["kh"] as number, a["sh"] as number, a["ph"] as number), o(w, a["kw"] as number, a["sw"] as number, a["pw"] as number)];
}

/** Valid argmax indices for the gradient kernel: the CPU reference's, of a random input. */
function argmaxOf(shape: number[], attrs: Attrs): Float32Array {
  const x = random(shape.reduce((p, d) => p * d, 1), 9);
  const out = pooledShape(shape[2]!, shape[3]!, attrs).map((d) => (d === "N" ? shape[0]! : d)) as number[];
  return Float32Array.from(ALL_KERNELS["maxpool2d_argmax"]!([{ shape, data: x }], attrs as Record<string, number>, { seed: 0, step: 0, training: true, batch: shape[0]! }, out).data);
}

describe("spatial WGSL kernels match the CPU reference", () => {
  for (const [h, w] of [[7, 7], [9, 7]] as const) {
    it(`max and average pooling, forward and backward, on [${N}, 5, ${h}, ${w}]`, async () => {
      for (const attrs of windows()) {
        for (const op of ["maxpool2d", "avgpool2d"]) await compare(op, [["N", 5, h, w]], N, attrs);
        await compare("maxpool2d_argmax", [["N", 5, h, w]], N, attrs);
        await compare("maxpool2d_grad", [pooledShape(h, w, attrs), pooledShape(h, w, attrs)], N, { ...attrs, inputShape: ["N", 5, h, w] }, [argmaxOf([N, 5, h, w], attrs)]);
        await compare("avgpool2d_grad", [pooledShape(h, w, attrs)], N, { ...attrs, inputShape: ["N", 5, h, w] });
      }
    });
  }

  it("pooling on a batch spread over several workgroups", async () => {
    const attrs = { kh: 3, kw: 3, sh: 2, sw: 2, ph: 1, pw: 1 };
    await compare("maxpool2d", [["N", 5, 9, 9]], 33, attrs);
    await compare("maxpool2d_argmax", [["N", 5, 9, 9]], 33, attrs);
    await compare("maxpool2d_grad", [pooledShape(9, 9, attrs), pooledShape(9, 9, attrs)], 33, { ...attrs, inputShape: ["N", 5, 9, 9] }, [argmaxOf([33, 5, 9, 9], attrs)]);
  });

  it("maxout and its gradient", async () => {
    for (const [f, k] of [[15, 3], [14, 2], [9, 9]] as const) {
      await compare("maxout", [["N", f]], N, { k });
      await compare("maxout_grad", [["N", f], ["N", f / k]], N, { k });
    }
  });

  it("concat and slice along each axis", async () => {
    await compare("concat", [["N", 5, 7], ["N", 3, 7]], N, { axis: 1 });
    await compare("concat", [["N", 5, 7], ["N", 5, 1], ["N", 5, 9]], N, { axis: 2 });
    await compare("concat", [["N", 3], ["N", 1], ["N", 5], ["N", 2], ["N", 7], ["N", 3], ["N", 1]], N, { axis: 1 });
    await compare("concat", [[3, 7], [5, 7]], N, { axis: 0 });
    await compare("slice", [["N", 9, 7]], N, { axis: 1, start: 2, size: 5 });
    await compare("slice", [["N", 9, 7]], N, { axis: 2, start: 6, size: 1 });
    await compare("slice", [[9, 7]], N, { axis: 0, start: 3, size: 5 });
  });

  it("sum and mean over each axis, the batch included, and their gradients", async () => {
    for (const mean of [false, true]) {
      for (const axis of [0, 1, 2]) {
        await compare("reduce_axis", [["N", 5, 7]], N, { axis, mean });
        const reduced: Dim[] = (["N", 5, 7] as Dim[]).filter((_, k) => k !== axis);
        await compare("reduce_axis_grad", [reduced], N, { axis, mean, inputShape: ["N", 5, 7] });
      }
    }
  });
});

const SPATIAL_MODEL = `model M(x: f32[N, 16]) -> f32[N, 3] {
  p = x |> reshape([1, 4, 4]) |> maxpool(kernel: 2, stride: 1, padding: 1) |> avgpool(kernel: [2, 1]) |> flatten
  h = concat([p, x |> dense(8) |> maxout(k: 2)])
  w = param([14, 3], init: normal(std: 0.1))
  folded = sum(sum(param([2, 3, 5]) @ param([5, 3]), axis: 0), axis: 0)
  row = param([4]) @ param([4, 3])
  return h @ w + mean(h, keepdim: true) + sum(h |> reshape([2, 7]), axis: 1) @ param([7, 3]) + folded + row
}

train {
  data = blobs(n: 300, features: 16, std: 4) |> split(val: 0.2)
  loss = cross_entropy()
  optimizer = sgd(lr: 0.01)
  epochs 3
  seed 4
}
`;

describe("training a model with pooling, maxout, concat, sum/mean and @", () => {
  // Same seed on both backends: per-epoch losses agree to 1e-4 relative (f32 rounding differs), as in
  // tests/webgpu/training.test.ts.
  it("agrees between WebGPU and the CPU reference", async () => {
    const { cpu, gpu } = await curvesOfSource(SPATIAL_MODEL, "/virtual/spatial.dl");
    expect(gpu.length).toBe(3);
    expectAgree(cpu, gpu);
    expect(cpu[2]!.train_loss).toBeLessThan(cpu[0]!.train_loss);
  }, 120_000);
});
