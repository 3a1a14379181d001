// Splitting, preprocessing fitted on the training split only (runtime/data/preprocess.ts, and a subset),
// batching with a reshuffle every epoch (sampling without replacement), and the augmentation of training
// batches (runtime/data/augment.ts), all driven by the run's seed.
import type { Augmentation, DataSpec, DataTransform, Program } from "../program.js";
import { uniform } from "../rng.js";
import { augmentBatch } from "./augment.js";
import { preprocess, type FittedSink } from "./preprocess.js";
import { loadSource, loadTestSource, type Dataset } from "./sources.js";

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
  return { x, y, count: indices.length, features, targets, ...(data.shape ? { shape: data.shape } : {}) };
}

/** How many examples each split gets; the checker uses the same arithmetic to count steps per epoch. */
export function splitSizes(count: number, val: number, test: number): { train: number; val: number; test: number } {
  const nVal = Math.round(count * val);
  const nTest = Math.round(count * test);
  return { train: count - nVal - nTest, val: nVal, test: nTest };
}

/** `fitted` receives every fitted transform's parameters, in order (what `dslc export` prepends to the model). */
export function prepareData(spec: DataSpec, seed: number, fitted?: FittedSink): Splits {
  const all = loadSource(spec.source, seed);
  const order = permutation(all.count, seed, SPLIT_STREAM, 0);
  const { train: nTrain, val: nVal, test: nTest } = splitSizes(all.count, spec.val, spec.test);
  // Without a split, keep the file's order for training (the shuffle happens per epoch anyway).
  const train = nVal + nTest === 0 ? all : subset(all, order.subarray(0, nTrain));
  const splits: Splits = { train };
  if (nVal > 0) splits.val = subset(all, order.subarray(nTrain, nTrain + nVal));
  if (nTest > 0) splits.test = subset(all, order.subarray(nTrain + nVal));
  // Test files of their own are the test split (the checker refuses a test share beside them).
  const testFiles = loadTestSource(spec.source);
  if (testFiles) splits.test = testFiles;
  for (const transform of spec.transforms) applyTransform(transform, splits, fitted);
  return splits;
}

function applyTransform(transform: DataTransform, splits: Splits, fitted?: FittedSink): void {
  switch (transform.kind) {
    case "subset":
      if (splits.train.count > transform.n) splits.train = subset(splits.train, Uint32Array.from({ length: transform.n }, (_, i) => i));
      return;
    case "augment":
      // Applied to each training batch as it is gathered (trainingBatch), after every fitted transform.
      return;
    default: {
      const present = [splits.train, splits.val, splits.test];
      const [train, ...rest] = preprocess(transform, present.filter((d): d is Dataset => d !== undefined), fitted);
      splits.train = train!;
      if (splits.val) splits.val = rest.shift();
      if (splits.test) splits.test = rest.shift();
    }
  }
}

/** The augmentations of a pipeline, in order (every `augment` stage's list, concatenated). */
export function augmentationsOf(spec: DataSpec): Augmentation[] {
  return spec.transforms.flatMap((t) => (t.kind === "augment" ? t.with : []));
}

/**
 * A training batch: the examples at `indices`, augmented with draws keyed by the seed and the optimizer
 * step. Both backends take their batches from here, so they see identical batches; a backend that
 * augments on the device (with the same draws) takes them with `augment: false`.
 */
export function trainingBatch(train: Dataset, indices: ArrayLike<number>, spec: DataSpec, seed: number, step: number, options: { augment?: boolean } = {}): Dataset {
  const batch = subset(train, indices);
  return options.augment === false ? batch : augmentBatch(batch, augmentationsOf(spec), seed, step);
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
