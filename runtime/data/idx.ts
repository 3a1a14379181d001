// MNIST's IDX format (http://yann.lecun.com/exdb/mnist/): two zero bytes, a type code, the number of
// dimensions, each dimension as a big-endian u32, then the values in C order, big-endian. Files may be
// gzipped (as distributed); a gzip member is recognized by its magic bytes, not by the file name.
import * as fs from "node:fs";
import * as zlib from "node:zlib";
import { DataError } from "./errors.js";

const TYPES: Record<number, { name: string; size: number }> = {
  0x08: { name: "u8", size: 1 },
  0x09: { name: "i8", size: 1 },
  0x0b: { name: "i16", size: 2 },
  0x0c: { name: "i32", size: 4 },
  0x0d: { name: "f32", size: 4 },
  0x0e: { name: "f64", size: 8 },
};

export interface IdxHeader {
  type: number;
  dims: number[];
  /** Byte offset of the first value. */
  offset: number;
}

export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/**
 * The file's contents, decompressed when gzipped. `partial`: the bytes are only the file's beginning (the
 * checker reads headers without reading 26 MB), so decompress what is there instead of demanding the end.
 */
export function gunzipIfNeeded(bytes: Uint8Array, file: string, partial = false): Uint8Array {
  if (!isGzip(bytes)) return bytes;
  try {
    return zlib.gunzipSync(bytes, partial ? { finishFlush: zlib.constants.Z_SYNC_FLUSH } : {});
  } catch (error) {
    throw new DataError(`\`${file}\` looks gzipped but cannot be decompressed: ${(error as Error).message}`);
  }
}

export function parseIdxHeader(bytes: Uint8Array, file: string): IdxHeader {
  if (bytes.length < 4 || bytes[0] !== 0 || bytes[1] !== 0) throw new DataError(`\`${file}\` is not an IDX file (it does not start with two zero bytes)`);
  const type = bytes[2]!;
  if (!TYPES[type]) throw new DataError(`\`${file}\` has IDX type code 0x${type.toString(16)}, which is not one of the format's types`);
  const rank = bytes[3]!;
  if (rank < 1) throw new DataError(`\`${file}\` declares no dimensions`);
  if (bytes.length < 4 + 4 * rank) throw new DataError(`\`${file}\` ends inside its IDX header`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dims = Array.from({ length: rank }, (_, i) => view.getUint32(4 + 4 * i, false));
  return { type, dims, offset: 4 + 4 * rank };
}

/** The values after the header, as a Float32Array multiplied by `scale` (one pass, no intermediate arrays). */
export function idxValues(bytes: Uint8Array, header: IdxHeader, file: string, scale = 1): Float32Array {
  const count = header.dims.reduce((p, d) => p * d, 1);
  const { size, name } = TYPES[header.type]!;
  if (bytes.length < header.offset + count * size) {
    throw new DataError(`\`${file}\` is truncated: its header promises ${count} ${name} values (${header.dims.join("×")}), but the file holds ${Math.floor((bytes.length - header.offset) / size)}`);
  }
  const out = new Float32Array(count);
  if (header.type === 0x08) {
    const data = bytes.subarray(header.offset, header.offset + count);
    for (let i = 0; i < count; i++) out[i] = data[i]! * scale;
    return out;
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset + header.offset, count * size);
  const read: (i: number) => number =
    header.type === 0x09 ? (i) => view.getInt8(i)
    : header.type === 0x0b ? (i) => view.getInt16(2 * i, false)
    : header.type === 0x0c ? (i) => view.getInt32(4 * i, false)
    : header.type === 0x0d ? (i) => view.getFloat32(4 * i, false)
    : (i) => view.getFloat64(8 * i, false);
  for (let i = 0; i < count; i++) out[i] = read(i) * scale;
  return out;
}

export function readFileBytes(file: string): Uint8Array {
  try {
    return fs.readFileSync(file);
  } catch {
    throw new DataError(`cannot read data file \`${file}\``);
  }
}

/** The shape of one image: [1, H, W] for the usual N×H×W files (one channel), else the dimensions after N. */
export function idxExampleShape(dims: number[]): number[] {
  return dims.length === 3 ? [1, dims[1]!, dims[2]!] : dims.slice(1);
}

/** Reads an IDX file fully: its dimensions and values (times `scale`). */
export function readIdx(file: string, scale = 1): { dims: number[]; values: Float32Array } {
  const bytes = gunzipIfNeeded(readFileBytes(file), file);
  const header = parseIdxHeader(bytes, file);
  return { dims: header.dims, values: idxValues(bytes, header, file, scale) };
}
