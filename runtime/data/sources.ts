// Data sources: CSV, IDX and NPY files and the in-file synthetic generators. Generators draw from the
// counter-based RNG so the same seed gives the same data on every machine. Features are held in one
// Float32Array per dataset (60,000 MNIST images are 47M floats: never a JS array of numbers).
import * as fs from "node:fs";
import type { DataSource } from "../program.js";
import { normal, uniform } from "../rng.js";
import { DataError } from "./errors.js";
import { gunzipIfNeeded, idxExampleShape, parseIdxHeader, idxValues, readFileBytes } from "./idx.js";
import { npyValues, parseNpyHeader } from "./npy.js";

export { DataError } from "./errors.js";

export interface Dataset {
  /** Row-major features, `features` values per example. */
  x: Float32Array;
  /** Class index (classification) or target values (regression), `targets` per example. */
  y: Float32Array;
  count: number;
  features: number;
  targets: number;
  /** The shape of one example when it is not flat (images: [C, H, W]); its size is `features`. */
  shape?: number[];
}

const DATA_STREAM = 1000;

/** A test set given as files of its own (`idx(test_images:, test_labels:)`), loaded like the training files. */
export function loadTestSource(source: DataSource): Dataset | undefined {
  if (source.kind === "idx" && source.test) return loadIdx(source.test.images, source.test.labels, source.scale);
  if (source.kind === "npy" && source.test) return loadNpy(source.test.x, source.test.y, source.scale);
  return undefined;
}

export function loadSource(source: DataSource, seed: number): Dataset {
  switch (source.kind) {
    case "csv": {
      const data = loadCsv(source.path, source.label, source.scale ?? 1);
      if (!source.shape) return data;
      const size = source.shape.reduce((p, d) => p * d, 1);
      if (size !== data.features) throw new DataError(`shape [${source.shape.join(", ")}] holds ${size} values, but \`${source.path}\` has ${data.features} features per row`);
      return { ...data, shape: [...source.shape] };
    }
    case "idx":
      return loadIdx(source.images, source.labels, source.scale);
    case "npy":
      return loadNpy(source.x, source.y, source.scale);
    case "sine": {
      const x = new Float32Array(source.n);
      const y = new Float32Array(source.n);
      for (let i = 0; i < source.n; i++) {
        // Evenly spaced like the classic polynomial-fit example (torch.linspace), plus optional noise.
        x[i] = source.n === 1 ? source.from : source.from + ((source.to - source.from) * i) / (source.n - 1);
        y[i] = Math.sin(x[i]!) + source.noise * normal(seed, DATA_STREAM, 0, i);
      }
      return { x, y, count: source.n, features: 1, targets: 1 };
    }
    case "xor": {
      const x = new Float32Array(source.n * 2);
      const y = new Float32Array(source.n);
      for (let i = 0; i < source.n; i++) {
        const a = i % 2;
        const b = Math.floor(i / 2) % 2;
        x[2 * i] = a + source.noise * normal(seed, DATA_STREAM, 1, 2 * i);
        x[2 * i + 1] = b + source.noise * normal(seed, DATA_STREAM, 1, 2 * i + 1);
        y[i] = a ^ b;
      }
      return { x, y, count: source.n, features: 2, targets: 1 };
    }
    case "spirals": {
      // CS231n's spiral data: per class, radius 0→1 while the angle sweeps 4 radians, plus noise on the angle.
      const perClass = Math.floor(source.n / source.classes);
      const count = perClass * source.classes;
      const x = new Float32Array(count * 2);
      const y = new Float32Array(count);
      for (let c = 0; c < source.classes; c++) {
        for (let i = 0; i < perClass; i++) {
          const k = c * perClass + i;
          const r = perClass === 1 ? 0 : i / (perClass - 1);
          const t = c * 4 + (4 * i) / Math.max(1, perClass - 1) + source.noise * normal(seed, DATA_STREAM, 2, k);
          x[2 * k] = r * Math.sin(t);
          x[2 * k + 1] = r * Math.cos(t);
          y[k] = c;
        }
      }
      return { x, y, count, features: 2, targets: 1 };
    }
    case "blobs": {
      const x = new Float32Array(source.n * source.features);
      const y = new Float32Array(source.n);
      for (let i = 0; i < source.n; i++) {
        const c = i % source.classes;
        y[i] = c;
        for (let f = 0; f < source.features; f++) {
          const center = (uniform(seed, DATA_STREAM, 3, c * source.features + f) - 0.5) * 20;
          x[i * source.features + f] = center + source.std * normal(seed, DATA_STREAM, 4, i * source.features + f);
        }
      }
      return { x, y, count: source.n, features: source.features, targets: 1 };
    }
  }
}

