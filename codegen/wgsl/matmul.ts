// The matmul kernel C[M, N] = op(A)[M, K] · op(B)[K, N] (+ bias, activation), for one tile configuration.
// Lavapipe runs a workgroup on one CPU thread with its invocations as SIMD lanes, so what matters there is
// what matters on a GPU, more so: loads where neighbouring lanes read neighbouring words (vec4 when the
// contiguous axis is a static multiple of 4), many multiply-adds per workgroup-memory read (a register block
// of rm × rn outputs per thread, held in named vec4s so nothing spills to private arrays), and no per-load
// branches. Rows and columns past the edge are clamped rather than checked (an edge tile computes a few
// outputs from duplicated inputs and never stores them), so every tile runs the same branch-free loads; only
// a k-slice past the end of K is zero-filled, in a tail slice after the unchecked full slices. The
// configuration (`MatmulConfig`) never changes the result beyond the order of the additions within one
// output's k-sum: each output is still one running sum over k in increasing order.
import { dimExpr, GLOBALS_WGSL, type Dim } from "./common.js";
import { elementwiseExpr } from "./elementwise.js";
import type { Epilogue, KernelSource } from "./kernels.js";

/** One tile configuration: threads tx × ty, each owning rm rows × rn columns; k in slices of tk. */
export interface MatmulConfig {
  tx: number;
  ty: number;
  rm: number;
  /** A multiple of 4 (columns are held as vec4s). */
  rn: number;
  /** A multiple of 4 (the A tile is held as vec4s along k). */
  tk: number;
}

/** The sizes and layout of one matmul, as the tuner keys it (a dimension is a number or "N", the batch). */
export interface MatmulShape {
  m: Dim;
  k: Dim;
  n: Dim;
  transA: boolean;
  transB: boolean;
}

export const MATMUL_CONFIGS: Record<string, MatmulConfig> = {
  "8x8:4x4:k16": { tx: 8, ty: 8, rm: 4, rn: 4, tk: 16 },
  "8x8:4x4:k32": { tx: 8, ty: 8, rm: 4, rn: 4, tk: 32 },
  "8x8:8x4:k16": { tx: 8, ty: 8, rm: 8, rn: 4, tk: 16 },
  "8x4:2x4:k16": { tx: 8, ty: 4, rm: 2, rn: 4, tk: 16 },
};

export function configName(c: MatmulConfig): string {
  return `${c.tx}x${c.ty}:${c.rm}x${c.rn}:k${c.tk}`;
}

export function matmulShape(node: { shape: Dim[]; attrs: Record<string, unknown> }, aShape: Dim[]): MatmulShape {
  const transA = Boolean(node.attrs["transA"]);
  return { m: node.shape[0]!, n: node.shape[1]!, k: transA ? aShape[0]! : aShape[1]!, transA, transB: Boolean(node.attrs["transB"]) };
}

/**
 * The configuration used without a measurement (tests, `compile`, any adapter not tuned yet): deterministic
 * in the shape alone. Few rows (a last layer's weight gradient, M = 10) get a short tile rather than one
 * mostly padding; otherwise a 64 × 32 tile of 8 × 4 blocks, the choice the tuner made most often for the
 * MLP's products on lavapipe (bench/matmul.ts, docs/benchmarks.md).
 */
export function defaultMatmulConfig(shape: MatmulShape): MatmulConfig {
  if (typeof shape.m === "number" && shape.m <= 16) return MATMUL_CONFIGS["8x4:2x4:k16"]!;
  return MATMUL_CONFIGS["8x8:8x4:k16"]!;
}

interface Operand {
  name: "a" | "b";
  /** Stored layout: the element (outer, k) is at `outer * K + k` when k is contiguous, else `k * OUTER + outer`. */
  kContiguous: boolean;
  outer: Dim;
  k: Dim;
}

const isStatic4 = (d: Dim) => typeof d === "number" && d % 4 === 0;

/** Whether the operand is read as vec4s: its contiguous axis is a static multiple of 4. */
function vectorWidth(op: Operand): 1 | 4 {
  return isStatic4(op.kContiguous ? op.k : op.outer) ? 4 : 1;
}

/**
 * Statements loading one k-slice of an operand into its workgroup tile. The A tile is [TM][tk/4] vec4s
 * (k inner), the B tile [tk][TN/4] vec4s (columns inner): each is the layout the compute loop reads.
 * Units of `width` words run along the stored contiguous axis, so neighbouring lanes read neighbouring
 * words; a unit whose axis is not the tile's vec4 axis is written component by component.
 */
