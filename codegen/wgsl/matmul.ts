// The matmul kernel C[M, N] = op(A)[M, K] · op(B)[K, N] (+ bias, activation), for one configuration.
//
// Written for how lavapipe runs compute shaders (and measured there, docs/benchmarks.md): a workgroup is one
// CPU thread whose invocations are the lanes of SIMD registers, workgroup memory is ordinary memory, and a
// barrier suspends and resumes every lane group. So the kernel has no workgroup memory and no barriers: each
// invocation keeps a block of rm rows × cn columns of C in registers and streams A and B from the storage
// buffers (the CPU's caches do what a GPU's shared-memory tile does). Its columns are `lanes` apart, so
// neighbouring lanes read neighbouring words of B and write neighbouring words of C; its rows come from the
// workgroup id alone when `groups` is 1, so every lane of a SIMD group reads the same word of A, which the
// compiler loads once and broadcasts. The k loop is a plain loop of rm + cn loads and rm·cn fused
// multiply-adds: it compiles in a fraction of a second (a fully unrolled register-tiled kernel took ~5 s per
// instance on Mesa's LLVM) and runs about twice as fast as TensorFlow.js's shared-memory kernel there.
//
// Rows and columns past the edge are clamped, not branched on: an edge block computes a few outputs from
// duplicated inputs and never stores them. Every configuration computes each output as the same single
// running sum of fma over k in increasing order, so a configuration changes the speed and never the result.
import { dimExpr, GLOBALS_WGSL, type Dim } from "./common.js";
import { elementwiseExpr } from "./elementwise.js";
import type { Epilogue, KernelSource } from "./kernels.js";

/**
 * One configuration: workgroups of `lanes` × `groups` invocations, each owning `rm` rows and `cn` columns
 * (`lanes` apart) of the output. A workgroup covers rm·groups rows and cn·lanes columns.
 */
export interface MatmulConfig {
  lanes: number;
  groups: number;
  rm: number;
  cn: number;
}

/** The sizes and layout of one matmul (a dimension is a number or "N", the batch). */
export interface MatmulShape {
  m: Dim;
  k: Dim;
  n: Dim;
  transA: boolean;
  transB: boolean;
}

/** Picks the configuration of each matmul in a plan (a tuned cache, or the default). */
export type MatmulChooser = (shape: MatmulShape) => MatmulConfig;

/**
 * The configurations the tuner measures. 8 lanes × 1 group is lavapipe's shape (one SIMD group per
 * workgroup, rows uniform across lanes); 16 × 4 (64 invocations) is what a GPU needs to fill its warps.
 */
export const MATMUL_CONFIGS: Record<string, MatmulConfig> = {
  "8x1:8x8": { lanes: 8, groups: 1, rm: 8, cn: 8 },
  "8x1:8x4": { lanes: 8, groups: 1, rm: 8, cn: 4 },
  "8x1:4x8": { lanes: 8, groups: 1, rm: 4, cn: 8 },
  "8x1:8x2": { lanes: 8, groups: 1, rm: 8, cn: 2 },
  "8x1:4x4": { lanes: 8, groups: 1, rm: 4, cn: 4 },
  "8x1:4x2": { lanes: 8, groups: 1, rm: 4, cn: 2 },
  "8x8:8x8": { lanes: 8, groups: 8, rm: 8, cn: 8 },
  "16x4:4x4": { lanes: 16, groups: 4, rm: 4, cn: 4 },
};

export function configName(c: MatmulConfig): string {
  return `${c.lanes}x${c.groups}:${c.rm}x${c.cn}`;
}

export function matmulShape(node: { shape: Dim[]; attrs: Record<string, unknown> }, aShape: Dim[]): MatmulShape {
  const transA = Boolean(node.attrs["transA"]);
  return { m: node.shape[0]!, n: node.shape[1]!, k: transA ? aShape[0]! : aShape[1]!, transA, transB: Boolean(node.attrs["transB"]) };
}

/**
 * What runs the kernels: a CPU rasterizer that runs each workgroup on one thread with invocations as SIMD
 * lanes (lavapipe, SwiftShader: Dawn reports their architecture as "software"), or a GPU.
 */
export type AdapterKind = "software" | "gpu";

/**
 * The configuration used without a measurement (tests, `compile`, an adapter not tuned yet), from the
 * shape and the adapter's kind alone.
 *
 * Software: a big product gets an 8 × 8 block per invocation, the fastest on lavapipe; a small one a
 * 4 × 4 block, because Mesa's LLVM compiles a kernel in time proportional to its block (cold: ~0.6 s for
 * 8 × 8, ~0.15 s for 4 × 4, docs/benchmarks.md) and a small product never runs long enough to win that
 * back. A narrow output gets fewer columns (a last layer's 10 classes would otherwise leave 54 of 64
 * columns as clamped padding). The batch counts as 64 here.
 *
 * GPU: 64 invocations per workgroup (16 × 4, each a 4 × 4 block), since a workgroup of 8 would leave most
 * of each warp idle. Not measured on a GPU yet (none was available); `dslc train --tune` measures.
 */
