// Parameters, their gradients and the optimizer's moments live in flat buffers, so one dispatch updates all
// of them. Each parameter starts at a multiple of 64 floats (256 bytes, WebGPU's storage offset alignment);
// the padding stays zero and the update leaves it zero. When all parameters do not fit one storage binding
// (128 MiB by default), they are split into several chunks, each its own set of flat buffers with its own
// update dispatch; one parameter never spans two chunks (one larger than a binding is a budget error,
// compiler/budget.ts).
import type { Program } from "../program.js";
import { DEFAULT_LIMITS } from "./limits.js";

export const ALIGN_FLOATS = 64;

export interface FlatLayout {
  /** Floats in each chunk's flat buffers, padding included. */
  chunks: number[];
  /** Parameter node → its chunk and first element there. */
  place: Map<number, { chunk: number; offset: number }>;
}

/** The key of a chunk's flat buffer: `params:0`, `grads:0`, `opt:0:m`, `before:0`. */
export function flatKey(kind: string, chunk: number): string {
  return kind.startsWith("opt:") ? `opt:${chunk}:${kind.slice(4)}` : `${kind}:${chunk}`;
}

export function flatLayout(program: Program, maxBindingBytes = DEFAULT_LIMITS.maxStorageBufferBindingSize): FlatLayout {
  const limit = Math.floor(maxBindingBytes / 4);
  const chunks: number[] = [0];
  const place = new Map<number, { chunk: number; offset: number }>();
  for (const p of program.params) {
    const padded = Math.ceil(p.shape.reduce((a, d) => a * d, 1) / ALIGN_FLOATS) * ALIGN_FLOATS;
    if (chunks[chunks.length - 1]! > 0 && chunks[chunks.length - 1]! + padded > limit) chunks.push(0);
    place.set(p.node, { chunk: chunks.length - 1, offset: chunks[chunks.length - 1]! });
    chunks[chunks.length - 1]! += padded;
  }
  return { chunks: chunks.map((total) => Math.max(total, ALIGN_FLOATS)), place };
}
