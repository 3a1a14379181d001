// Image data sources: IDX (gzipped or not), NPY (each dtype read; Fortran order and other dtypes refused with
// a clear message), CSV rows shaped as images, `scale`, and the installed Fashion-MNIST when present.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as zlib from "node:zlib";
import { afterAll, describe, expect, it } from "vitest";
import { DataError, loadIdx, loadNpy, loadSource } from "../../runtime/data/sources.js";
import { encodeNpy, npyValues, parseNpyHeader } from "../../runtime/data/npy.js";
import { prepareData } from "../../runtime/data/pipeline.js";
import { idxBytes } from "./fixtures.js";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dslc-images-"));
afterAll(() => fs.rmSync(dir, { recursive: true }));
const file = (name: string, bytes: Uint8Array | string) => {
  fs.writeFileSync(path.join(dir, name), bytes);
  return path.join(dir, name);
};

describe("IDX", () => {
  // 3 images of 2×4 pixels, values 0..23; labels 2, 0, 1.
  const pixels = Array.from({ length: 24 }, (_, i) => i * 10);
  const images = idxBytes([3, 2, 4], pixels);
  const labels = idxBytes([3], [2, 0, 1]);

  it("reads images as [1, H, W] examples, labels as class indices, scaled as asked", () => {
    const data = loadIdx(file("i.idx", images), file("l.idx", labels), 1 / 255);
    expect(data.count).toBe(3);
    expect(data.shape).toEqual([1, 2, 4]);
    expect(data.features).toBe(8);
    expect(data.x).toBeInstanceOf(Float32Array);
    expect(data.x[9]).toBeCloseTo(90 / 255, 7);
    expect(Array.from(data.y)).toEqual([2, 0, 1]);
  });

  it("reads gzipped files the same (recognized by their magic bytes)", () => {
    const plain = loadIdx(file("i.idx", images), file("l.idx", labels), 1);
    const gz = loadIdx(file("i.idx.gz", zlib.gzipSync(images)), file("l.gz", zlib.gzipSync(labels)), 1);
    expect(gz).toEqual(plain);
  });

  it("refuses truncated files, a label count that differs, and files that are not IDX", () => {
    expect(() => loadIdx(file("t.idx", images.subarray(0, 20)), file("l.idx", labels), 1)).toThrow(/truncated/);
    expect(() => loadIdx(file("i.idx", images), file("l2.idx", idxBytes([2], [0, 1])), 1)).toThrow(/3 images but .* 2 labels/);
    expect(() => loadIdx(file("n.idx", "hello"), file("l.idx", labels), 1)).toThrow(DataError);
  });
});

describe("NPY", () => {
  const x = Array.from({ length: 2 * 3 * 2 }, (_, i) => i - 3.5);
  it("reads float32, float64, uint8 and int64 in C order; the first axis counts examples", () => {
    const y = file("y.npy", encodeNpy([1, 0], [2], "<i8"));
    for (const descr of ["<f4", "<f8"] as const) {
      const data = loadNpy(file(`x${descr}.npy`, encodeNpy(x, [2, 3, 2], descr)), y, 2);
      expect(data.shape).toEqual([3, 2]);
      expect(Array.from(data.x)).toEqual(x.map((v) => 2 * v));
      expect(Array.from(data.y)).toEqual([1, 0]);
    }
    const bytes = loadNpy(file("u.npy", encodeNpy([0, 255, 128, 3], [2, 2], "|u1")), y, 1);
    expect(Array.from(bytes.x)).toEqual([0, 255, 128, 3]);
    // Flat examples keep no shape: the model input is [N, F].
    expect(bytes.shape).toBeUndefined();
    expect(bytes.features).toBe(2);
  });

  it("reads arrays whose data does not start on an aligned byte in memory", () => {
    // numpy aligns the data within the file; a Buffer from Node's pool may still start at any byte.
    const bytes = encodeNpy(x, [4, 3], "<f8");
    const shifted = new Uint8Array(bytes.length + 1).subarray(1);
    shifted.set(bytes);
    expect(shifted.byteOffset % 8).toBe(1);
    expect(Array.from(npyValues(shifted, parseNpyHeader(shifted, "x.npy"), "x.npy"))).toEqual(x);
  });

  it("refuses Fortran order and other dtypes, naming the fix", () => {
    const good = encodeNpy([1, 2, 3, 4], [2, 2], "<f4");
    const header = new TextDecoder("latin1").decode(good.subarray(10, 74));
    const with_ = (text: string) => {
      const bytes = good.slice();
      bytes.set(Uint8Array.from(text.padEnd(header.length - 1, " ") + "\n", (c) => c.charCodeAt(0)), 10);
      return bytes;
    };
    const y = file("y2.npy", encodeNpy([0, 1], [2], "<f4"));
    expect(() => loadNpy(file("f.npy", with_(header.replace("False", "True"))), y, 1)).toThrow(/Fortran order.*ascontiguousarray/);
    expect(() => loadNpy(file("b.npy", with_(header.replace("<f4", ">f4"))), y, 1)).toThrow(/dtype '>f4'.*astype/);
    expect(() => loadNpy(file("h.npy", with_(header.replace("<f4", "<f2"))), y, 1)).toThrow(/dtype '<f2'/);
    expect(() => loadNpy(file("z.npy", "not numpy"), y, 1)).toThrow(/not an NPY file/);
  });
});

