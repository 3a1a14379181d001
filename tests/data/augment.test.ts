// Augmentation of training batches: each augmentation's geometry and statistics, draws keyed by the seed and
// the step (same seed, same batches; another seed, other batches), and the training loop's batch path, which
// both backends share: two runs see identical augmented batches, and validation is never augmented.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { augmentBatch } from "../../runtime/data/augment.js";
import { prepareData } from "../../runtime/data/pipeline.js";
import type { Dataset } from "../../runtime/data/sources.js";
import { runTraining, type TrainingBackend } from "../../runtime/loop.js";
import type { Augmentation, Program } from "../../runtime/program.js";

/** `count` images [C, H, W] with distinct values (value = 1 + index), so moves are visible. */
function images(count: number, C: number, H: number, W: number, fill?: number): Dataset {
  const features = C * H * W;
  const x = Float32Array.from({ length: count * features }, (_, i) => fill ?? 1 + (i % features));
  return { x, y: new Float32Array(count), count, features, targets: 1, shape: [C, H, W] };
}
const copy = (d: Dataset): Dataset => ({ ...d, x: d.x.slice() });
const run = (d: Dataset, augs: Augmentation[], seed = 1, step = 0) => augmentBatch(copy(d), augs, seed, step);

describe("each augmentation", () => {
  const base = images(16, 2, 5, 7);

  it("hflip with p = 1 flips every image exactly; p = 0 flips none; p = 0.5 about half", () => {
    const flipped = run(base, [{ kind: "hflip", p: 1 }]);
    for (let i = 0; i < base.count * 70; i += 7) expect(Array.from(flipped.x.subarray(i, i + 7))).toEqual(Array.from(base.x.subarray(i, i + 7)).reverse());
    expect(run(base, [{ kind: "hflip", p: 0 }]).x).toEqual(base.x);
    const many = images(400, 1, 1, 2);
    const half = run(many, [{ kind: "hflip", p: 0.5 }]);
    let count = 0;
    for (let i = 0; i < 400; i++) if (half.x[2 * i] === 2) count++;
    // Binomial(400, 0.5): mean 200, sd 10; ±50 is 5 sd.
    expect(Math.abs(count - 200)).toBeLessThan(50);
  });

  it("random_crop with padding 0 is the identity; otherwise each image is a shifted copy with zeros", () => {
    expect(run(base, [{ kind: "random_crop", padding: 0 }]).x).toEqual(base.x);
    const cropped = run(base, [{ kind: "random_crop", padding: 2 }]);
    const shifts = new Set<string>();
    for (let b = 0; b < base.count; b++) {
      const img = cropped.x.subarray(b * 70, (b + 1) * 70);
      // Find the shift (dy, dx) ∈ [−2, 2]² that explains the image.
      let found: string | undefined;
      for (let dy = -2; dy <= 2 && !found; dy++) {
        for (let dx = -2; dx <= 2 && !found; dx++) {
          let ok = true;
          for (let c = 0; c < 2 && ok; c++) for (let y = 0; y < 5 && ok; y++) for (let x = 0; x < 7 && ok; x++) {
            const sy = y + dy, sx = x + dx;
            const want = sy >= 0 && sy < 5 && sx >= 0 && sx < 7 ? base.x[(c * 5 + sy) * 7 + sx]! : 0;
            ok = img[(c * 5 + y) * 7 + x] === want;
          }
          if (ok) found = `${dy},${dx}`;
        }
      }
      expect(found, `image ${b} is not a shifted copy`).toBeDefined();
      shifts.add(found!);
    }
    expect(shifts.size).toBeGreaterThan(3);
  });

  it("random_scale with min = max = 1 is the identity; a factor 2 magnifies about the centre", () => {
    expect(run(base, [{ kind: "random_scale", min: 1, max: 1 }]).x).toEqual(base.x);
    // A 1×4×4 image of a horizontal ramp: scaled by 2 about the centre, the middle pixels sample between
    // the middle columns: x' = (x + ½ − 2)/2 + 2 − ½, so columns 1, 2 read 1.25, 1.75 of the ramp 0..3.
    const ramp: Dataset = { x: Float32Array.from({ length: 16 }, (_, i) => i % 4), y: new Float32Array(1), count: 1, features: 16, targets: 1, shape: [1, 4, 4] };
    const scaled = run(ramp, [{ kind: "random_scale", min: 2, max: 2 }]);
    expect(scaled.x[5]).toBeCloseTo(1.25, 6);
    expect(scaled.x[6]).toBeCloseTo(1.75, 6);
    expect(scaled.x[4]).toBeCloseTo(0.75, 6);
    // Shrinking by ½ pads with zeros at the border.
    const small = run(images(1, 1, 4, 4, 1), [{ kind: "random_scale", min: 0.5, max: 0.5 }]);
    expect(small.x[0]).toBe(0);
    expect(small.x[5]).toBeGreaterThan(0);
  });

  it("brightness adds one offset in [−amount, amount] per image; contrast keeps each image's mean", () => {
    const bright = run(base, [{ kind: "brightness", amount: 0.3 }]);
    const offsets = new Set<number>();
    for (let b = 0; b < base.count; b++) {
      const d = bright.x[b * 70]! - base.x[b * 70]!;
      expect(Math.abs(d)).toBeLessThanOrEqual(0.3 + 1e-6);
      for (let i = 1; i < 70; i++) expect(bright.x[b * 70 + i]! - base.x[b * 70 + i]!).toBeCloseTo(d, 4);
      offsets.add(Math.round(d * 1e4));
    }
    expect(offsets.size).toBeGreaterThan(10);
    const contrast = run(base, [{ kind: "contrast", amount: 0.5 }]);
    for (let b = 0; b < base.count; b++) {
      const img = contrast.x.subarray(b * 70, (b + 1) * 70);
      const mean = img.reduce((p, v) => p + v, 0) / 70;
      expect(mean).toBeCloseTo(35.5, 3);
      const factor = (img[69]! - img[0]!) / 69;
      expect(factor).toBeGreaterThanOrEqual(0.5 - 1e-5);
      expect(factor).toBeLessThanOrEqual(1.5 + 1e-5);
    }
  });

  it("gaussian_noise has the asked standard deviation and mean 0", () => {
    const zero = images(50, 3, 8, 8, 0);
    const noisy = run(zero, [{ kind: "gaussian_noise", std: 0.2 }]);
    const n = noisy.x.length;
    const mean = noisy.x.reduce((p, v) => p + v, 0) / n;
    const std = Math.sqrt(noisy.x.reduce((p, v) => p + (v - mean) ** 2, 0) / n);
    // 9,600 draws: the sample std is within ~1.5% (2 sd of its estimate) of 0.2, the mean within 3·0.2/√n.
    expect(Math.abs(std - 0.2)).toBeLessThan(0.006);
    expect(Math.abs(mean)).toBeLessThan(0.007);
  });

  it("cutout zeroes one size×size square per count in every channel, clipped at the border", () => {
    const ones = images(200, 2, 12, 12, 1);
    const cut = run(ones, [{ kind: "cutout", size: 4, count: 1 }]);
    let whole = 0;
    for (let b = 0; b < 200; b++) {
      const img = cut.x.subarray(b * 288, (b + 1) * 288);
      const zeros: [number, number][] = [];
      for (let y = 0; y < 12; y++) for (let x = 0; x < 12; x++) if (img[y * 12 + x] === 0) zeros.push([y, x]);
      // The same pixels in channel 1.
      for (const [y, x] of zeros) expect(img[144 + y * 12 + x]).toBe(0);
      expect(img.reduce((p, v) => p + (v === 0 ? 1 : 0), 0)).toBe(2 * zeros.length);
      // A rectangle of at most 4×4 (a clipped square), and exactly 4×4 when it lies inside.
      const ys = zeros.map(([y]) => y), xs = zeros.map(([, x]) => x);
      const h = Math.max(...ys) - Math.min(...ys) + 1, w = Math.max(...xs) - Math.min(...xs) + 1;
      expect(zeros.length).toBe(h * w);
      expect(h).toBeLessThanOrEqual(4);
      expect(w).toBeLessThanOrEqual(4);
      if (Math.min(...ys) > 0 && Math.max(...ys) < 11 && Math.min(...xs) > 0 && Math.max(...xs) < 11) expect(zeros.length).toBe(16);
      if (zeros.length === 16) whole++;
    }
    // Centres within 2..9 of 12 in both axes (8/12 each) give a whole square: ~44% of 200.
    expect(whole).toBeGreaterThan(50);
  });

  it("refuses examples that are not images", () => {
    const flat: Dataset = { x: new Float32Array(6), y: new Float32Array(2), count: 2, features: 3, targets: 1 };
    expect(() => augmentBatch(flat, [{ kind: "hflip", p: 1 }], 0, 0)).toThrow(/\[C, H, W\]/);
  });
});