function tileLoad(op: Operand, extent: number, tk: number, threads: number, base: string, checkK: boolean): string {
  const w = vectorWidth(op);
  const src = w === 4 ? `${op.name}4` : op.name;
  const along = op.kContiguous ? tk : extent;
  const across = op.kContiguous ? extent : tk;
  const unitsAlong = along / w;
  const units = unitsAlong * across;
  const steps = Math.ceil(units / threads);
  const outerLimit = dimExpr(op.outer);
  const kLimit = dimExpr(op.k);
  // Clamping keeps edge tiles branch-free: a clamped row or column is computed and never stored.
  const exact = typeof op.outer === "number" && op.outer % extent === 0;
  const clampOuter = (o: string) => (exact ? o : `min(${o}, ${outerLimit} - 1u)`);
  const lines: string[] = [];
  for (let s = 0; s < steps; s++) {
    const guard = (s + 1) * threads > units ? `if (li + ${s * threads}u < ${units}u) ` : "";
    const e = `(li + ${s * threads}u)`;
    const alongIdx = `(${e} % ${unitsAlong}u) * ${w}u`;
    const acrossIdx = `${e} / ${unitsAlong}u`;
    const [outerLocal, kLocal] = op.kContiguous ? [acrossIdx, alongIdx] : [alongIdx, acrossIdx];
    const body: string[] = [`let ol = ${outerLocal};`, `let kl = ${kLocal};`, `let go = ${clampOuter(`${base} + ol`)};`, `let gk = t * ${tk}u + kl;`];
    const index = op.kContiguous ? `go * ${kLimit} + gk` : `gk * ${outerLimit} + go`;
    const read = w === 4 ? `${src}[(${index}) / 4u]` : `${src}[${index}]`;
    const zero = w === 4 ? "vec4f(0.0)" : "0.0";
    // With k contiguous and vec4 units, K is a multiple of 4: a unit is wholly inside K or wholly past it.
    body.push(checkK ? `let v = select(${zero}, ${read}, gk < ${kLimit});` : `let v = ${read};`);
    const comps = ["x", "y", "z", "w"];
    if (op.name === "a") {
      // tileA[row][k / 4], k inner.
      if (op.kContiguous && w === 4) body.push(`tileA[ol][kl / 4u] = v;`);
      else if (w === 4) for (let c = 0; c < 4; c++) body.push(`tileA[ol + ${c}u][kl / 4u][kl % 4u] = v.${comps[c]};`);
      else body.push(`tileA[ol][kl / 4u][kl % 4u] = v;`);
    } else {
      // tileB[k][col / 4], columns inner.
      if (!op.kContiguous && w === 4) body.push(`tileB[kl][ol / 4u] = v;`);
      else if (w === 4) for (let c = 0; c < 4; c++) body.push(`tileB[kl + ${c}u][ol / 4u][ol % 4u] = v.${comps[c]};`);
      else body.push(`tileB[kl][ol / 4u][ol % 4u] = v;`);
    }
    lines.push(`${guard}{\n      ${body.join("\n      ")}\n    }`);
  }
  return lines.join("\n    ");
}

/** The multiply-adds of one k-slice, unrolled so the accumulators stay named values. */
function sliceCompute(c: MatmulConfig): string {
  const comps = ["x", "y", "z", "w"];
  const cols4 = c.rn / 4;
  const out: string[] = [];
  out.push(`for (var p = 0u; p < ${c.tk / 4}u; p = p + 1u) {`);
  for (let i = 0; i < c.rm; i++) out.push(`  let a${i} = tileA[rowBase + ${i}u][p];`);
  for (let q = 0; q < 4; q++) for (let j = 0; j < cols4; j++) out.push(`  let b${q}_${j} = tileB[p * 4u + ${q}u][colBase + ${j}u];`);
  for (let i = 0; i < c.rm; i++) {
    for (let j = 0; j < cols4; j++) {
      const terms = comps.map((comp, q) => `a${i}.${comp} * b${q}_${j}`);
      out.push(`  acc${i}_${j} = acc${i}_${j} + ${terms.join(" + ")};`);
    }
  }
  out.push("}");
  return out.join("\n    ");
}

