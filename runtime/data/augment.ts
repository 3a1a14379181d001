// Random image augmentations of training batches, on the host where both backends' batches are gathered
// (runtime/loop.ts), so the CPU and WebGPU backends train on identical batches. Every draw comes from the
// counter-based RNG keyed by (seed, stream 3000 + the augmentation's position in the list, the optimizer
// step, an index made of the example's position in the batch and the draw's number for that example):
// the same seed gives the same augmented batches in every run. Validation and test splits are never
// augmented. Examples are [C, H, W], row-major; each augmentation works on one example at a time.
import type { Augmentation } from "../program.js";
import { normal, uniform } from "../rng.js";
import { DataError } from "./errors.js";
import type { Dataset } from "./sources.js";

export const AUGMENT_STREAM = 3000;

/** Augments `batch.x` in place (a gathered batch is a copy) with the run's seed at optimizer step `step`. */
export function augmentBatch(batch: Dataset, augmentations: Augmentation[], seed: number, step: number): Dataset {
  if (augmentations.length === 0) return batch;
  const shape = batch.shape;
  if (!shape || shape.length !== 3) throw new DataError(`image augmentations need examples shaped [C, H, W], but these are [${(shape ?? [batch.features]).join(", ")}]`);
  const [C, H, W] = shape as [number, number, number];
  const f = batch.features;
  const scratch = new Float32Array(f);
  augmentations.forEach((aug, position) => {
    const stream = AUGMENT_STREAM + position;
    for (let b = 0; b < batch.count; b++) {
      const image = batch.x.subarray(b * f, (b + 1) * f);
      // Draw j of example b: index b·f·2 + j never collides with another example's draws (noise needs 2 per value).
      const u = (j: number) => uniform(seed, stream, step, b * f * 2 + j);
      applyOne(aug, image, scratch, C, H, W, u, (j) => normal(seed, stream, step, b * f + j));
    }
  });
  return batch;
}

function applyOne(aug: Augmentation, image: Float32Array, scratch: Float32Array, C: number, H: number, W: number, u: (j: number) => number, n: (j: number) => number): void {
  const f = C * H * W;
  switch (aug.kind) {
    case "hflip": {
      // u < p: with p = 1 every image flips, with p = 0 none.
      if (!(u(0) < aug.p)) return;
      for (let c = 0; c < C; c++) for (let y = 0; y < H; y++) image.subarray((c * H + y) * W, (c * H + y + 1) * W).reverse();
      return;
    }
    case "random_crop": {
      // torchvision's RandomCrop(size, padding): zero-pad P on every side, crop H×W at offsets drawn
      // uniformly from {0, …, 2P} (P, P is the identity).
      const P = aug.padding;
      if (P === 0) return;
      const dy = Math.floor(u(0) * (2 * P + 1)) - P;
      const dx = Math.floor(u(1) * (2 * P + 1)) - P;
      scratch.set(image);
      for (let c = 0; c < C; c++) {
        for (let y = 0; y < H; y++) {
          const sy = y + dy;
          for (let x = 0; x < W; x++) {
            const sx = x + dx;
            image[(c * H + y) * W + x] = sy >= 0 && sy < H && sx >= 0 && sx < W ? scratch[(c * H + sy) * W + sx]! : 0;
          }
        }
      }
      return;
    }
    case "random_scale": {
      // Factor s ~ U[min, max]. The image is scaled by s about its centre and cut back to H×W (s > 1
      // crops, s < 1 pads with zeros): output pixel (y, x) samples the input at
      // ((y + ½ − H/2)/s + H/2 − ½, (x + ½ − W/2)/s + W/2 − ½) bilinearly, pixels outside the image
      // counting as 0 (s = 1 is the identity).
      const s = aug.min + u(0) * (aug.max - aug.min);
      scratch.set(image);
      const at = (c: number, y: number, x: number) => (y >= 0 && y < H && x >= 0 && x < W ? scratch[(c * H + y) * W + x]! : 0);
      for (let y = 0; y < H; y++) {
        const sy = (y + 0.5 - H / 2) / s + H / 2 - 0.5;
        const y0 = Math.floor(sy);
        const wy = sy - y0;
        for (let x = 0; x < W; x++) {
          const sx = (x + 0.5 - W / 2) / s + W / 2 - 0.5;
          const x0 = Math.floor(sx);
          const wx = sx - x0;
          for (let c = 0; c < C; c++) {
            const top = at(c, y0, x0) * (1 - wx) + at(c, y0, x0 + 1) * wx;
            const bottom = at(c, y0 + 1, x0) * (1 - wx) + at(c, y0 + 1, x0 + 1) * wx;
            image[(c * H + y) * W + x] = top * (1 - wy) + bottom * wy;
          }
        }
      }
      return;
    }
    case "brightness": {
      // One offset per image, uniform in [−amount, amount], added to every value.
      const delta = aug.amount * (2 * u(0) - 1);
      for (let i = 0; i < f; i++) image[i] = image[i]! + delta;
      return;
    }
    case "contrast": {
      // One factor per image, uniform in [1 − amount, 1 + amount], scaling deviations from the image's mean
      // (over all its channels and pixels).
      const factor = 1 + aug.amount * (2 * u(0) - 1);
      let mean = 0;
      for (let i = 0; i < f; i++) mean += image[i]!;
      mean /= f;
      for (let i = 0; i < f; i++) image[i] = mean + factor * (image[i]! - mean);
      return;
    }
    case "gaussian_noise": {
      for (let i = 0; i < f; i++) image[i] = image[i]! + aug.std * n(i);
      return;
    }
    case "cutout": {
      // DeVries & Taylor: each square's centre is uniform over the pixels; the size×size square
      // [cy − ⌊size/2⌋, cy − ⌊size/2⌋ + size) × (same in x) is zeroed in every channel, clipped at the border.
      for (let k = 0; k < aug.count; k++) {
        const cy = Math.floor(u(2 * k) * H);
        const cx = Math.floor(u(2 * k + 1) * W);
        const y0 = Math.max(0, cy - Math.floor(aug.size / 2));
        const x0 = Math.max(0, cx - Math.floor(aug.size / 2));
        const y1 = Math.min(H, cy - Math.floor(aug.size / 2) + aug.size);
        const x1 = Math.min(W, cx - Math.floor(aug.size / 2) + aug.size);
        for (let c = 0; c < C; c++) for (let y = y0; y < y1; y++) image.fill(0, (c * H + y) * W + x0, (c * H + y) * W + Math.max(x0, x1));
      }
      return;
    }
  }
}
