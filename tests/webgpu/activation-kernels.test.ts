// The WGSL of ELU, GELU, SiLU (and their gradients, alone, fused into a chain and in the matmul epilogue),
// log_softmax and its gradient, row_norm, and DropConnect's mask, against the CPU reference (float64 from
// the same f32 inputs), on sizes that are not multiples of the 64-thread workgroup or the 32×32 tile.
// Tolerances: elementwise 2e-6 relative + 2e-6 absolute — GELU's erfc fit has fractional error < 1.2e-7 and
// f32 rounding of exp's argument (up to ~40 for |x| ≤ 9) adds ~4e-6 relative to erfc, which is below 1e-4
// wherever that matters, so its absolute contribution stays ~1e-7; ELU's exp(x) − 1 costs ~1e-7 absolute.
// Lines of up to 257 elements summed in f32: 1e-4 relative, plus 1e-5 absolute for log_softmax's gradient
// (dy − eʸ·Σdy cancels). Matmul epilogues: 1e-4 relative + 1e-5 absolute (f32 accumulation order).
// DropConnect: the same elements dropped on both backends (compared exactly), the survivors scaled alike.
import { describe, expect, it } from "vitest";
import { Graph, type Dim } from "../../compiler/graph/ir.js";
import { GraphBuilder } from "../../compiler/graph/ops.js";
import { emitNode } from "../../codegen/wgsl/emit.js";
import { emitFused } from "../../codegen/wgsl/fuse.js";
import { planKernels } from "../../codegen/wgsl/plan.js";
import { matmul, type Epilogue } from "../../codegen/wgsl/kernels.js";
import { execute } from "../../runtime/cpu/interpreter.js";
import type { Tensor } from "../../runtime/cpu/tensor.js";
import { normal } from "../../runtime/rng.js";
import { compileProgram } from "../../compiler/compile.js";
import { lowerModelText } from "../helpers/lower.js";
import { runKernel } from "../helpers/gpu.js";
import { curvesOfSource, expectAgree } from "../helpers/backends.js";

const SIZES = [1, 7, 33, 257];
/** The tails: erf saturates, exp overflows f32 beyond ±88. */
const EXTREMES = [-100, -40, -20, -12, -9, -6, -3, -1e-3, 0, 1e-3, 3, 6, 9, 12, 20, 40, 100];

function random(count: number, stream: number, scale = 1): Float32Array {
  const data = new Float32Array(count);
  for (let i = 0; i < count; i++) data[i] = scale * normal(11, stream, 0, i);
  return data;
}

function expectClose(gpu: Float32Array, cpu: ArrayLike<number>, relative: number, absolute: number, label: string): void {
  expect(gpu.length, label).toBe(cpu.length);
  for (let i = 0; i < cpu.length; i++) {
    if (!(Math.abs(gpu[i]! - cpu[i]!) <= relative * Math.abs(cpu[i]!) + absolute)) expect.fail(`${label}: element ${i} is ${gpu[i]} on WebGPU, ${cpu[i]} on the CPU`);
  }
}

const size = (shape: number[]) => shape.reduce((p, d) => p * d, 1);

/**
 * Builds a graph with `build` over input leaves, runs the kernel `kernelOf` makes for node `out` on WebGPU,
 * and the same node on the CPU reference in float64 from the same f32 inputs.
 */
async function compare(
  label: string,
  shapes: Dim[][],
  batch: number,
  build: (b: GraphBuilder, leaves: number[]) => number,
  options: { relative: number; absolute: number; data?: (k: number, count: number) => Float32Array; kernel?: (graph: Graph, out: number) => ReturnType<typeof emitNode>; write?: (graph: Graph, out: number) => number },
) {
  const graph = new Graph();
  const b = new GraphBuilder(graph);
  const resolve = (shape: Dim[]) => shape.map((d) => (d === "N" ? batch : d));
  const leaves = shapes.map((shape) => b.add("input", [], shape, { shape }));
  const out = build(b, leaves);
  const inputs = new Map<number, Float32Array>();
  leaves.forEach((id, k) => inputs.set(id, options.data?.(k, size(resolve(shapes[k]!))) ?? random(size(resolve(shapes[k]!)), k + 1, 3)));
  const ctx = { seed: 3, step: 5, training: true, batch };
  const values = new Map<number, Tensor>([...inputs].map(([id, data]) => [id, { shape: resolve(graph.shape(id)), data: Float64Array.from(data) }]));
  const written = options.write?.(graph, out) ?? out;
  execute(graph.nodes, values, [written], ctx);
  const kernel = (options.kernel ?? ((g, id) => emitNode(g.nodes[id]!, g.nodes, true)))(graph, out)!;
  const buffers = new Map<number | string, Float32Array>(inputs);
  // Inputs the kernel reads that are computed (elu_grad reads elu's output) come from the CPU, rounded to f32.
  for (const { node, write } of kernel.bindings) {
    if (!buffers.has(node)) buffers.set(node, write ? new Float32Array(size(resolve(graph.shape(node as number)))) : Float32Array.from(values.get(node as number)!.data));
  }
  const gpu = await runKernel(kernel, buffers, written, { batch, step: 5, seed: 3 });
  expectClose(gpu, values.get(written)!.data, options.relative, options.absolute, `${label} [${shapes.map((s) => resolve(s).join("×")).join(", ")}]`);
}

