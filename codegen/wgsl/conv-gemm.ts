// The implicit GEMM that every convolution kernel is: C[rows, cols] = Σ_k A[row, k]·B[k, col], where A and B
// are never stored as matrices. Each operand is gathered from its tensor (an image, a gradient, the weights)
// while its tile is loaded into workgroup memory, so no im2col buffer or transposed copy exists. The shape
// of the work is the tiled, register-blocked matmul of kernels.ts: a workgroup of 8×8 threads, each
// accumulating an RM×RN block in registers, over TK-deep slices of k. The block (and so the tile, 8·RM × 8·RN)
// and the slice depth are chosen per kernel from the static sizes (`gemmTiling`): few columns get a tall
// tile rather than one mostly padding, a shallow k (the first layer's Cin·kh·kw = 9) one slice of exactly
// that depth. Rows are the output's contiguous direction: thread (x, y) owns rows x, x+8, … and columns
// y, y+8, …, so neighbouring lanes write neighbouring addresses and read neighbouring words of the A tile.
// Rows and columns are bounds-checked; k only where the slice depth does not divide it.
import { GLOBALS_WGSL, type Dim } from "./common.js";
import { decls, type KernelSource } from "./kernels.js";

/** Threads per workgroup along each tile axis (8×8 = 64 invocations). */
const THREADS = 8;
/**
 * Row tiles are spread over x and z (tile = x + z·groups.x), so a GEMM may have up to 8 × 65,535 row tiles
 * rather than WebGPU's 65,535 workgroups per dimension; the few spare workgroups of the last z-slice exit
 * at once.
 */
const ROW_SPLIT = 8;

/**
 * How one operand is gathered. Lanes run along `lanes`: "outer" (A's row or B's column, fixed per thread
 * for the whole kernel, so its index arithmetic runs once) or "k" (fixed per thread for each k-slice), and
 * the choice is whichever makes neighbouring lanes read neighbouring addresses of the source tensor.
 */
export interface GemmOperand {
  lanes: "outer" | "k";
  /** Statements on the fixed index only (plain arithmetic, no reads); names must carry the operand's prefix. */
  fixed: (index: string) => string;
  /** Statements that assign `v` (declared 0.0) for in-range `outer` and `k`; may leave it 0 (padding taps). */
  load: (outer: string, k: string) => string;
}

export interface Tiling {
  /** Accumulators per thread along rows and columns; the tile is 8·rm × 8·rn. */
  rm: number;
  rn: number;
  /** Depth of a k-slice. */
  tk: number;
}

export interface ImplicitGemm {
  label: string;
  bindings: KernelSource["bindings"];
  names: string[];
  rows: string;
  cols: string;
  depth: string;
  /** The depth when it is static (no batch in it): slices that divide it need no k check. */
  staticDepth?: number;
  tiling: Tiling;
  a: GemmOperand;
  b: GemmOperand;
  /** Module-scope declarations (workgroup tables) and the statements that fill them, once per workgroup. */
  tables?: { decl: string; fill: string };
  /** Statements once per owned row (`row` in scope), before its columns are stored. */
  rowSetup: string;
  /** The statement that writes `value` for (`row`, `col`). */
  store: (value: string) => string;
  /** The epilogue on the accumulated sum (bias, activation). */
  value: (sum: string) => string;
  /** The row and column counts as dimensions ("N" for the batch), for the dispatch grid. */
  rowDims: Dim[];
  colDims: Dim[];
}

/**
 * The register block and slice depth for a GEMM of `rows` (undefined: batch-sized, i.e. many) × `cols`
 * over `depth` (undefined: batch-sized). Measured on lavapipe (fashion_cnn.dl's layers): with many rows, a
 * tile as wide as the columns (16 columns: 64×16 rather than a half-empty 32×32) nearly halves the time; with
 * few static rows (the weight gradient, k = N·OH·OW), a 16×16 tile where a 32×32 one would be mostly
 * padding (9×16 outputs: 1.6× faster; but 144×32 outputs run 2× slower in 16×16 tiles); a k of at most 32 is one slice of exactly that depth
 * (the first layer's 9 taps instead of 23 zero rows in a 32-deep slice: 3× faster).
 */
export function gemmTiling(rows: number | undefined, cols: number, depth: number | undefined): Tiling {
  const tk = depth !== undefined && depth <= 32 ? depth : 32;
  if (rows === undefined) {
    if (cols <= 8) return { rm: 8, rn: 1, tk };
    if (cols <= 16) return { rm: 8, rn: 2, tk };
    return { rm: 4, rn: 4, tk };
  }
  if (2 * rows * cols < Math.ceil(rows / 32) * Math.ceil(cols / 32) * 1024) return { rm: 2, rn: 2, tk };
  return { rm: 4, rn: 4, tk };
}

