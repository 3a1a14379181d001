// Every generated WGSL kernel against the CPU reference kernel of the same op, on random inputs whose sizes
// include 1, 7, 33 and 257 (not multiples of the 16×16 tile or the 64-thread workgroup). Inputs are f32;
// the reference computes in f64 from the same f32 values. Tolerance: 1e-5 relative + 1e-6 absolute for
// elementwise ops, 1e-4 relative for reductions and products (f32 accumulation order differs).
import { describe, expect, it } from "vitest";
import { Graph, type Dim } from "../../compiler/graph/ir.js";
import { GraphBuilder } from "../../compiler/graph/ops.js";
import { emitNode as emitKernel } from "../../codegen/wgsl/emit.js";
import { emitOptimizer } from "../../codegen/wgsl/optimizer.js";
import { ALL_KERNELS as KERNELS } from "../../runtime/cpu/all-kernels.js";
import { createState, optimizerDefaults, optimizerStep, type OptimizerSpec } from "../../runtime/cpu/optimizers.js";
import { nextOptimizerScalars } from "../../runtime/optimizer-scalars.js";
import { normal } from "../../runtime/rng.js";
import { runKernel, runKernelReadAll } from "../helpers/gpu.js";

const SIZES = [1, 7, 33, 257];

function random(count: number, stream: number, positive = false): Float32Array {
  const data = new Float32Array(count);
  for (let i = 0; i < count; i++) data[i] = positive ? 0.5 + Math.abs(normal(11, stream, 0, i)) : normal(11, stream, 0, i);
  return data;
}

function expectClose(gpu: Float32Array, cpu: ArrayLike<number>, relative: number, label: string, absolute = 1e-6): void {
  expect(gpu.length, label).toBe(cpu.length);
  for (let i = 0; i < cpu.length; i++) {
    const tolerance = relative * Math.abs(cpu[i]!) + absolute;
    if (!(Math.abs(gpu[i]! - cpu[i]!) <= tolerance)) expect.fail(`${label}: element ${i} is ${gpu[i]} on WebGPU, ${cpu[i]} on the CPU`);
  }
}

/** Builds one op over inputs of the given shapes, runs it on both backends and compares. */
async function compare(op: string, shapes: Dim[][], batch: number, attrs: Record<string, number | string | boolean> = {}, options: { positive?: boolean; labels?: number; relative?: number; absolute?: number; training?: boolean } = {}) {
  const graph = new Graph();
  const b = new GraphBuilder(graph);
  const inputs = shapes.map((shape) => b.add("input", [], shape, { shape }));
  const labelsNode = options.labels === undefined ? undefined : b.add("input", [], ["N"], { shape: ["N"] });
  const node = b.add(op, labelsNode === undefined ? inputs : [inputs[0]!, labelsNode, ...inputs.slice(1)], undefined, attrs);
  const resolve = (shape: Dim[]) => shape.map((d) => (d === "N" ? batch : d));
  const values = new Map<number, Float32Array>();
  inputs.forEach((id, k) => values.set(id, random(resolve(shapes[k]!).reduce((p, d) => p * d, 1), k + 1, options.positive)));
  if (labelsNode !== undefined) values.set(labelsNode, Float32Array.from({ length: batch }, (_, i) => (i * 7) % options.labels!));
  const outShape = resolve(graph.shape(node));
  const cpu = KERNELS[op]!(
    graph.nodes[node]!.inputs.map((id) => ({ shape: resolve(graph.shape(id)), data: values.get(id)! })),
    attrs,
    { seed: 3, step: 5, training: options.training ?? true, batch },
    outShape,
  );
  const kernel = emitKernel(graph.nodes[node]!, graph.nodes, options.training ?? true)!;
  const buffers = new Map<number | string, Float32Array>([...values, [node, new Float32Array(outShape.reduce((p, d) => p * d, 1))]]);
  const gpu = await runKernel(kernel, buffers, node, { batch, step: 5, seed: 3 });
  expectClose(gpu, cpu.data, options.relative ?? 1e-5, `${op} [${shapes.map((s) => resolve(s).join("×")).join(", ")}]`, options.absolute);
}