const ELEMENTWISE = { relative: 2e-6, absolute: 2e-6 };
const extremes = (k: number, count: number) => (k === 0 ? Float32Array.from({ length: count }, (_, i) => EXTREMES[i % EXTREMES.length]!) : random(count, k + 1));
const UNARY: [string, Record<string, number>][] = [
  ["elu", { alpha: 1 }],
  ["elu", { alpha: 0.4 }],
  ["gelu", {}],
  ["silu", {}],
];

describe("WGSL activations match the CPU reference", () => {
  it("elu, gelu, silu and their gradients, on odd sizes and on ±100", async () => {
    for (const n of SIZES) {
      for (const [op, attrs] of UNARY) {
        await compare(op, [["N", 33]], n, (b, [x]) => b.unary(op, x!, attrs), ELEMENTWISE);
        // The gradient rule's own node: elu's reads the output, gelu's and silu's the input.
        await compare(`${op} gradient`, [["N", 33], ["N", 33]], n, (b, [x, dy]) => b.add(`${op}_grad`, [op === "elu" ? b.unary("elu", x!, attrs) : x!, dy!], undefined, attrs), ELEMENTWISE);
      }
    }
    for (const [op, attrs] of UNARY) {
      await compare(`${op} on extremes`, [[EXTREMES.length]], 1, (b, [x]) => b.unary(op, x!, attrs), { ...ELEMENTWISE, data: extremes });
      await compare(`${op} gradient on extremes`, [[EXTREMES.length], [EXTREMES.length]], 1, (b, [x, dy]) => b.add(`${op}_grad`, [op === "elu" ? b.unary("elu", x!, attrs) : x!, dy!], undefined, attrs), { ...ELEMENTWISE, data: extremes });
    }
  });

  it("gelu's erfc fit over a dense grid of [−9, 9]", async () => {
    const grid = (_k: number, count: number) => Float32Array.from({ length: count }, (_, i) => -9 + (18 * i) / (count - 1));
    await compare("gelu on a grid", [[4001]], 1, (b, [x]) => b.unary("gelu", x!), { ...ELEMENTWISE, data: grid });
    await compare("gelu gradient on a grid", [[4001], [4001]], 1, (b, [x, dy]) => b.add("gelu_grad", [x!, dy!]), { ...ELEMENTWISE, data: (k, c) => (k === 0 ? grid(k, c) : new Float32Array(c).fill(1)) });
  });

  it("fused into a chain: (gelu(x) + silu(y)) · elu(z), one kernel", async () => {
    for (const n of SIZES) {
      let members: number[] = [];
      await compare("fused chain", [["N", 7], ["N", 7], ["N", 7]], n, (b, [x, y, z]) => {
        const gx = b.unary("gelu", x!);
        const sy = b.unary("silu", y!);
        const sum = b.binary("add", gx, sy);
        const ez = b.unary("elu", z!, { alpha: 0.7 });
        members = [gx, sy, sum, ez];
        return b.binary("mul", sum, ez);
      }, { ...ELEMENTWISE, kernel: (g, id) => emitFused(g.nodes[id]!, g.nodes, new Set(members), (i) => i, true) });
    }
  });

  it("in the matmul epilogue: x·Wᵀ + b, then elu, gelu or silu", async () => {
    for (const n of SIZES) {
      for (const [op, attrs] of UNARY) {
        let epilogue: Epilogue | undefined;
        await compare(`matmul + bias + ${op}`, [["N", 33], [17, 33], [17]], n, (b, [x, w, bias]) => {
          const mm = b.matmul(x!, w!, false, true);
          const act = b.unary(op, b.binary("add", mm, bias!), attrs);
          epilogue = { bias: bias!, activation: { op: op as "elu", alpha: (attrs as { alpha?: number }).alpha }, output: act };
          return mm;
        }, { relative: 1e-4, absolute: 1e-5, kernel: (g, id) => matmul(g.nodes[id]!, g.nodes, epilogue), write: () => epilogue!.output });
      }
    }
  });

  it("log_softmax and its gradient over the last, the batch and a middle axis", async () => {
    for (const n of SIZES) {
      for (const [shape, axis] of [[["N", 10], 1], [["N", 10], 0], [["N", 5, 3], 1], [["N", 5, 3], 2]] as [Dim[], number][]) {
        await compare(`log_softmax axis ${axis}`, [shape], n, (b, [x]) => b.unary("log_softmax", x!, { axis }), { relative: 1e-4, absolute: 1e-5 });
        await compare(`log_softmax gradient axis ${axis}`, [shape, shape], n, (b, [x, dy]) => b.add("log_softmax_grad", [b.unary("log_softmax", x!, { axis }), dy!], undefined, { axis }), { relative: 1e-4, absolute: 1e-5 });
      }
    }
    // Logits near 1000 would overflow exp without the maximum subtracted.
    await compare("log_softmax near 1000", [["N", 9]], 7, (b, [x]) => b.unary("log_softmax", x!, { axis: 1 }), { relative: 1e-4, absolute: 1e-4, data: (k, c) => random(c, k + 1, 3).map((v) => v + 1000) });
  });

  it("row_norm, row_dot and scale_rows (weight normalization), square and not", async () => {
    for (const [rows, cols] of [[1, 1], [7, 7], [7, 33], [257, 5], [65, 300]]) {
      await compare("row_norm", [[rows!, cols!]], 1, (b, [v]) => b.unary("row_norm", v!), { relative: 1e-5, absolute: 1e-6 });
      // Σ a·b cancels: its error is absolute, ~cols·2⁻²⁴·max|a·b|.
      await compare("row_dot", [[rows!, cols!], [rows!, cols!]], 1, (b, [x, y]) => b.add("row_dot", [x!, y!]), { relative: 1e-5, absolute: 1e-5 });
      await compare("scale_rows", [[rows!, cols!], [rows!, 1]], 1, (b, [x, s]) => b.add("scale_rows", [x!, s!]), ELEMENTWISE);
    }
  });
});

