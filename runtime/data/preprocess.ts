// Preprocessing fitted on the training split only (its statistics in float64) and applied to every split:
// centering and standardization per feature or per channel, PCA and ZCA whitening (CS231n's recipes:
// covariance Xᶜᵀ·Xᶜ / N of the centred training data, eigenvectors of that matrix).
import type { DataTransform } from "../program.js";
import { symmetricEigen } from "./eigen.js";
import { DataError } from "./errors.js";
import type { Dataset } from "./sources.js";

/** Per-feature or per-channel (x − shift) / scale, in place, for `train` first and then every other split. */
export function rescale(splits: Dataset[], per: "feature" | "channel", fit: (mean: number, std: number) => { shift: number; scale: number }, sink?: FittedSink): void {
  const train = splits[0]!;
  const f = train.features;
  // A group is one feature, or the H·W features of one channel.
  const groupSize = per === "channel" ? channelSize(train) : 1;
  const groups = f / groupSize;
  const mean = new Float64Array(groups);
  const variance = new Float64Array(groups);
  const n = train.count * groupSize;
  for (let i = 0; i < train.count; i++) for (let j = 0; j < f; j++) mean[(j / groupSize) | 0] += train.x[i * f + j]!;
  for (let g = 0; g < groups; g++) mean[g] = mean[g]! / n;
  for (let i = 0; i < train.count; i++) for (let j = 0; j < f; j++) variance[(j / groupSize) | 0] += (train.x[i * f + j]! - mean[(j / groupSize) | 0]!) ** 2;
  const shift = new Float64Array(f);
  const scale = new Float64Array(f);
  for (let g = 0; g < groups; g++) {
    const fitted = fit(mean[g]!, Math.sqrt(variance[g]! / n));
    shift.fill(fitted.shift, g * groupSize, (g + 1) * groupSize);
    scale.fill(fitted.scale, g * groupSize, (g + 1) * groupSize);
  }
  sink?.({ kind: "rescale", shape: exampleShape(train), shift, scale });
  for (const split of splits) for (let i = 0; i < split.count; i++) for (let j = 0; j < f; j++) split.x[i * f + j] = (split.x[i * f + j]! - shift[j]!) / scale[j]!;
}

/**
 * A transform as fitted on the training split, for `dslc export` to apply to raw inputs: `rescale` is
 * (x − shift) / scale per feature, `project` is (x − mean)·matrix with matrix f×k (row-major). `shape` is one
 * example's shape before the transform.
 */
export type FittedTransform =
  | { kind: "rescale"; shape: number[]; shift: Float64Array; scale: Float64Array }
  | { kind: "project"; shape: number[]; mean: Float64Array; matrix: Float64Array; k: number; keepShape: boolean };

export type FittedSink = (fitted: FittedTransform) => void;

function exampleShape(data: Dataset): number[] {
  return data.shape ? [...data.shape] : [data.features];
}

/** H·W of [C, H, W] examples; per-channel statistics need to know where each channel lies. */
function channelSize(data: Dataset): number {
  const shape = data.shape;
  if (!shape || shape.length !== 3) throw new DataError(`per-channel statistics need examples shaped [C, H, W], but these are [${(shape ?? [data.features]).join(", ")}]`);
  return shape[1]! * shape[2]!;
}

/** Applies one fitted transform (center, standardize, pca, whiten) to the splits, train first. */
export function preprocess(transform: Exclude<DataTransform, { kind: "subset" | "augment" }>, splits: Dataset[], sink?: FittedSink): Dataset[] {
  switch (transform.kind) {
    case "center":
      // The mean image is the per-pixel mean: per feature when the features are pixels.
      rescale(splits, transform.per === "channel" ? "channel" : "feature", (mean) => ({ shift: mean, scale: 1 }), sink);
      return splits;
    case "standardize":
      // A feature constant on the training split (digits' border pixels) keeps scale 1, as scikit-learn's
      // StandardScaler does; dividing it by eps would blow up any other value it takes in validation.
      rescale(splits, transform.per ?? "feature", (mean, std) => ({ shift: mean, scale: std < 10 * Number.EPSILON * Math.max(1, Math.abs(mean)) ? 1 : std + transform.eps }), sink);
      return splits;
    case "pca": {
      const { mean, eigen, f } = fitCovariance(splits[0]!);
      const k = transform.components;
      if (k > f) throw new DataError(`pca keeps ${k} components, but the examples have only ${f} features`);
      // Projection matrix f×k, columns the top k eigenvectors, each divided by √(λ + eps) when whitening.
      const P = new Float64Array(f * k);
      for (let c = 0; c < k; c++) {
        const factor = transform.whiten ? 1 / Math.sqrt(Math.max(eigen.values[c]!, 0) + transform.eps) : 1;
        for (let j = 0; j < f; j++) P[j * k + c] = eigen.vectors[c * f + j]! * factor;
      }
      sink?.({ kind: "project", shape: exampleShape(splits[0]!), mean, matrix: P, k, keepShape: false });
      return splits.map((split) => project(split, mean, P, k));
    }
    case "whiten": {
      const { mean, eigen, f } = fitCovariance(splits[0]!);
      // ZCA: W = U·diag(1/√(λ + eps))·Uᵀ, symmetric, so that the whitened data stays closest to the input.
      const W = new Float64Array(f * f);
      for (let c = 0; c < f; c++) {
        const factor = 1 / Math.sqrt(Math.max(eigen.values[c]!, 0) + transform.eps);
        const u = eigen.vectors.subarray(c * f, (c + 1) * f);
        for (let j = 0; j < f; j++) {
          const uj = u[j]! * factor;
          if (uj === 0) continue;
          for (let l = 0; l < f; l++) W[j * f + l] += uj * u[l]!;
        }
      }
      sink?.({ kind: "project", shape: exampleShape(splits[0]!), mean, matrix: W, k: f, keepShape: true });
      // Whitening keeps the feature count, so an image keeps its shape.
      return splits.map((split) => ({ ...project(split, mean, W, f), ...(split.shape ? { shape: split.shape } : {}) }));
    }
  }
}

