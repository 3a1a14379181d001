// Parameters, their gradients and the optimizer's moments live in flat buffers, so one dispatch updates all
// of them. Each parameter starts at a multiple of 64 floats (256 bytes, WebGPU's storage offset alignment);
// the padding stays zero and the update leaves it zero.
import type { Program } from "../program.js";

export const ALIGN_FLOATS = 64;

export interface FlatLayout {
  /** Parameter node → its first element in the flat buffers. */
  offsets: Map<number, number>;
  /** Elements in each flat buffer, padding included. */
  total: number;
}

export function flatLayout(program: Program): FlatLayout {
  const offsets = new Map<number, number>();
  let total = 0;
  for (const p of program.params) {
    offsets.set(p.node, total);
    const count = p.shape.reduce((a, d) => a * d, 1);
    total += Math.ceil(count / ALIGN_FLOATS) * ALIGN_FLOATS;
  }
  return { offsets, total: Math.max(total, ALIGN_FLOATS) };
}
