// Small binary fixtures for the data tests, built in memory.

/** An IDX file of u8 values (type 0x08) with the given dimensions. */
export function idxBytes(dims: number[], values: ArrayLike<number>): Uint8Array {
  const out = new Uint8Array(4 + 4 * dims.length + values.length);
  out.set([0, 0, 0x08, dims.length]);
  const view = new DataView(out.buffer);
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  out.set(Uint8Array.from(values), 4 + 4 * dims.length);
  return out;
}

/** Bytes as the latin1 text an in-memory probe serves (one character per byte). */
export function latin1(bytes: Uint8Array): string {
  let text = "";
  for (const b of bytes) text += String.fromCharCode(b);
  return text;
}
