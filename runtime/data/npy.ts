// NumPy's .npy format (numpy.lib.format): the magic "\x93NUMPY", a version, a little-endian header length,
// a Python dict literal {'descr': '<f4', 'fortran_order': False, 'shape': (60000, 28, 28), }, then the
// values. Read: little-endian (or byte-order-free) uint8, int8, int32, int64, float32 and float64 in C order.
import { DataError } from "./errors.js";

export interface NpyHeader {
  descr: string;
  shape: number[];
  /** Byte offset of the first value. */
  offset: number;
}

const DTYPES: Record<string, { size: number; name: string }> = {
  "|u1": { size: 1, name: "uint8" },
  "<u1": { size: 1, name: "uint8" },
  "|i1": { size: 1, name: "int8" },
  "<i1": { size: 1, name: "int8" },
  "<i4": { size: 4, name: "int32" },
  "<i8": { size: 8, name: "int64" },
  "<f4": { size: 4, name: "float32" },
  "<f8": { size: 8, name: "float64" },
};

/** Parses the header; `bytes` may be only the file's beginning (the checker reads no more). */
export function parseNpyHeader(bytes: Uint8Array, file: string): NpyHeader {
  const magic = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59];
  if (bytes.length < 10 || magic.some((b, i) => bytes[i] !== b)) throw new DataError(`\`${file}\` is not an NPY file (it does not start with "\\x93NUMPY")`);
  const major = bytes[6]!;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const [length, start] = major === 1 ? [view.getUint16(8, true), 10] : bytes.length >= 12 ? [view.getUint32(8, true), 12] : [0, 12];
  if (major < 1 || major > 3) throw new DataError(`\`${file}\` is NPY version ${major}, which is not one this reader knows (1 to 3)`);
  if (bytes.length < start + length) throw new DataError(`\`${file}\` ends inside its NPY header`);
  const text = new TextDecoder(major === 3 ? "utf-8" : "latin1").decode(bytes.subarray(start, start + length));
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(text)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(text)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(text)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) throw new DataError(`\`${file}\` has an NPY header this reader cannot parse: ${text.trim()}`);
  if (fortran === "True") throw new DataError(`\`${file}\` is stored in Fortran order; save it in C order (numpy.ascontiguousarray(a) before numpy.save)`);
  if (!DTYPES[descr]) {
    throw new DataError(`\`${file}\` holds dtype '${descr}'; this reader takes little-endian uint8, int8, int32, int64, float32 or float64 (convert with a.astype(numpy.float32))`);
  }
  const shape = shapeText.split(",").map((d) => d.trim()).filter((d) => d !== "").map(Number);
  if (shape.some((d) => !Number.isInteger(d) || d < 0)) throw new DataError(`\`${file}\` has an unreadable shape (${shapeText})`);
  return { descr, shape, offset: start + length };
}

/** The array's values as one Float32Array, multiplied by `scale`; the file's bytes are read in place. */
export function npyValues(bytes: Uint8Array, header: NpyHeader, file: string, scale = 1): Float32Array {
  const count = header.shape.reduce((p, d) => p * d, 1);
  const { size, name } = DTYPES[header.descr]!;
  if (bytes.length < header.offset + count * size) throw new DataError(`\`${file}\` is truncated: its header promises ${count} ${name} values, but the file holds ${Math.floor((bytes.length - header.offset) / size)}`);
  let data = bytes.subarray(header.offset, header.offset + count * size);
  // A typed-array view needs an aligned start; numpy aligns the data to 64 bytes, but a pooled Buffer may not be.
  if ((data.byteOffset % size) !== 0) data = data.slice();
  const source =
    header.descr.endsWith("u1") ? data
    : header.descr.endsWith("i1") ? new Int8Array(data.buffer, data.byteOffset, count)
    : header.descr === "<i4" ? new Int32Array(data.buffer, data.byteOffset, count)
    : header.descr === "<i8" ? new BigInt64Array(data.buffer, data.byteOffset, count)
    : header.descr === "<f4" ? new Float32Array(data.buffer, data.byteOffset, count)
    : new Float64Array(data.buffer, data.byteOffset, count);
  const out = new Float32Array(count);
  if (source instanceof BigInt64Array) for (let i = 0; i < count; i++) out[i] = Number(source[i]!) * scale;
  else if (scale === 1) out.set(source);
  else for (let i = 0; i < count; i++) out[i] = source[i]! * scale;
  return out;
}

/** Writes a C-order little-endian .npy (version 1) image: for tests and fixtures. */
export function encodeNpy(values: ArrayLike<number>, shape: number[], descr: "|u1" | "<f4" | "<f8" | "<i8" = "<f4"): Uint8Array {
  const dims = shape.length === 1 ? `${shape[0]},` : shape.join(", ");
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${dims}), }`;
  const unpadded = 10 + header.length + 1;
  header += " ".repeat((64 - (unpadded % 64)) % 64) + "\n";
  const size = DTYPES[descr]!.size;
  const out = new Uint8Array(10 + header.length + values.length * size);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
  new DataView(out.buffer).setUint16(8, header.length, true);
  for (let i = 0; i < header.length; i++) out[10 + i] = header.charCodeAt(i);
  const body = new DataView(out.buffer, 10 + header.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (descr === "|u1") body.setUint8(i, v);
    else if (descr === "<f4") body.setFloat32(4 * i, v, true);
    else if (descr === "<f8") body.setFloat64(8 * i, v, true);
    else body.setBigInt64(8 * i, BigInt(v), true);
  }
  return out;
}
