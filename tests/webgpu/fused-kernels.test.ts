// The fused kernels against the CPU reference running the same ops one by one, on odd sizes: the matmul
// epilogue (bias + activation) and an elementwise chain (BatchNorm's normalize, scale and shift, with
// broadcast leaves). Tolerance: 1e-4 relative + 1e-6 absolute (f32 accumulation order differs).
import { describe, expect, it } from "vitest";
import { Graph } from "../../compiler/graph/ir.js";
import { GraphBuilder } from "../../compiler/graph/ops.js";
import { matmul } from "../../codegen/wgsl/kernels.js";
import { emitFused } from "../../codegen/wgsl/fuse.js";
import { execute } from "../../runtime/cpu/interpreter.js";
import type { Tensor } from "../../runtime/cpu/tensor.js";
import { normal } from "../../runtime/rng.js";
import { runKernel } from "../helpers/gpu.js";

const SIZES = [1, 7, 33, 257];

function random(count: number, stream: number, offset = 0): Float32Array {
  return Float32Array.from({ length: count }, (_, i) => normal(5, stream, 0, i) + offset);
}

function expectClose(gpu: Float32Array, cpu: ArrayLike<number>, label: string): void {
  for (let i = 0; i < cpu.length; i++) {
    if (!(Math.abs(gpu[i]! - cpu[i]!) <= 1e-4 * Math.abs(cpu[i]!) + 1e-6)) expect.fail(`${label}: element ${i} is ${gpu[i]} on WebGPU, ${cpu[i]} on the CPU`);
  }
}

describe("fused WGSL kernels match the CPU reference", () => {
  it("matmul + bias + activation, weights transposed as in dense layers", async () => {
    for (const n of SIZES) {
      for (const activation of ["relu", "leaky_relu", "tanh", "sigmoid"] as const) {
        const [k, m] = [n === 257 ? 19 : 33, n === 1 ? 5 : 17];
        const graph = new Graph();
        const b = new GraphBuilder(graph);
        const x = b.add("input", [], ["N", k], { shape: ["N", k] });
        const w = b.add("input", [], [m, k], { shape: [m, k] });
        const bias = b.add("input", [], [m], { shape: [m] });
        const product = b.matmul(x, w, false, true);
        const added = b.binary("add", product, bias);
        const out = b.unary(activation, added, activation === "leaky_relu" ? { alpha: 0.1 } : {});
        const leaves = new Map<number, Float32Array>([[x, random(n * k, 1)], [w, random(m * k, 2)], [bias, random(m, 3)]]);
        const cpu = execute(graph.nodes, new Map([...leaves].map(([id, data]) => [id, { shape: graph.shape(id).map((d) => (d === "N" ? n : d)) as number[], data } as Tensor])), [out], { seed: 0, step: 0, training: true, batch: n });
        const kernel = matmul(graph.nodes[product]!, graph.nodes, { bias, activation: { op: activation, alpha: activation === "leaky_relu" ? 0.1 : undefined }, output: out });
        const gpu = await runKernel(kernel, new Map<number | string, Float32Array>([...leaves, [out, new Float32Array(n * m)]]), out, { batch: n });
        expectClose(gpu, cpu.get(out)!.data, `matmul + bias + ${activation}, batch ${n}`);
      }
    }
  });

  it("an elementwise chain with broadcast leaves: (x − μ) · rsqrt(σ² + ε) · γ + β", async () => {
    for (const n of SIZES) {
      const f = 7;
      const graph = new Graph();
      const b = new GraphBuilder(graph);
      const [x, mean, variance, gamma, beta] = [["N", f], [f], [f], [f], [f]].map((shape) => b.add("input", [], shape as ("N" | number)[], { shape: shape as ("N" | number)[] }));
      const inv = b.unary("rsqrt", variance!, { eps: 1e-5 });
      const centered = b.binary("sub", x!, mean!);
      const normalized = b.binary("mul", centered, inv);
      const scaled = b.binary("mul", normalized, gamma!);
      const out = b.binary("add", scaled, beta!);
      const leaves = new Map<number, Float32Array>([[x!, random(n * f, 1)], [mean!, random(f, 2)], [variance!, random(f, 3, 3).map(Math.abs)], [gamma!, random(f, 4)], [beta!, random(f, 5)], [inv, new Float32Array(0)]]);
      const cpuValues = execute(graph.nodes, new Map([...leaves].filter(([id]) => id !== inv).map(([id, data]) => [id, { shape: graph.shape(id).map((d) => (d === "N" ? n : d)) as number[], data } as Tensor])), [out, inv], { seed: 0, step: 0, training: true, batch: n });
      leaves.set(inv, cpuValues.get(inv)!.data as Float32Array);
      // `inv` is its own kernel (another shape); the chain centered → normalized → scaled → out is fused.
      const kernel = emitFused(graph.nodes[out]!, graph.nodes, new Set([centered, normalized, scaled]), (id) => id, true);
      expect(kernel.label).toBe(`sub+mul+mul+add #${out}`);
      const gpu = await runKernel(kernel, new Map<number | string, Float32Array>([...leaves, [out, new Float32Array(n * f)]]), out, { batch: n });
      expectClose(gpu, cpuValues.get(out)!.data, `fused chain, batch ${n}`);
    }
  });
});
