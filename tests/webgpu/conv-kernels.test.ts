// The conv2d family's WGSL kernels (implicit GEMMs, codegen/wgsl/ops/conv.ts) against the CPU reference, on
// sizes that are not multiples of the kernels' register blocks (N = 3, C = 5, H, W = 7 or 9, Cout = 6,
// and larger ones spanning many blocks), with kernel 3, 1 and non-square ones, stride 2 and dilation 2.
// Inputs are f32; the reference computes in f64 from the same f32 values. Tolerance: 1e-4 relative + 1e-5
// absolute (sums of up to a few thousand f32 products, accumulated in a different order).
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { planKernels } from "../../codegen/wgsl/plan.js";
import { compileProgram } from "../../compiler/compile.js";
import { cpuBackend } from "../../runtime/cpu/train.js";
import { runTraining, type EpochReport } from "../../runtime/loop.js";
import type { Program } from "../../runtime/program.js";
import { acquireDevice } from "../../runtime/webgpu/device.js";
import { WebGpuBackend } from "../../runtime/webgpu/backend.js";
import { Graph, type Dim } from "../../compiler/graph/ir.js";
import { GraphBuilder } from "../../compiler/graph/ops.js";
import { emitNode } from "../../codegen/wgsl/emit.js";
import { conv2dKernel } from "../../codegen/wgsl/ops/conv.js";
import { ALL_KERNELS } from "../../runtime/cpu/all-kernels.js";
import { normal } from "../../runtime/rng.js";
import type { Tensor } from "../../runtime/cpu/tensor.js";
import { runKernel } from "../helpers/gpu.js";

type Pair = [number, number];
interface Case {
  n: number;
  cin: number;
  h: number;
  w: number;
  cout: number;
  k: Pair;
  stride: Pair;
  padding: Pair;
  dilation: Pair;
}

const CASES: Case[] = [
  { n: 3, cin: 5, h: 7, w: 7, cout: 6, k: [3, 3], stride: [1, 1], padding: [0, 0], dilation: [1, 1] },
  { n: 3, cin: 5, h: 9, w: 9, cout: 6, k: [3, 3], stride: [2, 2], padding: [1, 1], dilation: [1, 1] },
  { n: 3, cin: 5, h: 9, w: 7, cout: 6, k: [3, 3], stride: [1, 1], padding: [2, 2], dilation: [2, 2] },
  { n: 3, cin: 5, h: 9, w: 9, cout: 6, k: [3, 3], stride: [2, 2], padding: [1, 0], dilation: [2, 2] },
  { n: 3, cin: 5, h: 7, w: 9, cout: 6, k: [1, 1], stride: [2, 2], padding: [0, 0], dilation: [1, 1] },
  { n: 3, cin: 5, h: 7, w: 9, cout: 6, k: [1, 1], stride: [1, 1], padding: [1, 1], dilation: [1, 1] },
  { n: 2, cin: 3, h: 9, w: 7, cout: 6, k: [2, 3], stride: [2, 1], padding: [1, 0], dilation: [1, 2] },
  // Several tiles along every GEMM axis, with ragged edges: 33 output channels, 7·3·3 = 63-deep k,
  // 5·15·13 output positions.
  { n: 5, cin: 7, h: 17, w: 15, cout: 33, k: [3, 3], stride: [1, 1], padding: [0, 0], dilation: [1, 1] },
  { n: 1, cin: 1, h: 5, w: 5, cout: 1, k: [5, 5], stride: [1, 1], padding: [0, 0], dilation: [1, 1] },
  // Output channel counts just past one block of columns (13, 11), one input channel (the input gradient
  // nobody needs, but which must still be right), and a stride of 2 along one axis only.
  { n: 4, cin: 11, h: 12, w: 10, cout: 13, k: [3, 3], stride: [1, 1], padding: [1, 1], dilation: [1, 1] },
  { n: 3, cin: 1, h: 15, w: 13, cout: 11, k: [3, 3], stride: [2, 1], padding: [1, 1], dilation: [1, 1] },
  // The register-block kernels: rows (2·8·8 = 128) and columns (16) that fill whole blocks, so no clamped
  // edge; and a stride larger than the dilated kernel's step with uneven padding (taps between strides).
  { n: 2, cin: 8, h: 8, w: 8, cout: 16, k: [3, 3], stride: [1, 1], padding: [1, 1], dilation: [1, 1] },
  { n: 2, cin: 3, h: 11, w: 10, cout: 9, k: [5, 4], stride: [3, 2], padding: [2, 1], dilation: [1, 1] },
];

