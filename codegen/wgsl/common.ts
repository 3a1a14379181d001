// Pieces every generated WGSL kernel shares: the per-step globals, the counter-based hash (the same u32
// arithmetic as runtime/rng.ts, so both backends draw identical dropout masks), and literal formatting.
import { GLOBAL_FIELDS } from "../../runtime/webgpu/globals.js";

/** Written by the host each step; one uniform buffer shared by all kernels (fields: runtime/webgpu/globals.ts). */
export const GLOBALS_WGSL = `struct Globals {
${GLOBAL_FIELDS.map((field) => `  ${field.name}: ${field.type},`).join("\n")}
}
@group(0) @binding(0) var<uniform> globals: Globals;
`;

export const HASH_WGSL = `fn mix32(x: u32) -> u32 {
  var h = x;
  h = h ^ (h >> 16u);
  h = h * 0x85ebca6bu;
  h = h ^ (h >> 13u);
  h = h * 0xc2b2ae35u;
  h = h ^ (h >> 16u);
  return h;
}
fn hash4(seed: u32, stream: u32, counter: u32, index: u32) -> u32 {
  var h = mix32(seed ^ 0x9e3779b9u);
  h = mix32(h ^ ((stream + 1u) * 0x27d4eb2fu));
  h = mix32(h ^ ((counter + 1u) * 0x165667b1u));
  return mix32(h ^ ((index + 1u) * 0x2545f491u));
}
`;

/** A WGSL f32 literal for a JavaScript number. */
export function f32(x: number): string {
  if (!Number.isFinite(x)) throw new Error(`internal: non-finite literal ${x}`);
  const text = String(x);
  return /[.eE]/.test(text) ? text : `${text}.0`;
}

export type Dim = number | string;

/** A WGSL u32 expression for the element count of a shape whose "N" is the runtime batch. */
export function countExpr(shape: Dim[]): string {
  const known = shape.filter((d): d is number => typeof d === "number").reduce((p, d) => p * d, 1);
  const batch = shape.includes("N");
  return batch ? (known === 1 ? "globals.batch" : `(globals.batch * ${known}u)`) : `${known}u`;
}

export function dimExpr(d: Dim): string {
  return d === "N" ? "globals.batch" : `${d}u`;
}

/**
 * WGSL expression for the linear index into a tensor of shape `input` broadcast to `output`, given the
 * output's linear index variable `i` (shapes aligned from the right, size-1 axes broadcast).
 */
export function broadcastIndex(output: Dim[], input: Dim[], i = "i"): string {
  if (input.length === output.length && input.every((d, k) => d === output[k])) return i;
  if (input.length === 0 || input.every((d) => d === 1)) return "0u";
  const terms: string[] = [];
  let outStride = "1u";
  let inStride = "1u";
  const offset = output.length - input.length;
  for (let axis = output.length - 1; axis >= 0; axis--) {
    const outDim = output[axis]!;
    const inDim = axis - offset >= 0 ? input[axis - offset]! : 1;
    if (inDim !== 1) terms.push(`(((${i} / ${outStride}) % ${dimExpr(outDim)}) * ${inStride})`);
    outStride = outStride === "1u" ? dimExpr(outDim) : `(${outStride} * ${dimExpr(outDim)})`;
    if (inDim !== 1) inStride = inStride === "1u" ? dimExpr(inDim) : `(${inStride} * ${dimExpr(inDim)})`;
  }
  return terms.length ? terms.join(" + ") : "0u";
}

/**
 * WGSL statements that sum each invocation's `acc` over a workgroup of `width` invocations (a power of two)
 * into `partial[0]`, a tree of halvings with a barrier after each. The kernel declares
 * `var<workgroup> partial: array<T, width>` (T being acc's type) and names its local index `lid`.
 */
export function workgroupSum(width: number): string {
  return `partial[lid] = acc;
  workgroupBarrier();
  for (var s = ${width / 2}u; s > 0u; s = s >> 1u) {
    if (lid < s) { partial[lid] = partial[lid] + partial[lid + s]; }
    workgroupBarrier();
  }`;
}
