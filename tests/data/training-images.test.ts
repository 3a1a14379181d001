// Images through the whole trainer: an IDX source (gzipped) and a CSV shaped as images, preprocessed per
// channel and augmented, train on the CPU reference and on WebGPU with loss curves that agree to 1e-4
// relative: the CPU reference augments batches on the host and WebGPU on the device, with the same draws.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as zlib from "node:zlib";
import { afterAll, describe, expect, it } from "vitest";
import { compileProgram } from "../../compiler/compile.js";
import { trainCpu, type EpochReport } from "../../runtime/cpu/train.js";
import { trainWebGpu } from "../../cli/backends.js";
import { encodeNpy } from "../../runtime/data/npy.js";
import { idxBytes } from "./fixtures.js";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dslc-train-images-"));
afterAll(() => fs.rmSync(dir, { recursive: true }));
// 60 images 1×6×6 of two classes: class 1 has a bright left half, plus a deterministic texture.
const count = 60;
const pixels = Array.from({ length: count * 36 }, (_, k) => {
  const i = Math.floor(k / 36), x = k % 6;
  return ((i % 2 === 1 && x < 3 ? 150 : 40) + ((k * 37) % 60)) & 0xff;
});
const labels = Array.from({ length: count }, (_, i) => i % 2);
fs.writeFileSync(path.join(dir, "images.gz"), zlib.gzipSync(idxBytes([count, 6, 6], pixels)));
fs.writeFileSync(path.join(dir, "labels"), idxBytes([count], labels));
fs.writeFileSync(path.join(dir, "x.npy"), encodeNpy(pixels, [count, 1, 6, 6], "|u1"));
fs.writeFileSync(path.join(dir, "y.npy"), encodeNpy(labels, [count], "<i8"));

const file = (data: string, epochs = 3) => {
  const text = `model M(x: f32[N, 1, 6, 6]) -> f32[N, 2] {\n  return x |> flatten |> dense(8) |> relu |> dense(2)\n}\ntrain {\n  data = ${data}\n  loss = cross_entropy()\n  optimizer = sgd(lr: 0.1, momentum: 0.9)\n  epochs ${epochs}\n  batch 8\n  seed 11\n}\n`;
  const where = path.join(dir, "model.dl");
  const result = compileProgram(text, where);
  expect(result.diagnostics.map((d) => `${d.code} ${d.message}`)).toEqual([]);
  return result.program!;
};

describe("image data through the trainer", () => {
  it("trains from gzipped IDX files with per-channel standardization and augmentation on the CPU", async () => {
    const program = file('idx(images: "images.gz", labels: "labels", scale: 1/255) |> split(val: 0.2) |> standardize(per: channel) |> augment([hflip(p: 0.5), random_crop(padding: 1), cutout(size: 2)])', 8);
    const epochs: EpochReport[] = [];
    await trainCpu(program, { onEpoch: (e) => epochs.push(e) });
    expect(epochs).toHaveLength(8);
    expect(epochs.at(-1)!.train_loss).toBeLessThan(epochs[0]!.train_loss);
  }, 60_000);

  it("reads the same images from NPY as from IDX", async () => {
    const a: EpochReport[] = [];
    const b: EpochReport[] = [];
    await trainCpu(file('idx(images: "images.gz", labels: "labels", scale: 1/255) |> center(per: image)'), { onEpoch: (e) => a.push(e) });
    await trainCpu(file('npy(x: "x.npy", y: "y.npy", scale: 1/255) |> center(per: image)'), { onEpoch: (e) => b.push(e) });
    expect(b.map((e) => e.train_loss)).toEqual(a.map((e) => e.train_loss));
  }, 60_000);

  it("agrees between the CPU reference and WebGPU with augmentation (same augmented batches)", async () => {
    const data = 'idx(images: "images.gz", labels: "labels", scale: 1/255) |> split(val: 0.2) |> center(per: channel) |> augment([hflip(p: 0.5), random_scale(min: 0.8, max: 1.2), brightness(amount: 0.1), contrast(amount: 0.2), gaussian_noise(std: 0.05)])';
    const cpu: EpochReport[] = [];
    const gpu: EpochReport[] = [];
    await trainCpu(file(data), { onEpoch: (e) => cpu.push(e) });
    await trainWebGpu(file(data), { onEpoch: (e) => gpu.push(e) });
    expect(gpu).toHaveLength(cpu.length);
    cpu.forEach((e, i) => {
      // f32 rounding differs between the backends; the batches do not.
      expect(Math.abs(gpu[i]!.train_loss - e.train_loss) / e.train_loss, `epoch ${i + 1}`).toBeLessThan(1e-4);
      expect(Math.abs(gpu[i]!.val_loss! - e.val_loss!) / e.val_loss!, `epoch ${i + 1}`).toBeLessThan(1e-4);
    });
  }, 120_000);
});
