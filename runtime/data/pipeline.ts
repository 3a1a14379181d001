// Splitting, preprocessing fitted on the training split only (standardization, centering, a subset), and
// batching with a reshuffle every epoch (sampling without replacement), all driven by the run's seed.
import type { DataSpec, DataTransform, Program } from "../program.js";
import { uniform } from "../rng.js";
import { loadSource, type Dataset } from "./sources.js";

export interface Splits {
  train: Dataset;
  val?: Dataset;
  test?: Dataset;
}

const SPLIT_STREAM = 2000;
const SHUFFLE_STREAM = 2001;

/** A permutation of 0..n-1 (Fisher–Yates) from the counter-based RNG: same seed, same order. */
export function permutation(n: number, seed: number, stream: number, counter: number): Uint32Array {
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(uniform(seed, stream, counter, i) * (i + 1));
    const t = order[i]!;
    order[i] = order[j]!;
    order[j] = t;
  }
  return order;
}

function subset(data: Dataset, indices: ArrayLike<number>): Dataset {
  const { features, targets } = data;
  const x = new Float32Array(indices.length * features);
  const y = new Float32Array(indices.length * targets);
  for (let k = 0; k < indices.length; k++) {
    const i = indices[k]!;
    x.set(data.x.subarray(i * features, (i + 1) * features), k * features);
    y.set(data.y.subarray(i * targets, (i + 1) * targets), k * targets);
  }
  return { x, y, count: indices.length, features, targets };
}

/** How many examples each split gets; the checker uses the same arithmetic to count steps per epoch. */
export function splitSizes(count: number, val: number, test: number): { train: number; val: number; test: number } {
  const nVal = Math.round(count * val);
  const nTest = Math.round(count * test);
  return { train: count - nVal - nTest, val: nVal, test: nTest };
}

export function prepareData(spec: DataSpec, seed: number): Splits {
  const all = loadSource(spec.source, seed);
  const order = permutation(all.count, seed, SPLIT_STREAM, 0);
  const { train: nTrain, val: nVal, test: nTest } = splitSizes(all.count, spec.val, spec.test);
  // Without a split, keep the file's order for training (the shuffle happens per epoch anyway).
  const train = nVal + nTest === 0 ? all : subset(all, order.subarray(0, nTrain));
  const splits: Splits = { train };
  if (nVal > 0) splits.val = subset(all, order.subarray(nTrain, nTrain + nVal));
  if (nTest > 0) splits.test = subset(all, order.subarray(nTrain + nVal));
  for (const transform of spec.transforms) applyTransform(transform, splits);
  return splits;
}

function applyTransform(transform: DataTransform, splits: Splits): void {
  switch (transform.kind) {
    case "subset":
      if (splits.train.count > transform.n) splits.train = subset(splits.train, Uint32Array.from({ length: transform.n }, (_, i) => i));
      return;
    case "center":
      return rescale(splits, (mean) => ({ shift: mean, scale: 1 }));
    case "standardize":
      // A feature constant on the training split (digits' border pixels) keeps scale 1, as scikit-learn's
      // StandardScaler does; dividing it by eps would blow up any other value it takes in validation.
      return rescale(splits, (mean, std) => ({ shift: mean, scale: std < 10 * Number.EPSILON * Math.max(1, Math.abs(mean)) ? 1 : std + transform.eps }));
  }
}

/** Per-feature (x − shift) / scale with statistics of the training split (population variance), applied to every split. */
function rescale(splits: Splits, fit: (mean: number, std: number) => { shift: number; scale: number }): void {
  const { train } = splits;
  const f = train.features;
  const mean = new Float64Array(f);
  const variance = new Float64Array(f);
  for (let i = 0; i < train.count; i++) for (let j = 0; j < f; j++) mean[j] = mean[j]! + train.x[i * f + j]! / train.count;
  for (let i = 0; i < train.count; i++) for (let j = 0; j < f; j++) variance[j] = variance[j]! + (train.x[i * f + j]! - mean[j]!) ** 2 / train.count;
  const fitted = Array.from({ length: f }, (_, j) => fit(mean[j]!, Math.sqrt(variance[j]!)));
  for (const split of [splits.train, splits.val, splits.test]) {
    if (!split) continue;
    for (let i = 0; i < split.count; i++) for (let j = 0; j < f; j++) split.x[i * f + j] = (split.x[i * f + j]! - fitted[j]!.shift) / fitted[j]!.scale;
  }
}

/** The training batch size; a full batch is the whole training split, whose size needs the data. */
export function trainingBatchSize(program: Program): number {
  return program.loop.batch === "full" ? prepareData(program.data, program.loop.seed).train.count : program.loop.batch;
}

/** The batches of one epoch, as index lists into the training split. */
export function epochBatches(count: number, batch: number, options: { shuffle: boolean; dropLast: boolean; seed: number; epoch: number }): Uint32Array[] {
  const order = options.shuffle ? permutation(count, options.seed, SHUFFLE_STREAM, options.epoch) : Uint32Array.from({ length: count }, (_, i) => i);
  const batches: Uint32Array[] = [];
  for (let start = 0; start < count; start += batch) {
    if (options.dropLast && start + batch > count) break;
    batches.push(order.subarray(start, Math.min(count, start + batch)));
  }
  return batches;
}

export function gather(data: Dataset, indices: ArrayLike<number>): Dataset {
  return subset(data, indices);
}
