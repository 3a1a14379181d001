// Writing small .npy files (format 1.0, little-endian float32) for tests that need data from files.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

export function npyBytes(shape: number[], values: ArrayLike<number>): Uint8Array {
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${shape.join(", ")}${shape.length === 1 ? "," : ""}), }`;
  // The header, with the 10 bytes before it, pads to a multiple of 64 and ends in a newline.
  header += " ".repeat(63 - ((10 + header.length) % 64)) + "\n";
  const bytes = new Uint8Array(10 + header.length + 4 * values.length);
  bytes.set([0x93, ...Buffer.from("NUMPY"), 1, 0, header.length & 0xff, header.length >> 8]);
  bytes.set(Buffer.from(header, "latin1"), 10);
  new Float32Array(bytes.buffer, 10 + header.length).set(Float32Array.from(values));
  return bytes;
}

/** A fresh temporary folder holding x.npy and y.npy; returns its path. */
export function npyPair(x: { shape: number[]; values: ArrayLike<number> }, y: { shape: number[]; values: ArrayLike<number> }): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dslc-npy-"));
  fs.writeFileSync(path.join(dir, "x.npy"), npyBytes(x.shape, x.values));
  fs.writeFileSync(path.join(dir, "y.npy"), npyBytes(y.shape, y.values));
  return dir;
}