export function defaultMatmulConfig(shape: MatmulShape, kind: AdapterKind = "software"): MatmulConfig {
  if (kind === "gpu") return MATMUL_CONFIGS["16x4:4x4"]!;
  const size = (d: Dim) => (typeof d === "number" ? d : 64);
  const big = size(shape.m) * size(shape.k) * size(shape.n) >= BIG_PRODUCT;
  const n = size(shape.n);
  const cn = n <= 16 ? 2 : n <= 32 || !big ? 4 : 8;
  const rm = big && size(shape.m) > 4 ? 8 : 4;
  return { lanes: 8, groups: 1, rm, cn };
}

/** Multiply-adds from which a product gets the big block (a 64 × 256 × 256 product and up). */
const BIG_PRODUCT = 1 << 22;

/** The matmul kernel for `node` (a "matmul" node with inputs A and B), fusing `epilogue` if given. */
export function matmulKernel(node: { id: number; inputs: number[]; shape: Dim[] }, shape: MatmulShape, config: MatmulConfig, epilogue?: Epilogue): KernelSource {
  const [a, b] = node.inputs as [number, number];
  const { lanes, groups, rm, cn } = config;
  const [M, K, N] = [dimExpr(shape.m), dimExpr(shape.k), dimExpr(shape.n)];
  const bias = epilogue?.bias;
  const bindings = [{ node: a, write: false }, { node: b, write: false }, ...(bias === undefined ? [] : [{ node: bias, write: false }]), { node: epilogue?.output ?? node.id, write: true }];
  const names = bias === undefined ? ["a", "b", "c"] : ["a", "b", "bias", "c"];
  const activation = epilogue?.activation;
  const output = (acc: string, col: string) => {
    const sum = bias === undefined ? acc : `(${acc} + bias[${col}])`;
    return activation ? elementwiseExpr(activation.op, [sum], activation.alpha === undefined ? {} : { alpha: activation.alpha }, true) : sum;
  };
  const rows = Array.from({ length: rm }, (_, i) => i);
  const cols = Array.from({ length: cn }, (_, j) => j);
  // Element (row, k) of op(A) and (k, col) of op(B), read from the stored layout in place.
  const aAt = (i: number) => (shape.transA ? `a[k * ${M} + row${i}]` : `a[row${i} * ${K} + k]`);
  const bAt = (j: number) => (shape.transB ? `b[col${j} * ${K} + k]` : `b[k * ${N} + col${j}]`);
  const step = [...cols.map((j) => `let b${j} = ${bAt(j)};`), ...rows.flatMap((i) => [`let a${i} = ${aAt(i)};`, ...cols.map((j) => `acc${i}_${j} = fma(a${i}, b${j}, acc${i}_${j});`)])];
  const stores = rows.flatMap((i) =>
    cols.map((j) => `if (rowBase + ${i}u < ${M} && colBase + ${j * lanes}u < ${N}) { c[(rowBase + ${i}u) * ${N} + colBase + ${j * lanes}u] = ${output(`acc${i}_${j}`, `colBase + ${j * lanes}u`)}; }`),
  );
  const fused = [bias === undefined ? "" : "bias", activation?.op ?? ""].filter(Boolean).join(" + ");
  const bindingDecls = bindings.map((binding, k) => `@group(0) @binding(${k + 1}) var<storage, ${binding.write ? "read_write" : "read"}> ${names[k]}: array<f32>;`).join("\n");
  return {
    label: `matmul #${node.id}${fused ? ` + ${fused}` : ""}`,
    bindings,
    dispatch: { kind: "tiles", rows: shape.m, cols: shape.n, tileRows: rm * groups, tileCols: cn * lanes },
    code: `${GLOBALS_WGSL}${bindingDecls}
// ${configName(config)}: ${lanes} × ${groups} invocations, each a ${rm} × ${cn} block of C (columns ${lanes} apart).
@compute @workgroup_size(${lanes}, ${groups})
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let rowBase = (wg.y * ${groups}u${groups > 1 ? " + lid.y" : ""}) * ${rm}u;
  let colBase = wg.x * ${lanes * cn}u + lid.x;
  ${rows.map((i) => `let row${i} = min(rowBase + ${i}u, ${M} - 1u);`).join("\n  ")}
  ${cols.map((j) => `let col${j} = min(colBase + ${j * lanes}u, ${N} - 1u);`).join("\n  ")}
  ${rows.flatMap((i) => cols.map((j) => `var acc${i}_${j} = 0.0;`)).join("\n  ")}
  for (var k = 0u; k < ${K}; k = k + 1u) {
    ${step.join("\n    ")}
  }
  ${stores.join("\n  ")}
}
`,
  };
}
