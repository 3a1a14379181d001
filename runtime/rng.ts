// Counter-based random numbers: every draw is a pure function of (seed, stream, counter, index), so the CPU
// and WebGPU backends produce the same dropout masks and initial weights in any order. The mixing is
// 32-bit integer arithmetic only (multiply, xor, shift), which WGSL's u32 reproduces exactly.

/** A 32-bit finalizer (murmur3's fmix32): a bijection that spreads every input bit over the output. */
export function mix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

export function hash4(seed: number, stream: number, counter: number, index: number): number {
  let h = mix32(seed ^ 0x9e3779b9);
  h = mix32(h ^ Math.imul(stream + 1, 0x27d4eb2f));
  h = mix32(h ^ Math.imul(counter + 1, 0x165667b1));
  return mix32(h ^ Math.imul(index + 1, 0x2545f491));
}

/** Uniform in [0, 1) with 24 bits, exactly representable in f32 on both backends. */
export function uniform(seed: number, stream: number, counter: number, index: number): number {
  return (hash4(seed, stream, counter, index) >>> 8) / 16777216;
}

/** Standard normal by Box–Muller from two independent uniforms. */
export function normal(seed: number, stream: number, counter: number, index: number): number {
  const u1 = 1 - uniform(seed, stream, counter, 2 * index);
  const u2 = uniform(seed, stream, counter, 2 * index + 1);
  return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
}