/** Examples per block of the products below: bounds their float64 scratch (784 features: 6.4 MB). */
const BLOCK = 1024;

/** The training mean and the eigendecomposition of the covariance Xᶜᵀ·Xᶜ / N (population, CS231n's divisor). */
function fitCovariance(train: Dataset): { mean: Float64Array; eigen: ReturnType<typeof symmetricEigen>; f: number } {
  const f = train.features;
  const n = train.count;
  const mean = new Float64Array(f);
  for (let i = 0; i < n; i++) for (let j = 0; j < f; j++) mean[j] += train.x[i * f + j]!;
  for (let j = 0; j < f; j++) mean[j] = mean[j]! / n;
  // A block of centred examples transposed (one row per feature), so that each covariance entry gathers a
  // dot product of two contiguous rows per block.
  const cov = new Float64Array(f * f);
  const columns = new Float64Array(f * Math.min(BLOCK, n));
  for (let start = 0; start < n; start += BLOCK) {
    const rows = Math.min(BLOCK, n - start);
    for (let i = 0; i < rows; i++) for (let j = 0; j < f; j++) columns[j * rows + i] = train.x[(start + i) * f + j]! - mean[j]!;
    addDotProducts(columns, f, columns, f, rows, cov, true);
  }
  for (let j = 0; j < f * f; j++) cov[j] = cov[j]! / n;
  return { mean, eigen: symmetricEigen(cov, f), f };
}

/**
 * out[r·bRows + c] += Σₜ a[r·len + t]·b[c·len + t] (A·Bᵀ), in 2×2 tiles so that each load feeds two
 * multiply-adds; with `lower`, only c ≤ r (a symmetric result's lower triangle) is computed.
 */
function addDotProducts(a: Float64Array, aRows: number, b: Float64Array, bRows: number, len: number, out: Float64Array, lower = false): void {
  for (let r = 0; r < aRows; r += 2) {
    const r1 = Math.min(r + 1, aRows - 1);
    const a0 = r * len;
    const a1 = r1 * len;
    const cEnd = lower ? r1 + 1 : bRows;
    for (let c = 0; c < cEnd; c += 2) {
      const c1 = Math.min(c + 1, bRows - 1);
      const b0 = c * len;
      const b1 = c1 * len;
      let s00 = 0, s01 = 0, s10 = 0, s11 = 0;
      for (let t = 0; t < len; t++) {
        const x0 = a[a0 + t]!, x1 = a[a1 + t]!, y0 = b[b0 + t]!, y1 = b[b1 + t]!;
        s00 += x0 * y0;
        s01 += x0 * y1;
        s10 += x1 * y0;
        s11 += x1 * y1;
      }
      // At odd sizes the last row or column is its own pair: add each distinct entry once.
      if (!lower || c <= r) out[r * bRows + c] += s00;
      if (c1 !== c && (!lower || c1 <= r)) out[r * bRows + c1] += s01;
      if (r1 !== r && (!lower || c <= r1)) out[r1 * bRows + c] += s10;
      if (r1 !== r && c1 !== c && (!lower || c1 <= r1)) out[r1 * bRows + c1] += s11;
    }
  }
}

/** (x − μ)·M for M f×k (row-major): a new dataset of k features per example. */
function project(split: Dataset, mean: Float64Array, M: Float64Array, k: number): Dataset {
  const f = split.features;
  // Mᵀ and the centred rows: each output is a dot product of two contiguous rows.
  const Mt = new Float64Array(k * f);
  for (let j = 0; j < f; j++) for (let c = 0; c < k; c++) Mt[c * f + j] = M[j * k + c]!;
  const out = new Float32Array(split.count * k);
  const centred = new Float64Array(Math.min(BLOCK, split.count) * f);
  const result = new Float64Array(Math.min(BLOCK, split.count) * k);
  for (let start = 0; start < split.count; start += BLOCK) {
    const rows = Math.min(BLOCK, split.count - start);
    for (let i = 0; i < rows; i++) for (let j = 0; j < f; j++) centred[i * f + j] = split.x[(start + i) * f + j]! - mean[j]!;
    result.fill(0);
    addDotProducts(centred, rows, Mt, k, f, result);
    out.set(result.subarray(0, rows * k), start * k);
  }
  return { x: out, y: split.y, count: split.count, features: k, targets: split.targets };
}