describe("CSV rows as images", () => {
  it("keeps the features row-major and gives the examples the shape", () => {
    const csv = file("d.csv", "a,b,c,d,e,f,label\n1,2,3,4,5,6,0\n7,8,9,10,11,12,1\n");
    const data = loadSource({ kind: "csv", path: csv, label: "label", shape: [1, 2, 3] }, 0);
    expect(data.shape).toEqual([1, 2, 3]);
    expect(Array.from(data.x)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    expect(() => loadSource({ kind: "csv", path: csv, label: "label", shape: [1, 2, 2] }, 0)).toThrow(/holds 4 values/);
  });
});

const FASHION = "/usr/share/datasets/fashion-mnist";
// CI installs the package (.ci/run); without it this fails, naming the package, rather than passing silently.
describe("Fashion-MNIST (Debian's dataset-fashion-mnist, installed by .ci/run)", () => {
  it("reads the 10,000 test images into one Float32Array", () => {
    const data = loadIdx(`${FASHION}/t10k-images-idx3-ubyte.gz`, `${FASHION}/t10k-labels-idx1-ubyte.gz`, 1 / 255);
    expect(data.count).toBe(10000);
    expect(data.shape).toEqual([1, 28, 28]);
    expect(data.x).toBeInstanceOf(Float32Array);
    expect(data.x.length).toBe(10000 * 784);
    expect(Math.max(...data.y)).toBe(9);
    // The first test image is an ankle boot (class 9), as in the data set's README.
    expect(data.y[0]).toBe(9);
    let max = 0;
    for (const v of data.x) max = Math.max(max, v);
    expect(max).toBeCloseTo(1, 6);
  });
});

describe("a test set from files of its own", () => {
  it("is the test split, untouched by the split of the training files, and preprocessed with the training statistics", () => {
    const images = file("train-i.idx", idxBytes([10, 1, 2], Array.from({ length: 20 }, (_, i) => i)));
    const labels = file("train-l.idx", idxBytes([10], [0, 1, 0, 1, 0, 1, 0, 1, 0, 1]));
    const testImages = file("test-i.idx", idxBytes([3, 1, 2], [100, 101, 102, 103, 104, 105]));
    const testLabels = file("test-l.idx", idxBytes([3], [1, 0, 1]));
    const source = { kind: "idx" as const, images, labels, scale: 1, test: { images: testImages, labels: testLabels } };
    const splits = prepareData({ source, val: 0.2, test: 0, transforms: [{ kind: "center", per: "feature" }] }, 3);
    expect([splits.train.count, splits.val?.count, splits.test?.count]).toEqual([8, 2, 3]);
    expect(Array.from(splits.test!.y)).toEqual([1, 0, 1]);
    // Centred with the training split's mean per pixel, not the test set's own.
    const trainMean = [0, 1].map((j) => Array.from({ length: 8 }, (_, i) => splits.train.x[i * 2 + j]!).reduce((a, b) => a + b, 0) / 8);
    expect(trainMean.map((m) => Math.abs(m))).toEqual([expect.closeTo(0, 5), expect.closeTo(0, 5)]);
    expect(Math.abs(splits.test!.x[0]! - splits.test!.x[2]! - (100 - 102))).toBeLessThan(1e-5);
    expect(splits.test!.x[0]!).toBeGreaterThan(80);
  });
});