describe("WGSL kernels match the CPU reference", () => {
  it("matmul, all transpose combinations, odd sizes", async () => {
    for (const n of SIZES) {
      for (const [ta, tb] of [[false, false], [false, true], [true, false], [true, true]] as const) {
        const k = n === 1 ? 3 : 33;
        const m = n === 257 ? 7 : 17;
        await compare("matmul", [ta ? [k, n] : [n, k], tb ? [m, k] : [k, m]], 1, { transA: ta, transB: tb }, { relative: 1e-4 });
      }
    }
  });

  it("broadcasting arithmetic", async () => {
    for (const n of SIZES) {
      for (const op of ["add", "sub", "mul", "div"]) {
        await compare(op, [["N", 7], [7]], n, {}, { positive: op === "div" });
        await compare(op, [["N", 1], [1]], n, {}, { positive: op === "div" });
      }
    }
  });

  it("unary and gradient elementwise ops", async () => {
    for (const n of SIZES) {
      await compare("relu", [["N", 33]], n);
      await compare("leaky_relu", [["N", 33]], n, { alpha: 0.1 });
      await compare("tanh", [["N", 33]], n);
      await compare("sigmoid", [["N", 33]], n);
      await compare("scale", [["N", 33]], n, { c: -1.5 });
      await compare("pow", [["N", 33]], n, { p: 3 });
      await compare("pow", [["N", 33]], n, { p: 0.5 }, { positive: true });
      await compare("rsqrt", [["N", 33]], n, { eps: 1e-5 }, { positive: true });
      await compare("relu_grad", [["N", 33], ["N", 33]], n);
      await compare("leaky_relu_grad", [["N", 33], ["N", 33]], n, { alpha: 0.2 });
      await compare("tanh_grad", [["N", 33], ["N", 33]], n);
      await compare("sigmoid_grad", [["N", 33], ["N", 33]], n);
    }
  });

  it("dropout draws the same mask as the CPU for the same seed and step", async () => {
    for (const n of SIZES) await compare("dropout", [["N", 33]], n, { p: 0.3, stream: 2 });
  });

  it("reductions", async () => {
    for (const n of SIZES) {
      await compare("sum_all", [["N", 7]], n, {}, { relative: 1e-4 });
      await compare("mean_all", [["N", 7]], n, {}, { relative: 1e-4 });
      await compare("mean_batch", [["N", 7]], n, {}, { relative: 1e-4 });
    }
  });

  it("sum_to: leading, trailing and square shapes (a [rows, 1] sum of a square matrix is per row, not per column)", async () => {
    for (const [from, to] of [
      [[7, 7], [7, 1]],
      [[7, 7], [1, 7]],
      [[7, 7], [7]],
      [[5, 7], [5, 1]],
      [[3, 5, 7], [5, 1]],
      [[3, 5, 7], [1, 5, 7]],
    ] as const) {
      await compare("sum_to", [[...from]], 1, { shape: [...to] } as never, { relative: 1e-4 });
    }
  });

  it("softmax over any axis, its gradient and softmax cross-entropy with label smoothing", async () => {
    for (const n of SIZES) {
      await compare("softmax", [["N", 10]], n, { axis: 1 });
      await compare("softmax_grad", [["N", 10], ["N", 10]], n, { axis: 1 });
      // Over the batch axis: lines of up to 257 elements summed in f32 (1e-4 relative); the gradient's
      // g − Σg·y cancels, so its error is absolute, about 257·2⁻²⁴·max|g·y| (1e-5). Then over the middle
      // axis of a 3-D tensor (strided lines).
      await compare("softmax", [["N", 10]], n, { axis: 0 }, { relative: 1e-4 });
      await compare("softmax_grad", [["N", 10], ["N", 10]], n, { axis: 0 }, { relative: 1e-4, absolute: 1e-5 });
      await compare("softmax", [["N", 5, 3]], n, { axis: 1 });
      await compare("softmax_grad", [["N", 5, 3], ["N", 5, 3]], n, { axis: 1 });
      await compare("softmax_cross_entropy", [["N", 10]], n, { smoothing: 0.1, reduction: "mean" }, { labels: 10, relative: 1e-4 });
    }
  });

  it("optimizer updates: SGD with Nesterov and decay, Adam with AMSGrad, AdamW", async () => {
    const specs: OptimizerSpec[] = [
      { ...optimizerDefaults("sgd"), lr: 0.1, momentum: 0.9, nesterov: true, weightDecay: 0.01 } as OptimizerSpec,
      { ...optimizerDefaults("adam"), amsgrad: true, weightDecay: 0.1 } as OptimizerSpec,
      optimizerDefaults("adamw", 0.01),
    ];
    for (const spec of specs) {
      for (const n of SIZES) {
        const params = random(n, 1);
        const cpuParams = Float32Array.from(params);
        const state = createState(spec, n, cpuParams);
        const deviceState = { step: 0, momentumStarted: false };
        const kernel = emitOptimizer(spec, 0, 1, n);
        const buffers = new Map<number | string, Float32Array>([[0, params], [1, new Float32Array(n)]]);
        for (const b of kernel.bindings.slice(2)) buffers.set(b.node, new Float32Array(n));
        // Three steps: the first initializes the moments; the later ones exercise the update proper.
        for (let t = 1; t <= 3; t++) {
          const grads = random(n, 10 + t);
          optimizerStep(spec, cpuParams, grads, state, spec.lr);
          buffers.set(1, grads);
          const scalars = nextOptimizerScalars(spec, deviceState, { lr: spec.lr });
          for (const [key, data] of await runKernelReadAll(kernel, buffers, { batch: 1, scalars })) buffers.set(key, data);
          expectClose(buffers.get(0)!, cpuParams, 1e-5, `${spec.kind} step ${t}, ${n} parameters`);
        }
      }
    }
  });
});
