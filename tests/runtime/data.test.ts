// The data pipeline: deterministic permutations, split sizes, standardization fitted on the training split
// only, and per-epoch batches that sample without replacement.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { epochBatches, permutation, prepareData } from "../../runtime/data/pipeline.js";
import { loadSource } from "../../runtime/data/sources.js";

describe("data pipeline", () => {
  it("draws the same permutation for the same seed and a different one for another", () => {
    const a = permutation(100, 1, 5, 0);
    expect([...a].sort((x, y) => x - y)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(permutation(100, 1, 5, 0)).toEqual(a);
    expect(permutation(100, 2, 5, 0)).not.toEqual(a);
  });

  it("splits by the requested shares", () => {
    const splits = prepareData({ source: { kind: "blobs", n: 200, classes: 4, features: 3, std: 1 }, val: 0.2, test: 0.1, transforms: [] }, 3);
    expect([splits.train.count, splits.val!.count, splits.test!.count]).toEqual([140, 40, 20]);
  });

  it("standardizes with statistics of the training split only", () => {
    const splits = prepareData({ source: { kind: "blobs", n: 300, classes: 3, features: 2, std: 2 }, val: 0.3, test: 0, transforms: [{ kind: "standardize", eps: 1e-8 }] }, 4);
    for (const [split, exact] of [[splits.train, true], [splits.val!, false]] as const) {
      for (let f = 0; f < 2; f++) {
        let mean = 0;
        for (let i = 0; i < split.count; i++) mean += split.x[i * 2 + f]! / split.count;
        if (exact) expect(Math.abs(mean)).toBeLessThan(1e-5);
        else expect(Math.abs(mean)).toBeGreaterThan(1e-5);
      }
    }
  });

  it("keeps scale 1 for a feature constant on the training split, and divides by std + eps otherwise", () => {
    // A constant feature (digits' border pixels) would otherwise be divided by eps and explode in validation.
    const csv = "a,b,label\n" + Array.from({ length: 20 }, (_, i) => `${i % 4},${i < 16 ? 5 : 9},${i % 2}`).join("\n") + "\n";
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dslc-data-"));
    fs.writeFileSync(path.join(dir, "d.csv"), csv);
    const spec = (eps: number) => ({ source: { kind: "csv" as const, path: path.join(dir, "d.csv"), label: "label" }, val: 0, test: 0, transforms: [{ kind: "standardize" as const, eps }] });
    // No split: the file order is the training split; rows 16–19 have b = 9, so b is not constant here.
    const all = prepareData(spec(0.5), 1).train;
    // Feature a takes 0,1,2,3 evenly: mean 1.5, population std √1.25; with eps 0.5 the scale is √1.25 + 0.5.
    expect(all.x[0]).toBeCloseTo((0 - 1.5) / (Math.sqrt(1.25) + 0.5), 6);
    const constant = prepareData({ ...spec(1e-8), transforms: [{ kind: "subset", n: 16 }, { kind: "standardize", eps: 1e-8 }] }, 1).train;
    // Over the first 16 rows b is always 5: centred to 0 and left at scale 1, not divided by 1e-8.
    expect(Array.from({ length: 16 }, (_, i) => constant.x[i * 2 + 1])).toEqual(new Array(16).fill(0));
    fs.rmSync(dir, { recursive: true });
  });

  it("centers with the training split's mean and keeps a subset of the training split", () => {
    const splits = prepareData({ source: { kind: "blobs", n: 300, classes: 3, features: 2, std: 2 }, val: 0.2, test: 0, transforms: [{ kind: "subset", n: 50 }, { kind: "center" }] }, 4);
    expect(splits.train.count).toBe(50);
    expect(splits.val!.count).toBe(60);
    let mean = 0;
    for (let i = 0; i < 50; i++) mean += splits.train.x[i * 2]! / 50;
    expect(Math.abs(mean)).toBeLessThan(1e-5);
  });

  it("visits every example exactly once per epoch, reshuffling between epochs", () => {
    const one = epochBatches(10, 3, { shuffle: true, dropLast: false, seed: 1, epoch: 0 });
    const two = epochBatches(10, 3, { shuffle: true, dropLast: false, seed: 1, epoch: 1 });
    expect(one.map((b) => b.length)).toEqual([3, 3, 3, 1]);
    expect(one.flatMap((b) => [...b]).sort((a, b) => a - b)).toEqual(Array.from({ length: 10 }, (_, i) => i));
    expect(one.flatMap((b) => [...b])).not.toEqual(two.flatMap((b) => [...b]));
    expect(epochBatches(10, 3, { shuffle: true, dropLast: true, seed: 1, epoch: 0 }).map((b) => b.length)).toEqual([3, 3, 3]);
  });

  it("generates the XOR table and balanced spirals", () => {
    const xor = loadSource({ kind: "xor", n: 4, noise: 0 }, 0);
    expect([...xor.x]).toEqual([0, 0, 1, 0, 0, 1, 1, 1]);
    expect([...xor.y]).toEqual([0, 1, 1, 0]);
    const spirals = loadSource({ kind: "spirals", n: 300, classes: 3, noise: 0.1 }, 0);
    expect([0, 1, 2].map((c) => [...spirals.y].filter((y) => y === c).length)).toEqual([100, 100, 100]);
  });
});