function random(count: number, stream: number): Float32Array {
  return Float32Array.from({ length: count }, (_, i) => normal(17, stream, 0, i));
}

function expectClose(gpu: Float32Array, cpu: ArrayLike<number>, label: string): void {
  expect(gpu.length, label).toBe(cpu.length);
  for (let i = 0; i < cpu.length; i++) {
    if (!(Math.abs(gpu[i]! - cpu[i]!) <= 1e-4 * Math.abs(cpu[i]!) + 1e-5)) expect.fail(`${label}: element ${i} is ${gpu[i]} on WebGPU, ${cpu[i]} on the CPU`);
  }
}

const describeCase = (c: Case) => `x ${c.n}×${c.cin}×${c.h}×${c.w}, ${c.cout} out, kernel ${c.k.join("×")}, stride ${c.stride}, padding ${c.padding}, dilation ${c.dilation}`;

/** One op on input nodes of the given shapes (batch "N" first where given), run on both backends. */
async function compare(op: string, shapes: Dim[][], attrs: Record<string, Pair>, batch: number, label: string, epilogue?: "relu" | "leaky_relu" | "tanh" | "sigmoid") {
  const graph = new Graph();
  const b = new GraphBuilder(graph);
  const inputs = shapes.map((shape) => b.add("input", [], shape, { shape }));
  const node = b.add(op, inputs, undefined, attrs);
  const alpha = epilogue === "leaky_relu" ? { alpha: 0.1 } : {};
  const out = epilogue ? b.unary(epilogue, node, alpha) : node;
  const concrete = (id: number) => graph.shape(id).map((d) => (d === "N" ? batch : d)) as number[];
  const values = inputs.map((id, k) => random(concrete(id).reduce((p, d) => p * d, 1), k + 1));
  const ctx = { seed: 0, step: 0, training: true, batch };
  let cpu: Tensor = ALL_KERNELS[op]!(inputs.map((id, k) => ({ shape: concrete(id), data: values[k]! })), attrs, ctx, concrete(node));
  if (epilogue) cpu = ALL_KERNELS[epilogue]!([cpu], alpha, ctx, concrete(out));
  const kernel = epilogue ? conv2dKernel(graph.nodes[node]!, graph.nodes, { activation: { op: epilogue, alpha: alpha.alpha }, output: out }) : emitNode(graph.nodes[node]!, graph.nodes, true)!;
  const buffers = new Map<number | string, Float32Array>([...inputs.map((id, k) => [id, values[k]!] as const), [out, new Float32Array(cpu.data.length)]]);
  const gpu = await runKernel(kernel, buffers, out, { batch });
  expectClose(gpu, cpu.data, `${kernel.label}: ${label}`);
}

describe("conv2d WGSL kernels match the CPU reference", () => {
  for (const c of CASES) {
    const attrs = { stride: c.stride, padding: c.padding, dilation: c.dilation };
    const x: Dim[] = ["N", c.cin, c.h, c.w];
    const w: Dim[] = [c.cout, c.cin, ...c.k];
    const out = (size: number, k: number, s: number, p: number, d: number) => Math.floor((size + 2 * p - d * (k - 1) - 1) / s) + 1;
    const y: Dim[] = ["N", c.cout, out(c.h, c.k[0], c.stride[0], c.padding[0], c.dilation[0]), out(c.w, c.k[1], c.stride[1], c.padding[1], c.dilation[1])];
    describe(describeCase(c), () => {
      it("forward, with and without bias", async () => {
        await compare("conv2d", [x, w, [c.cout]], attrs, c.n, "forward with bias");
        await compare("conv2d", [x, w], attrs, c.n, "forward without bias");
      });
      it("input gradient", () => compare("conv2d_grad_input", [y, w], { ...attrs, size: [c.h, c.w] }, c.n, "input gradient"));
      it("weight gradient", () => compare("conv2d_grad_weight", [x, y], { ...attrs, kernel: c.k }, c.n, "weight gradient"));
      it("bias gradient", () => compare("conv2d_grad_bias", [y], {}, c.n, "bias gradient"));
    });
  }

  it("bias and activation in the forward kernel's epilogue", async () => {
    const c = CASES[1]!;
    for (const activation of ["relu", "leaky_relu", "tanh", "sigmoid"] as const) {
      await compare("conv2d", [["N", c.cin, c.h, c.w], [c.cout, c.cin, ...c.k], [c.cout]], { stride: c.stride, padding: c.padding, dilation: c.dilation }, c.n, `${describeCase(c)} + ${activation}`, activation);
    }
  });
});