describe("DropConnect", () => {
  it("WebGPU drops the same weights as the CPU for the same seed and step, a new mask each step", async () => {
    const lowered = lowerModelText("model M(x: f32[N, 33]) -> f32[N, 17] {\n  return x |> dropout(0.5) |> dense(17, dropconnect: 0.3)\n}\n");
    const { graph } = lowered;
    const weight = graph.params.find((p) => p.name.endsWith(".weight"))!;
    const drop = graph.nodes.find((node) => node.op === "dropout" && node.inputs[0] === weight.node)!;
    const w = random(17 * 33, 4);
    const masks: string[] = [];
    for (const [seed, step] of [[3, 0], [3, 1], [8, 1]]) {
      const values = new Map<number, Tensor>([[weight.node, { shape: [17, 33], data: Float64Array.from(w) }]]);
      execute(graph.nodes, values, [drop.id], { seed: seed!, step: step!, training: true, batch: 1 });
      const cpu = values.get(drop.id)!.data;
      const kernel = emitNode(drop, graph.nodes, true)!;
      const gpu = await runKernel(kernel, new Map([[weight.node, w], [drop.id, new Float32Array(w.length)]]), drop.id, { batch: 1, seed, step });
      const mask = Array.from(gpu, (v) => (v === 0 ? "0" : "1")).join("");
      expect(mask).toBe(Array.from(cpu, (v) => (v === 0 ? "0" : "1")).join(""));
      expectClose(gpu, cpu, 1e-6, 0, `dropconnect seed ${seed} step ${step}`);
      const dropped = mask.split("").filter((c) => c === "0").length;
      expect(dropped / w.length).toBeGreaterThan(0.2);
      expect(dropped / w.length).toBeLessThan(0.4);
      masks.push(mask);
    }
    expect(new Set(masks).size).toBe(3);
  });

  it("evaluation multiplies by W itself: no DropConnect kernel in the evaluation plan", () => {
    const result = compileProgram("model M(x: f32[N, 2]) -> f32[N, 3] {\n  return x |> dense(3, dropconnect: 0.3)\n}\ntrain {\n  data = spirals(n: 30) |> split(val: 0.2)\n  loss = cross_entropy()\n  optimizer = sgd(lr: 0.1)\n  epochs 1\n}\n", "/virtual/dc.dl");
    const plan = planKernels(result.program!);
    expect(plan.train.kernels.filter((k) => k.label.startsWith("dropout"))).toHaveLength(2);
    expect(plan.eval.kernels.filter((k) => k.label.includes("dropout"))).toEqual([]);
  });
});

describe("training with the new layers on WebGPU agrees with the CPU reference", () => {
  // GELU and SiLU fuse into their matmul's epilogue only in evaluation (training keeps the pre-activation for
  // the gradient), ELU in both modes; g starts at ‖v‖ on both backends; DropConnect masks must coincide.
  // Per-epoch losses to 1e-4 relative, as tests/webgpu/training.test.ts.
  it("gelu, silu, elu, log_softmax, weight_norm and dropconnect", async () => {
    const text = `model M(x: f32[N, 2]) -> f32[N, 3] {
  h1 = x |> dense(16, weight_norm: true) |> gelu
  h2 = h1 |> dense(16, dropconnect: 0.2) |> silu |> dense(16, weight_norm: true)
  h3 = h2 |> dense(16) |> elu(alpha: 0.5) |> dropout(0.1)
  return h3 |> dense(3, weight_norm: true, dropconnect: 0.1) |> log_softmax
}
train {
  data = spirals(n: 300) |> split(val: 0.2)
  loss = cross_entropy()
  optimizer = adam(lr: 0.01)
  epochs 4
  batch 32
  seed 5
}
`;
    const { cpu, gpu } = await curvesOfSource(text, "/virtual/new-layers.dl");
    expectAgree(cpu, gpu);
    expect(cpu[cpu.length - 1]!.train_loss).toBeLessThan(cpu[0]!.train_loss);
  }, 120_000);
});
