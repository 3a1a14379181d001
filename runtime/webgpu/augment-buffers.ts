// The buffers of on-device augmentation (codegen/wgsl/augment.ts). In a training step the host writes the
// gathered, un-augmented batch to RAW; the augmentation kernels then run one after another, each reading the
// previous one's output, alternating between RAW and SCRATCH, and the last one writes the model's input.
// Evaluation writes the input directly: validation and test batches are never augmented.
export const AUGMENT_RAW = "augment:raw";
export const AUGMENT_SCRATCH = "augment:scratch";

/** Where augmentation kernel `k` of `count` reads and writes (`input` is the model's input buffer). */
export function augmentChain(k: number, count: number, input: number): { source: number | string; target: number | string } {
  const written = (j: number) => (j === count - 1 ? input : j % 2 === 0 ? AUGMENT_SCRATCH : AUGMENT_RAW);
  return { source: k === 0 ? AUGMENT_RAW : written(k - 1), target: written(k) };
}