describe("a conv2d model on WebGPU", () => {
  // 60 images of 1×5×5 (pixel values from a fixed formula), 3 classes; three convolutions, the last one's
  // 3×1×1 output being the logits.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dslc-conv-"));
  afterAll(() => fs.rmSync(dir, { recursive: true }));
  const rows = Array.from({ length: 60 }, (_, r) => [...Array.from({ length: 25 }, (_, i) => (Math.sin(r * 1.7 + i * 0.9) + (i % 5 === r % 3 ? 1 : 0)).toFixed(4)), String(r % 3)].join(","));
  fs.writeFileSync(path.join(dir, "images.csv"), `${[...Array.from({ length: 25 }, (_, i) => `p${i}`), "label"].join(",")}\n${rows.join("\n")}\n`);
  const source = `model M(x: f32[N, 1, 5, 5]) -> f32[N, 3] {
  return x |> conv2d(4, kernel: 3, padding: 1) |> relu |> conv2d(5, kernel: [2, 3], stride: 2, dilation: [1, 2], padding: 1) |> tanh |> conv2d(3, kernel: [3, 2]) |> flatten
}
train {
  data = csv("images.csv", label: "label", shape: [1, 5, 5]) |> split(val: 0.2)
  loss = cross_entropy()
  optimizer = sgd(lr: 0.1, momentum: 0.9)
  epochs 3
  batch 16
}
`;
  fs.writeFileSync(path.join(dir, "conv.dl"), source);
  const compiled = compileProgram(source, path.join(dir, "conv.dl"));
  const program = compiled.program as Program;

  it("fuses each activation into its conv kernel, and needs no input gradient for the first layer", () => {
    expect(compiled.diagnostics.filter((d) => d.severity === "error").map((d) => d.message)).toEqual([]);
    const plan = planKernels(program);
    for (const mode of [plan.train, plan.eval]) {
      const labels = mode.kernels.map((k) => k.label.replace(/ #\d+/, ""));
      expect(labels.filter((l) => l.startsWith("conv2d "))).toEqual(["conv2d + bias + relu", "conv2d + bias + tanh", "conv2d + bias"]);
      expect(labels.some((l) => /^(relu|tanh)\b/.test(l))).toBe(false);
    }
    const backward = plan.train.kernels.map((k) => k.label.replace(/ #\d+/, "")).filter((l) => l.startsWith("conv2d_grad"));
    expect(backward.sort()).toEqual([...Array(3).fill("conv2d_grad_bias"), ...Array(2).fill("conv2d_grad_input"), ...Array(3).fill("conv2d_grad_weight")]);
  });

  // The same arithmetic fused or not (1e-6 relative); the CPU reference in f32 sums in another order (1e-4).
  it("trains to the losses of one kernel per op and of the CPU reference", async () => {
    const run = async (backend: Parameters<typeof runTraining>[1]) => {
      const epochs: EpochReport[] = [];
      await runTraining(program, backend, { onEpoch: (e) => epochs.push(e) });
      return epochs;
    };
    const gpu = async (fuse: boolean) => {
      // Evaluation runs up to 512 examples per dispatch, so the buffers are sized for that.
      const backend = new WebGpuBackend(await acquireDevice(), program, planKernels(program, { fuse }), program.loop.seed, 512);
      try {
        return await run(backend);
      } finally {
        backend.destroy();
      }
    };
    const fused = await gpu(true);
    const separate = await gpu(false);
    const cpu = await run(cpuBackend(program));
    expect(fused).toHaveLength(3);
    fused.forEach((e, i) => {
      expect(Math.abs(e.train_loss - separate[i]!.train_loss) / separate[i]!.train_loss).toBeLessThan(1e-6);
      expect(Math.abs(e.val_loss! - separate[i]!.val_loss!) / separate[i]!.val_loss!).toBeLessThan(1e-6);
      expect(Math.abs(e.train_loss - cpu[i]!.train_loss) / cpu[i]!.train_loss).toBeLessThan(1e-4);
      expect(Math.abs(e.val_loss! - cpu[i]!.val_loss!) / cpu[i]!.val_loss!).toBeLessThan(1e-4);
    });
    expect(fused[2]!.train_loss).toBeLessThan(fused[0]!.train_loss);
  }, 300_000);
});