/** The tile loads of one operand into `tile` ([k][outer], `width` wide); `base` is the tile's first outer index. */
function loads(op: GemmOperand, name: "a" | "b", tile: string, width: number, tk: number, base: string, limit: string, checkK: boolean): { once: string; perTile: string } {
  const o = `${name}O`;
  const k = `${name}K`;
  const inner = (checks: string[]) => `var v = 0.0;
        ${checks.length ? `if (${checks.join(" && ")}) {
          ${op.load(o, k)}
        }` : op.load(o, k)}`;
  const kCheck = checkK ? [`${k} < DEPTH`] : [];
  const threads = THREADS * THREADS;
  if (op.lanes === "outer" && width <= threads) {
    // Each thread keeps one outer index; the workgroup covers threads / width k-rows per step.
    const per = threads / width;
    const steps = Math.ceil(tk / per);
    return {
      once: `let ${o} = ${base} + li % ${width}u;
  let ${name}In = ${o} < ${limit};
  ${op.fixed(o)}`,
      perTile: `for (var s = 0u; s < ${steps}u; s = s + 1u) {
        let kl = li / ${width}u + ${per}u * s;
        ${tk % per ? `if (kl >= ${tk}u) { break; }` : ""}
        let ${k} = t * ${tk}u + kl;
        ${inner([`${name}In`, ...kCheck])}
        ${tile}[kl][li % ${width}u] = v;
      }`,
    };
  }
  if (op.lanes === "k" && threads % tk === 0) {
    // Each thread keeps one k per slice; the workgroup covers threads / tk outer indices per step.
    const per = threads / tk;
    const steps = Math.ceil(width / per);
    return {
      once: "",
      perTile: `{
      let kl = li % ${tk}u;
      let ${k} = t * ${tk}u + kl;
      ${op.fixed(k)}
      for (var s = 0u; s < ${steps}u; s = s + 1u) {
        let ol = li / ${tk}u + ${per}u * s;
        ${width % per ? `if (ol >= ${width}u) { break; }` : ""}
        let ${o} = ${base} + ol;
        ${inner([`${o} < ${limit}`, ...kCheck])}
        ${tile}[kl][ol] = v;
      }
    }`,
    };
  }
  // Any other shape: element by element, fixed part included (small tiles only, e.g. a 9-deep weight slice).
  return {
    once: "",
    perTile: `for (var e = li; e < ${width * tk}u; e = e + ${threads}u) {
        let kl = e % ${tk}u;
        let ol = e / ${tk}u;
        let ${k} = t * ${tk}u + kl;
        let ${o} = ${base} + ol;
        ${op.fixed(op.lanes === "k" ? k : o)}
        ${inner([`${o} < ${limit}`, ...kCheck])}
        ${tile}[kl][ol] = v;
      }`,
  };
}

export function implicitGemm(g: ImplicitGemm): KernelSource {
  const { rm, rn, tk } = g.tiling;
  const tm = THREADS * rm;
  const tn = THREADS * rn;
  const checkK = g.staticDepth === undefined || g.staticDepth % tk !== 0;
  const a = loads(g.a, "a", "tileA", tm, tk, "tileRow", "ROWS", checkK);
  const b = loads(g.b, "b", "tileB", tn, tk, "tileCol", "COLS", checkK);
  return {
    label: g.label,
    bindings: g.bindings,
    dispatch: { kind: "grid", x: { elements: g.rowDims, per: tm * ROW_SPLIT }, y: { elements: g.colDims, per: tn }, z: { elements: [ROW_SPLIT], per: 1 } },
    code: `${GLOBALS_WGSL}${decls(g.bindings, g.names)}
var<workgroup> tileA: array<array<f32, ${tm}>, ${tk}>;
var<workgroup> tileB: array<array<f32, ${tn}>, ${tk}>;
${g.tables?.decl ?? ""}
@compute @workgroup_size(${THREADS}, ${THREADS})
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) groups: vec3u, @builtin(local_invocation_id) lid: vec3u, @builtin(local_invocation_index) li: u32) {
  let ROWS = ${g.rows};
  let COLS = ${g.cols};
  let DEPTH = ${g.depth};
  let tileRow = (wg.x + wg.z * groups.x) * ${tm}u;
  if (tileRow >= ROWS) { return; }
  let tileCol = wg.y * ${tn}u;
  ${g.tables ? `${g.tables.fill}\n  workgroupBarrier();` : ""}
  ${a.once}
  ${b.once}
  var acc: array<array<f32, ${rn}>, ${rm}>;
  let tiles = (DEPTH + ${tk - 1}u) / ${tk}u;
  for (var t = 0u; t < tiles; t = t + 1u) {
    ${a.perTile}
    ${b.perTile}
    workgroupBarrier();
    for (var p = 0u; p < ${tk}u; p = p + 1u) {
      var av: array<f32, ${rm}>;
      var bv: array<f32, ${rn}>;
      for (var i = 0u; i < ${rm}u; i = i + 1u) { av[i] = tileA[p][lid.x + ${THREADS}u * i]; }
      for (var j = 0u; j < ${rn}u; j = j + 1u) { bv[j] = tileB[p][lid.y + ${THREADS}u * j]; }
      for (var i = 0u; i < ${rm}u; i = i + 1u) {
        for (var j = 0u; j < ${rn}u; j = j + 1u) {
          acc[i][j] = acc[i][j] + av[i] * bv[j];
        }
      }
    }
    workgroupBarrier();
  }
  for (var i = 0u; i < ${rm}u; i = i + 1u) {
    let row = tileRow + lid.x + ${THREADS}u * i;
    if (row >= ROWS) { continue; }
    ${g.rowSetup}
    for (var j = 0u; j < ${rn}u; j = j + 1u) {
      let col = tileCol + lid.y + ${THREADS}u * j;
      if (col < COLS) { ${g.store(g.value("acc[i][j]"))} }
    }
  }
}
`,
  };
}
