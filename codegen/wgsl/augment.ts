// WGSL for the image augmentations of training batches, run on the device at the start of each training
// step. Each augmentation is one kernel reading the previous one's output (runtime/webgpu/augment-buffers.ts)
// and draws exactly what runtime/data/augment.ts draws on the host: the same counter-based hash keyed by
// (seed, stream 3000 + position, step, index), so the CPU and WebGPU backends train on the same batches.
// Integer decisions (whether to flip, crop offsets, cutout squares) are made in integer arithmetic and are
// bit-identical to the host's; the value changes (brightness, contrast, scaling, noise) are f32 arithmetic
// and agree with the host's float64 to f32 rounding.
import type { Augmentation } from "../../runtime/program.js";
import { AUGMENT_STREAM } from "../../runtime/data/augment.js";
import { augmentChain } from "../../runtime/webgpu/augment-buffers.js";
import { f32, GLOBALS_WGSL, HASH_WGSL } from "./common.js";
import { decls, REDUCE, WORKGROUP, type KernelSource } from "./kernels.js";

/** The kernels augmenting a batch of [C, H, W] examples, in order; the last writes `input`. */
export function emitAugmentations(augmentations: Augmentation[], example: [number, number, number], input: number): KernelSource[] {
  return augmentations.map((aug, k) => {
    const { source, target } = augmentChain(k, augmentations.length, input);
    const bindings = [
      { node: source, write: false },
      { node: target, write: true },
    ];
    const stream = AUGMENT_STREAM + k;
    const label = `augment ${k} ${aug.kind}`;
    return aug.kind === "contrast" ? contrastKernel(aug.amount, example, stream, bindings, label) : pointKernel(aug, example, stream, bindings, label);
  });
}

/**
 * Draws of example b (the host's `u(j)`): hash bits 8..31 of index b·f·2 + j, as an integer k in [0, 2²⁴).
 * `below(k, n)` is ⌊k·n / 2²⁴⌋ computed exactly in u32 (k split in 12-bit halves so nothing overflows for
 * n < 2²⁰), which is the host's Math.floor(u·n) in float64.
 */
function drawHelpers(example: [number, number, number], stream: number): string {
  const f = example[0] * example[1] * example[2];
  return `${HASH_WGSL}
const F = ${f}u;
const C = ${example[0]}u;
const H = ${example[1]}u;
const W = ${example[2]}u;
fn bits(index: u32) -> u32 { return hash4(globals.seed, ${stream}u, globals.step, index) >> 8u; }
fn draw(b: u32, j: u32) -> u32 { return bits(b * F * 2u + j); }
fn unit(k: u32) -> f32 { return f32(k) / 16777216.0; }
fn below(k: u32, n: u32) -> u32 { return ((k >> 12u) * n + (((k & 0xfffu) * n) >> 12u)) >> 12u; }
`;
}

/** An augmentation whose every output value depends on one input value (or four, for scaling): one thread each. */
function pointKernel(aug: Exclude<Augmentation, { kind: "contrast" }>, example: [number, number, number], stream: number, bindings: KernelSource["bindings"], label: string): KernelSource {
  return {
    label,
    bindings,
    dispatch: { kind: "elements", shape: ["N", ...example] },
    code: `${GLOBALS_WGSL}${decls(bindings, ["src", "dst"])}
${drawHelpers(example, stream)}${aug.kind === "random_scale" ? PIXEL_WGSL : ""}
@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = gid.x + gid.y * groups.x * ${WORKGROUP}u;
  if (i >= globals.batch * F) { return; }
  let b = i / F;
  let r = i % F;
  let c = r / (H * W);
  let y = (r / W) % H;
  let x = r % W;
  let base = b * F + c * H * W;
${pointBody(aug)}
}
`,
  };
}

/** A pixel of the source image at `base`, 0 outside it (random_scale's bilinear taps). */
const PIXEL_WGSL = `fn pixel(base: u32, y: i32, x: i32) -> f32 {
  if (y < 0 || y >= i32(H) || x < 0 || x >= i32(W)) { return 0.0; }
  return src[base + u32(y) * W + u32(x)];
}
`;

