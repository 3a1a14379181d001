// What the CNN benchmark measures, in one place so every implementation runs exactly the same thing.
// Training: conv 32 (3×3, padding 1) → relu → maxpool 2 → conv 64 (3×3, padding 1) → relu → maxpool 2 →
// flatten → dense 128 → relu → dense 10 on 28×28×1 inputs, batch 64, SGD with momentum 0.9, softmax
// cross-entropy, random data. Forward conv: one 3×3, padding-1 convolution on the shapes below.

export const BATCH = 64;
export const LR = 0.01;
export const MOMENTUM = 0.9;

export const CONV = { batch: 64, inChannels: 32, size: 28, outChannels: 64, kernel: 3, padding: 1 } as const;

/** Multiply-adds counted as two FLOPs, as every peer's GFLOP/s figure does; the bias is not counted. */
export const CONV_FLOPS = 2 * CONV.batch * CONV.outChannels * CONV.size * CONV.size * CONV.inChannels * CONV.kernel * CONV.kernel;

/** A rate (median and each repetition's), or why it could not be measured. */
export type Measured = { median: number; runs: number[] } | { skipped: string };

/** A peer's training samples/s and conv GFLOP/s, or why the whole peer was skipped. */
export type PeerResult = { train: Measured; conv: Measured; note: string } | { skipped: string };