export function matmulKernel(node: { id: number; inputs: number[]; shape: Dim[]; attrs: Record<string, unknown> }, shape: MatmulShape, config: MatmulConfig, epilogue?: Epilogue): KernelSource {
  const c = config;
  if (c.rn % 4 !== 0 || c.tk % 4 !== 0) throw new Error(`internal: matmul config ${configName(c)} needs rn and tk multiples of 4`);
  const [a, b] = node.inputs as [number, number];
  const { m, n, k, transA, transB } = shape;
  const threads = c.tx * c.ty;
  const tm = c.ty * c.rm;
  const tn = c.tx * c.rn;
  const opA: Operand = { name: "a", kContiguous: !transA, outer: m, k };
  const opB: Operand = { name: "b", kContiguous: transB, outer: n, k };
  const bias = epilogue?.bias;
  const output = epilogue?.output ?? node.id;
  const store4 = isStatic4(n);
  const bindings: KernelSource["bindings"] = [{ node: a, write: false }, { node: b, write: false }, ...(bias === undefined ? [] : [{ node: bias, write: false }]), { node: output, write: true }];
  const decl = (slot: number, name: string, vec: boolean, write: boolean) => `@group(0) @binding(${slot}) var<storage, ${write ? "read_write" : "read"}> ${name}: array<${vec ? "vec4f" : "f32"}>;`;
  const decls = [
    decl(1, vectorWidth(opA) === 4 ? "a4" : "a", vectorWidth(opA) === 4, false),
    decl(2, vectorWidth(opB) === 4 ? "b4" : "b", vectorWidth(opB) === 4, false),
    ...(bias === undefined ? [] : [decl(3, "bias", false, false)]),
    decl(bias === undefined ? 3 : 4, store4 ? "c4" : "c", store4, true),
  ];
  const activation = epilogue?.activation;
  const value = (sum: string, col: string) => {
    const s = bias === undefined ? sum : `(${sum} + bias[${col}])`;
    return activation ? elementwiseExpr(activation.op, [s], activation.alpha === undefined ? {} : { alpha: activation.alpha }, true) : s;
  };
  const staticK = typeof k === "number" ? k : undefined;
  const full = staticK === undefined ? `${dimExpr(k)} / ${c.tk}u` : `${Math.floor(staticK / c.tk)}u`;
  // A static K that the slices divide needs no tail at all.
  const hasTail = staticK === undefined ? `full * ${c.tk}u < ${dimExpr(k)}` : staticK % c.tk !== 0 ? "true" : undefined;
  const slice = (checkK: boolean) => `${tileLoad(opA, tm, c.tk, threads, "tileRow", checkK)}
    ${tileLoad(opB, tn, c.tk, threads, "tileCol", checkK)}
    workgroupBarrier();
    ${sliceCompute(c)}
    workgroupBarrier();`;
  const cols4 = c.rn / 4;
  const accDecls: string[] = [];
  const stores: string[] = [];
  const comps = ["x", "y", "z", "w"];
  for (let i = 0; i < c.rm; i++) {
    for (let j = 0; j < cols4; j++) {
      accDecls.push(`var acc${i}_${j} = vec4f(0.0);`);
      const row = `tileRow + rowBase + ${i}u`;
      const col = `tileCol + (colBase + ${j}u) * 4u`;
      if (store4) {
        const parts = comps.map((comp, q) => value(`acc${i}_${j}.${comp}`, `col + ${q}u`));
        stores.push(`{ let row = ${row}; let col = ${col}; if (row < M && col < N) { c4[(row * N + col) / 4u] = vec4f(${parts.join(", ")}); } }`);
      } else {
        for (let q = 0; q < 4; q++) {
          stores.push(`{ let row = ${row}; let col = ${col} + ${q}u; if (row < M && col < N) { let i = row * N + col; c[i] = ${value(`acc${i}_${j}.${comps[q]}`, "col")}; } }`);
        }
      }
    }
  }
  const fused = [bias === undefined ? "" : "bias", activation?.op ?? ""].filter(Boolean).join(" + ");
  return {
    label: `matmul #${node.id}${fused ? ` + ${fused}` : ""}`,
    bindings,
    dispatch: { kind: "grid", x: { elements: [n], per: tn }, y: { elements: [m], per: tm } },
    code: `${GLOBALS_WGSL}${decls.join("\n")}
// ${configName(c)}: a ${tm}×${tn} tile per workgroup of ${c.tx}×${c.ty} threads.
var<workgroup> tileA: array<array<vec4f, ${c.tk / 4}>, ${tm}>;
var<workgroup> tileB: array<array<vec4f, ${tn / 4}>, ${c.tk}>;
@compute @workgroup_size(${c.tx}, ${c.ty})
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) lid: vec3u, @builtin(local_invocation_index) li: u32) {
  let M = ${dimExpr(m)};
  let N = ${dimExpr(n)};
  let tileRow = wg.y * ${tm}u;
  let tileCol = wg.x * ${tn}u;
  let rowBase = lid.y * ${c.rm}u;
  let colBase = lid.x * ${cols4}u;
  ${accDecls.join("\n  ")}
  let full = ${full};
  for (var t = 0u; t < full; t = t + 1u) {
    ${slice(false)}
  }
  ${hasTail === undefined ? "" : `if (${hasTail}) {
    let t = full;
    ${slice(true)}
  }`}
  ${stores.join("\n  ")}
}
`,
  };
}