function pointBody(aug: Exclude<Augmentation, { kind: "contrast" }>): string {
  switch (aug.kind) {
    case "hflip":
      // The host flips when u < p, i.e. k < p·2²⁴, i.e. k < ⌈p·2²⁴⌉ for an integer k.
      return `  let flip = draw(b, 0u) < ${Math.min(16777216, Math.max(0, Math.ceil(aug.p * 16777216)))}u;
  dst[i] = select(src[i], src[base + y * W + (W - 1u - x)], flip);`;
    case "random_crop": {
      // Zero padding P on every side, then a crop at offsets drawn from {0, …, 2P}: a shift by (dy, dx) ∈ [−P, P]².
      const P = aug.padding;
      return `  let sy = i32(y) + i32(below(draw(b, 0u), ${2 * P + 1}u)) - ${P};
  let sx = i32(x) + i32(below(draw(b, 1u), ${2 * P + 1}u)) - ${P};
  let inside = sy >= 0 && sy < i32(H) && sx >= 0 && sx < i32(W);
  dst[i] = select(0.0, src[base + u32(select(0, sy, inside)) * W + u32(select(0, sx, inside))], inside);`;
    }
    case "random_scale":
      // Bilinear sampling of the image scaled by s about its centre, pixels outside counting as 0.
      return `  let s = ${f32(aug.min)} + unit(draw(b, 0u)) * ${f32(aug.max - aug.min)};
  let sy = (f32(y) + 0.5 - f32(H) / 2.0) / s + f32(H) / 2.0 - 0.5;
  let sx = (f32(x) + 0.5 - f32(W) / 2.0) / s + f32(W) / 2.0 - 0.5;
  let y0 = i32(floor(sy));
  let x0 = i32(floor(sx));
  let wy = sy - floor(sy);
  let wx = sx - floor(sx);
  let top = pixel(base, y0, x0) * (1.0 - wx) + pixel(base, y0, x0 + 1) * wx;
  let bottom = pixel(base, y0 + 1, x0) * (1.0 - wx) + pixel(base, y0 + 1, x0 + 1) * wx;
  dst[i] = top * (1.0 - wy) + bottom * wy;`;
    case "brightness":
      return `  dst[i] = src[i] + ${f32(aug.amount)} * (2.0 * unit(draw(b, 0u)) - 1.0);`;
    case "gaussian_noise":
      // Box–Muller from uniforms 2m and 2m + 1 of value m = b·f + r, as runtime/rng.ts's normal(). The angle
      // is taken in [−π, π), where WGSL bounds cos's error: cos(2πu) = −cos(2πu − π).
      return `  let m = b * F + r;
  let u1 = 1.0 - unit(bits(2u * m));
  let u2 = unit(bits(2u * m + 1u));
  dst[i] = src[i] + ${f32(aug.std)} * (sqrt(-2.0 * log(u1)) * -cos(6.283185307179586 * u2 - 3.141592653589793));`;
    case "cutout": {
      // Square k's centre is (⌊u(2k)·H⌋, ⌊u(2k+1)·W⌋); the square starts ⌊size/2⌋ above and left of it.
      const half = Math.floor(aug.size / 2);
      return `  var zeroed = false;
  for (var k = 0u; k < ${aug.count}u; k++) {
    let y0 = i32(below(draw(b, 2u * k), H)) - ${half};
    let x0 = i32(below(draw(b, 2u * k + 1u), W)) - ${half};
    zeroed = zeroed || (i32(y) >= y0 && i32(y) < y0 + ${aug.size} && i32(x) >= x0 && i32(x) < x0 + ${aug.size});
  }
  dst[i] = select(src[i], 0.0, zeroed);`;
    }
  }
}

/** Contrast scales deviations from each image's mean: one workgroup per image reduces, then rewrites it. */
function contrastKernel(amount: number, example: [number, number, number], stream: number, bindings: KernelSource["bindings"], label: string): KernelSource {
  return {
    label,
    bindings,
    dispatch: { kind: "grid", x: { elements: ["N"], per: 1 } },
    code: `${GLOBALS_WGSL}${decls(bindings, ["src", "dst"])}
${drawHelpers(example, stream)}
var<workgroup> partial: array<f32, ${REDUCE}>;
@compute @workgroup_size(${REDUCE})
fn main(@builtin(workgroup_id) group: vec3u, @builtin(local_invocation_id) local: vec3u) {
  let b = group.x;
  let base = b * F;
  var sum = 0.0;
  for (var r = local.x; r < F; r += ${REDUCE}u) { sum += src[base + r]; }
  partial[local.x] = sum;
  workgroupBarrier();
  for (var half = ${REDUCE / 2}u; half > 0u; half >>= 1u) {
    if (local.x < half) { partial[local.x] += partial[local.x + half]; }
    workgroupBarrier();
  }
  let mean = partial[0] / f32(F);
  let factor = 1.0 + ${f32(amount)} * (2.0 * unit(draw(b, 0u)) - 1.0);
  for (var r = local.x; r < F; r += ${REDUCE}u) { dst[base + r] = mean + factor * (src[base + r] - mean); }
}
`,
  };
}