/** Features are multiplied by `scale` as read (the label column is not), as `idx` and `npy` do. */
export function loadCsv(file: string, label: string, scale = 1): Dataset {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch {
    throw new DataError(`cannot read data file \`${file}\``);
  }
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== "");
  const header = lines[0]?.split(",").map((h) => h.trim()) ?? [];
  const labelIndex = header.indexOf(label);
  if (labelIndex < 0) throw new DataError(`\`${file}\` has no column \`${label}\``);
  const features = header.length - 1;
  const count = lines.length - 1;
  const x = new Float32Array(count * features);
  const y = new Float32Array(count);
  for (let r = 0; r < count; r++) {
    const cells = lines[r + 1]!.split(",");
    if (cells.length !== header.length) throw new DataError(`row ${r + 2} of \`${file}\` has ${cells.length} values, but the header has ${header.length}`);
    let f = 0;
    for (let c = 0; c < cells.length; c++) {
      const value = Number(cells[c]);
      if (!Number.isFinite(value)) throw new DataError(`row ${r + 2}, column \`${header[c]}\` of \`${file}\` is not a number: \`${cells[c]}\``);
      if (c === labelIndex) y[r] = value;
      else x[r * features + f++] = value * scale;
    }
  }
  return { x, y, count, features, targets: 1 };
}

/** Images and labels from IDX files; the example shape is [1, H, W] for N×H×W images. */
export function loadIdx(imagesFile: string, labelsFile: string, scale: number): Dataset {
  const images = gunzipIfNeeded(readFileBytes(imagesFile), imagesFile);
  const imageHeader = parseIdxHeader(images, imagesFile);
  const labels = gunzipIfNeeded(readFileBytes(labelsFile), labelsFile);
  const labelHeader = parseIdxHeader(labels, labelsFile);
  const count = imageHeader.dims[0]!;
  if (imageHeader.dims.length < 2) throw new DataError(`\`${imagesFile}\` holds a vector, not images (dimensions ${imageHeader.dims.join("×")})`);
  if (labelHeader.dims[0] !== count) throw new DataError(`\`${imagesFile}\` has ${count} images but \`${labelsFile}\` has ${labelHeader.dims[0]} labels`);
  const shape = idxExampleShape(imageHeader.dims);
  const features = shape.reduce((p, d) => p * d, 1);
  const targets = labelHeader.dims.slice(1).reduce((p, d) => p * d, 1);
  return { x: idxValues(images, imageHeader, imagesFile, scale), y: idxValues(labels, labelHeader, labelsFile), count, features, targets, shape };
}

/** Features and labels from .npy files: x's first axis counts examples, the rest is one example's shape. */
export function loadNpy(xFile: string, yFile: string, scale: number): Dataset {
  const xBytes = readFileBytes(xFile);
  const xHeader = parseNpyHeader(xBytes, xFile);
  const yBytes = readFileBytes(yFile);
  const yHeader = parseNpyHeader(yBytes, yFile);
  if (xHeader.shape.length < 1) throw new DataError(`\`${xFile}\` holds a single number, not examples`);
  const count = xHeader.shape[0]!;
  if (yHeader.shape[0] !== count) throw new DataError(`\`${xFile}\` has ${count} examples but \`${yFile}\` has ${yHeader.shape[0] ?? 1} labels`);
  const shape = xHeader.shape.slice(1);
  const features = shape.reduce((p, d) => p * d, 1);
  const targets = yHeader.shape.slice(1).reduce((p, d) => p * d, 1);
  const data: Dataset = { x: npyValues(xBytes, xHeader, xFile, scale), y: npyValues(yBytes, yHeader, yFile), count, features, targets };
  return shape.length > 1 ? { ...data, shape } : data;
}
