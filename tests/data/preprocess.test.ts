// Preprocessing fitted on the training split only, against numpy references (tests/golden/make_data_golden.py
// → tests/golden/data.json): centering per feature, per channel and by the mean image, standardization per
// channel, PCA with and without whitening, ZCA whitening; and the symmetric eigensolver they rest on.
import * as fs from "node:fs";
import { describe, expect, it } from "vitest";
import type { DataTransform } from "../../runtime/program.js";
import { symmetricEigen } from "../../runtime/data/eigen.js";
import { preprocess } from "../../runtime/data/preprocess.js";
import { prepareData } from "../../runtime/data/pipeline.js";
import type { Dataset } from "../../runtime/data/sources.js";

interface GoldenCase {
  name: string;
  features: number;
  transform: Exclude<DataTransform, { kind: "subset" | "augment" }>;
  train: number[];
  val: number[];
  expected_train: number[];
  expected_val: number[];
}
const golden = JSON.parse(fs.readFileSync("tests/golden/data.json", "utf8")) as { shape: number[]; cases: GoldenCase[] };

/** Examples of `features` values; those of the images' size are images. */
function dataset(values: number[], features: number): Dataset {
  const count = values.length / features;
  const image = features === golden.shape.reduce((p, d) => p * d, 1);
  return { x: Float32Array.from(values), y: new Float32Array(count), count, features, targets: 1, ...(image ? { shape: golden.shape } : {}) };
}

describe("fitted preprocessing matches numpy", () => {
  for (const c of golden.cases) {
    it(c.name, () => {
      const [train, val] = preprocess(c.transform, [dataset(c.train, c.features), dataset(c.val, c.features)]);
      // Outputs are float32 computed from float64 statistics: ~1e-6 relative to the data's scale (values up to ~50).
      const scale = Math.max(1, ...c.expected_train.map(Math.abs));
      for (const [got, want] of [[train!, c.expected_train], [val!, c.expected_val]] as const) {
        expect(got.x.length).toBe(want.length);
        let worst = 0;
        for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got.x[i]! - want[i]!));
        expect(worst / scale, `${c.name}: largest error ${worst}`).toBeLessThan(2e-6);
      }
      if (c.transform.kind === "pca") expect(train!.features).toBe(c.transform.components);
      if (c.transform.kind === "whiten") expect(train!.shape).toEqual(c.features === golden.shape.reduce((p, d) => p * d, 1) ? golden.shape : undefined);
    });
  }

  it("whitened training data has identity covariance (up to eps)", () => {
    const c = golden.cases.find((k) => k.transform.kind === "pca" && k.transform.whiten)!;
    const [train] = preprocess(c.transform, [dataset(c.train, c.features)]);
    const k = train!.features;
    for (let a = 0; a < k; a += 5) {
      for (let b = 0; b < k; b += 3) {
        let s = 0;
        for (let i = 0; i < train!.count; i++) s += (train!.x[i * k + a]! * train!.x[i * k + b]!) / train!.count;
        // eps 1e-5 against eigenvalues ≥ ~0.01 shrinks the diagonal by < 1e-3.
        expect(s).toBeCloseTo(a === b ? 1 : 0, 2);
      }
    }
  });

  it("refuses per-channel statistics for examples that are not images", () => {
    const flat: Dataset = { x: new Float32Array(12), y: new Float32Array(3), count: 3, features: 4, targets: 1 };
    expect(() => preprocess({ kind: "center", per: "channel" }, [flat])).toThrow(/\[C, H, W\]/);
  });

  it("fits on the training split only: validation is transformed with the training statistics", () => {
    const splits = prepareData({ source: { kind: "blobs", n: 200, classes: 2, features: 3, std: 1 }, val: 0.25, test: 0, transforms: [{ kind: "pca", components: 2, whiten: true, eps: 0 }] }, 3);
    expect(splits.train.features).toBe(2);
    expect(splits.val!.features).toBe(2);
    const variance = (d: Dataset, j: number) => Array.from({ length: d.count }, (_, i) => d.x[i * 2 + j]! ** 2).reduce((p, v) => p + v, 0) / d.count;
    expect(variance(splits.train, 0)).toBeCloseTo(1, 4);
    expect(Math.abs(variance(splits.val!, 0) - 1)).toBeGreaterThan(1e-4);
  });
});

describe("symmetric eigendecomposition (ml-matrix, ordered and sign-fixed)", () => {
  it("satisfies A·v = λ·v with orthonormal vectors, sorted, signs fixed, on an odd size", () => {
    const n = 37;
    const a = new Float64Array(n * n);
    let seed = 12345;
    const next = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648) - 0.5;
    for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) a[i * n + j] = a[j * n + i] = next();
    const { values, vectors } = symmetricEigen(a, n);
    for (let k = 0; k < n; k++) {
      if (k > 0) expect(values[k]!).toBeLessThanOrEqual(values[k - 1]!);
      const v = vectors.subarray(k * n, (k + 1) * n);
      let big = 0;
      for (let i = 0; i < n; i++) if (Math.abs(v[i]!) > Math.abs(v[big]!)) big = i;
      expect(v[big]!).toBeGreaterThan(0);
      for (let i = 0; i < n; i++) {
        let av = 0;
        for (let j = 0; j < n; j++) av += a[i * n + j]! * v[j]!;
        expect(Math.abs(av - values[k]! * v[i]!)).toBeLessThan(1e-12);
      }
      for (let l = 0; l <= k; l++) {
        let dot = 0;
        for (let i = 0; i < n; i++) dot += v[i]! * vectors[l * n + i]!;
        expect(Math.abs(dot - (l === k ? 1 : 0))).toBeLessThan(1e-12);
      }
    }
  });

  it("handles diagonal, repeated and 1×1 matrices", () => {
    expect(Array.from(symmetricEigen(Float64Array.from([3]), 1).values)).toEqual([3]);
    const diag = symmetricEigen(Float64Array.from([1, 0, 0, 0, 5, 0, 0, 0, 5]), 3);
    expect(Array.from(diag.values)).toEqual([5, 5, 1]);
    expect(Array.from(diag.vectors.subarray(6, 9))).toEqual([1, 0, 0]);
  });
});