describe("draws keyed by seed and step", () => {
  const base = images(8, 1, 6, 6);
  const all: Augmentation[] = [
    { kind: "hflip", p: 0.5 },
    { kind: "random_crop", padding: 2 },
    { kind: "random_scale", min: 0.8, max: 1.2 },
    { kind: "brightness", amount: 0.2 },
    { kind: "contrast", amount: 0.2 },
    { kind: "gaussian_noise", std: 0.1 },
    { kind: "cutout", size: 2, count: 2 },
  ];

  it("gives the same batch for the same seed and step, another for another seed or step", () => {
    const a = run(base, all, 5, 3);
    expect(run(base, all, 5, 3).x).toEqual(a.x);
    expect(run(base, all, 6, 3).x).not.toEqual(a.x);
    expect(run(base, all, 5, 4).x).not.toEqual(a.x);
  });
});

describe("the training loop's batches (shared by the CPU and WebGPU backends)", () => {
  // 40 examples of 16 features read as [1, 4, 4] images.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dslc-augment-"));
  afterAll(() => fs.rmSync(dir, { recursive: true }));
  const csv = path.join(dir, "images.csv");
  const header = [...Array.from({ length: 16 }, (_, j) => `p${j}`), "label"].join(",");
  fs.writeFileSync(csv, [header, ...Array.from({ length: 40 }, (_, i) => [...Array.from({ length: 16 }, (_, j) => ((i * 7 + j * 3) % 11) / 10), i % 2].join(","))].join("\n") + "\n");

  const program = (seed: number, augment: boolean): Program =>
    ({
      task: "classification",
      // The loop reads the parameter list (which tensors are weights); this backend has none.
      params: [],
      nodes: [],
      optimizer: { kind: "sgd", lr: 0.1 },
      schedule: { spec: { kind: "constant" }, per: "epoch" },
      data: {
        source: { kind: "csv", path: csv, label: "label", shape: [1, 4, 4] },
        val: 0.25,
        test: 0,
        transforms: [{ kind: "standardize", eps: 1e-8, per: "channel" }, ...(augment ? [{ kind: "augment", with: [{ kind: "hflip", p: 0.5 }, { kind: "gaussian_noise", std: 0.1 }] }] : [])],
      },
      loop: { epochs: 2, steps: 8, batch: 8, seed, shuffle: true, dropLast: false, logEvery: 1000, evalEvery: { unit: "epochs", count: 1 }, monitor: [] },
    }) as unknown as Program;

  /** Runs the loop with a backend that records what it is handed (the CPU and WebGPU backends get the same). */
  async function record(seed: number, augment: boolean) {
    const batches: Float32Array[] = [];
    const evaluated: Float32Array[] = [];
    const backend: TrainingBackend = {
      name: "cpu",
      adapter: "recorder",
      step: (batch) => {
        expect(batch.shape).toEqual([1, 4, 4]);
        batches.push(batch.x.slice());
        return undefined;
      },
      takeEpochSums: async () => ({ lossSum: 1, correct: 0, top5: 0 }),
      evaluate: async (data) => {
        evaluated.push(data.x.slice());
        return { loss: 1 };
      },
      saveWeights: async () => undefined,
      restoreWeights: () => {},
    };
    await runTraining(program(seed, augment), backend);
    return { batches, evaluated };
  }

  it("feeds identical augmented batches in two runs with one seed, and other batches with another seed", async () => {
    const first = await record(3, true);
    const second = await record(3, true);
    expect(first.batches).toHaveLength(8);
    expect(second.batches).toEqual(first.batches);
    const other = await record(4, true);
    expect(other.batches[0]).not.toEqual(first.batches[0]);
    // Augmentation changes the batches the same seed would give without it.
    const plain = await record(3, false);
    expect(plain.batches[0]).not.toEqual(first.batches[0]);
    expect(plain.batches[0]!.length).toBe(first.batches[0]!.length);
  });

  it("never augments the validation split", async () => {
    const augmented = await record(3, true);
    const val = prepareData(program(3, true).data, 3).val!;
    expect(augmented.evaluated.length).toBeGreaterThan(0);
    for (const data of augmented.evaluated) expect(data).toEqual(val.x);
  });
});
