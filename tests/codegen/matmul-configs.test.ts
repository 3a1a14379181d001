// Every matmul configuration against the CPU reference, on odd sizes (clamped edge blocks in both
// directions), on exact fits, and in the four transpose layouts the planner emits (dense forward x·Wᵀ,
// input gradient dy·W, weight gradient dyᵀ·x, and plain A·B), with the batch as M or as K. Tolerance:
// 1e-4 relative + 1e-5 absolute (the CPU accumulates in f64, the kernel in f32 with fma). And: every
// configuration gives bit-identical outputs, since each output is one running fma sum over k.
import { describe, expect, it } from "vitest";
import { Graph } from "../../compiler/graph/ir.js";
import { GraphBuilder } from "../../compiler/graph/ops.js";
import { matmul } from "../../codegen/wgsl/kernels.js";
import { configName, defaultMatmulConfig, matmulShape, MATMUL_CONFIGS, type MatmulConfig } from "../../codegen/wgsl/matmul.js";
import { execute } from "../../runtime/cpu/interpreter.js";
import type { Tensor } from "../../runtime/cpu/tensor.js";
import { normal } from "../../runtime/rng.js";
import { runKernel } from "../helpers/gpu.js";

function random(count: number, stream: number): Float32Array {
  return Float32Array.from({ length: count }, (_, i) => normal(11, stream, 0, i));
}

type D = number | "N";

/** A (stored) and B (stored) for op(A)[m, k] · op(B)[k, n]; one of m, k may be "N" (the batch = `batch`). */
/** The first configuration's output per case, which every other configuration must equal bit for bit. */
const firstOutputs = new Map<string, Float32Array>();

async function check(m: D, k: D, n: D, transA: boolean, transB: boolean, batch: number, config: MatmulConfig, withEpilogue: boolean): Promise<void> {
  const graph = new Graph();
  const b = new GraphBuilder(graph);
  const aShape: D[] = transA ? [k, m] : [m, k];
  const bShape: D[] = transB ? [n, k] : [k, n];
  const x = b.add("input", [], aShape, { shape: aShape });
  const y = b.add("input", [], bShape, { shape: bShape });
  const product = b.matmul(x, y, transA, transB);
  const size = (s: D[]) => s.map((d) => (d === "N" ? batch : d)) as number[];
  const count = (s: D[]) => size(s).reduce((p, d) => p * d, 1);
  const leaves = new Map<number, Float32Array>([[x, random(count(aShape), 1)], [y, random(count(bShape), 2)]]);
  let out = product;
  let epilogue;
  if (withEpilogue) {
    const bias = b.add("input", [], [n], { shape: [n] });
    leaves.set(bias, random(count([n]), 3));
    out = b.unary("relu", b.binary("add", product, bias), {});
    epilogue = { bias, activation: { op: "relu" as const }, output: out };
  }
  const tensors = new Map([...leaves].map(([id, data]) => [id, { shape: size(graph.shape(id) as D[]), data } as Tensor]));
  const cpu = execute(graph.nodes, tensors, [out], { seed: 0, step: 0, training: true, batch }).get(out)!.data;
  const kernel = matmul(graph.nodes[product]!, graph.nodes, epilogue, config);
  const gpu = await runKernel(kernel, new Map<number | string, Float32Array>([...leaves, [out, new Float32Array(cpu.length)]]), out, { batch });
  const label = `${configName(config)} ${transA ? "Aᵀ" : "A"}·${transB ? "Bᵀ" : "B"} m=${m} k=${k} n=${n} batch=${batch}${withEpilogue ? " + bias + relu" : ""}`;
  for (let i = 0; i < cpu.length; i++) {
    if (!(Math.abs(gpu[i]! - cpu[i]!) <= 1e-4 * Math.abs(cpu[i]!) + 1e-5)) expect.fail(`${label}: element ${i} is ${gpu[i]} on WebGPU, ${cpu[i]} on the CPU`);
  }
  const key = label.slice(label.indexOf(" "));
  const first = firstOutputs.get(key);
  if (!first) firstOutputs.set(key, gpu);
  else expect(Buffer.from(gpu.buffer, gpu.byteOffset, gpu.byteLength).equals(Buffer.from(first.buffer, first.byteOffset, first.byteLength)), `${label}: not bit-identical to the first configuration's output`).toBe(true);
}

const LAYOUTS: [boolean, boolean][] = [[false, false], [false, true], [true, false], [true, true]];

describe("every matmul configuration matches the CPU reference, and the others bit for bit", () => {
  for (const config of Object.values(MATMUL_CONFIGS)) {
    // Lavapipe compiles each kernel on a CPU that other test runs share: generous timeouts.
    it(`${configName(config)}: odd sizes and an exact fit, all four layouts`, { timeout: 600_000 }, async () => {
      // Odd everywhere, a tall one and a wide one (many edge blocks), then an exact fit of every block.
      const sizes: [number, number, number][] = [[7, 13, 33], [130, 33, 7], [64, 32, 128]];
      for (const [m, k, n] of sizes) for (const [ta, tb] of LAYOUTS) await check(m, k, n, ta, tb, 1, config, false);
    });
    it(`${configName(config)}: the batch as M (forward, input gradient) and as K (weight gradient), with an epilogue`, { timeout: 600_000 }, async () => {
      for (const batch of [1, 130]) {
        await check("N", 36, 20, false, true, batch, config, true);
        await check("N", 33, 7, false, false, batch, config, true);
        await check(20, "N", 36, true, false, batch, config, false);
        await check(7, "N", 33, true, false, batch, config, false);
      }
    });
  }

  it("every default configuration is one of those checked above", () => {
    const dims: (number | "N")[] = [1, 4, 5, 10, 16, 17, 32, 33, 64, 512, 1024, "N"];
    for (const m of dims) for (const k of dims) for (const n of dims) {
      for (const kind of ["software", "gpu"] as const) {
        const name = configName(defaultMatmulConfig({ m, k, n, transA: false, transB: false }, kind));
        expect(MATMUL_CONFIGS[name], `${kind} default for ${m}×${k}×${n}`).toBeDefined();
      }
    }
  });

  it("the default configuration is chosen from the shape alone", () => {
    const shape = matmulShape({ shape: ["N", 512], attrs: { transB: true } }, ["N", 784]);
    expect(shape).toEqual({ m: "N", k: 784, n: 512, transA: false, transB: true });
    expect(defaultMatmulConfig(shape)).toEqual(defaultMatmulConfig({ ...shape }));
    expect(configName(defaultMatmulConfig({ m: "N", k: 512, n: 10, transA: false, transB: true }))).toBe("8x1:4x2");
    expect(configName(defaultMatmulConfig({ m: "N", k: 64, n: 64, transA: false, transB: true }))).toBe("8x1:4x4");
    // A GPU gets workgroups of 64 invocations rather than lavapipe's one SIMD group.
    const gpu = defaultMatmulConfig({ m: "N", k: 784, n: 512, transA: false, transB: true }, "gpu");
    expect(gpu.lanes * gpu.groups).toBe(64);
    expect(configName(defaultMatmulConfig({ m: 512, k: "N", n: 784, transA: true, transB: false }))).toBe("8x1:8x8");
  });
});
