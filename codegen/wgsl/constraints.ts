// WGSL for gradient clipping by global norm and for the max-norm constraint (runtime/program.ts ClipSpec,
// MaxNormSpec; the CPU reference is runtime/cpu/constraints.ts). The global norm stays on the device: one
// sum-of-squares dispatch per parameter chunk writes per-workgroup partial sums, one single-workgroup
// dispatch adds them and writes the coefficient min(1, max / (‖g‖ + 1e-6)), which each chunk's optimizer
// update reads (codegen/wgsl/optimizer.ts). Clipping by value needs no kernel: the update clamps.
import { flatKey } from "../../runtime/webgpu/layout.js";
import { f32, GLOBALS_WGSL, workgroupSum } from "./common.js";
import type { KernelSource } from "./kernels.js";

/** The buffer of partial sums and, after them, the clip coefficient. */
export const CLIP_BUFFER = "clip";
/** Workgroups (and partial sums) per chunk at most; each thread strides over the rest of the chunk. */
export const CLIP_PARTIALS = 256;
const THREADS = 256;

/** Floats of the clip buffer for `chunks` chunks: the partial sums, then the coefficient. */
export function clipFloats(chunks: number): number {
  return chunks * CLIP_PARTIALS + 1;
}

/** Where the optimizer reads the coefficient. */
export function clipCoefficientIndex(chunks: number): number {
  return chunks * CLIP_PARTIALS;
}

/**
 * Σg² of chunk `chunk`'s flat gradients (padding is zero), as up to CLIP_PARTIALS partial sums at
 * `chunk`·CLIP_PARTIALS; slots of workgroups not dispatched are never written and stay zero.
 */
export function emitGradSquares(chunk: number, floats: number): KernelSource {
  const groups = Math.max(1, Math.min(CLIP_PARTIALS, Math.ceil(floats / (THREADS * 4))));
  return {
    label: `sum of squared gradients, chunk ${chunk}`,
    bindings: [
      { node: flatKey("grads", chunk), write: false },
      { node: CLIP_BUFFER, write: true },
    ],
    dispatch: { kind: "groups", count: groups },
    code: `${GLOBALS_WGSL}@group(0) @binding(1) var<storage, read> grads: array<f32>;
@group(0) @binding(2) var<storage, read_write> clip: array<f32>;
var<workgroup> partial: array<f32, ${THREADS}>;
@compute @workgroup_size(${THREADS})
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) lid: u32) {
  var acc = 0.0;
  for (var i = wg.x * ${THREADS}u + lid; i < ${floats}u; i = i + ${groups * THREADS}u) {
    let g = grads[i];
    acc = acc + g * g;
  }
  ${workgroupSum(THREADS)}
  if (lid == 0u) { clip[${chunk * CLIP_PARTIALS}u + wg.x] = partial[0]; }
}
`,
  };
}

/** Adds every chunk's partial sums and writes min(1, max / (√Σ + 1e-6)), clip_grad_norm_'s clamped coefficient. */
export function emitClipCoefficient(chunks: number, max: number): KernelSource {
  return {
    label: "gradient clipping coefficient",
    bindings: [{ node: CLIP_BUFFER, write: true }],
    dispatch: { kind: "single" },
    code: `${GLOBALS_WGSL}@group(0) @binding(1) var<storage, read_write> clip: array<f32>;
var<workgroup> partial: array<f32, ${CLIP_PARTIALS}>;
@compute @workgroup_size(${CLIP_PARTIALS})
fn main(@builtin(local_invocation_index) lid: u32) {
  var acc = 0.0;
  for (var c = 0u; c < ${chunks}u; c = c + 1u) { acc = acc + clip[c * ${CLIP_PARTIALS}u + lid]; }
  ${workgroupSum(CLIP_PARTIALS)}
  if (lid == 0u) { clip[${clipCoefficientIndex(chunks)}u] = min(${f32(max)} / (sqrt(partial[0]) + 1e-6), 1.0); }
}
`,
  };
}

const ROW_THREADS = 64;

/**
 * torch.renorm(w, 2, 0, value) of the listed tensors of chunk `chunk`'s flat parameters, in place: one
 * workgroup per slice along axis 0 (a row of `cols` contiguous floats), a tree reduction of its squares,
 * then a rescale by value / (norm + 1e-7) where norm > value.
 */
export function emitMaxNorm(chunk: number, tensors: { offset: number; rows: number; cols: number }[], value: number): KernelSource {
  const list = (values: number[]) => `array<u32, ${values.length}>(${values.map((v) => `${v}u`).join(", ")})`;
  const starts: number[] = [];
  let total = 0;
  for (const t of tensors) {
    starts.push(total);
    total += t.rows;
  }
  return {
    label: `max-norm constraint, chunk ${chunk}`,
    bindings: [{ node: flatKey("params", chunk), write: true }],
    dispatch: { kind: "groups", count: total },
    code: `${GLOBALS_WGSL}@group(0) @binding(1) var<storage, read_write> params: array<f32>;
// The ${tensors.length} tensors: their first row's workgroup, offset in the chunk and row length.
var<private> starts = ${list(starts)};
var<private> offsets = ${list(tensors.map((t) => t.offset))};
var<private> cols = ${list(tensors.map((t) => t.cols))};
var<workgroup> partial: array<f32, ${ROW_THREADS}>;
@compute @workgroup_size(${ROW_THREADS})
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) groups: vec3u, @builtin(local_invocation_index) lid: u32) {
  let row = wg.x + wg.y * groups.x;
  if (row >= ${total}u) { return; }
  var k = 0u;
  for (var t = 1u; t < ${tensors.length}u; t = t + 1u) { if (starts[t] <= row) { k = t; } }
  let n = cols[k];
  let base = offsets[k] + (row - starts[k]) * n;
  var acc = 0.0;
  for (var j = lid; j < n; j = j + ${ROW_THREADS}u) {
    let w = params[base + j];
    acc = acc + w * w;
  }
  ${workgroupSum(ROW_THREADS)}
  let norm = sqrt(partial[0]);
  if (norm > ${f32(value)}) {
    let scale = ${f32(value)} / (norm + 1e-7);
    for (var j = lid; j < n; j = j + ${ROW_THREADS}u) { params[base + j] = params[base + j] * scale; }
  }
}
`,
  };
}
