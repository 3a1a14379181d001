// Which backend `dslc train`, and the trainer that `dslc FILE -o DIR` emits, use when `--backend` is not
// given: one rule, so that a file trains on the same backend however it is run (it lives in the runtime
// because the emitted train.mts imports nothing else). WebGPU pays a fixed cost per training step
// (encoding one dispatch per kernel, and the readbacks at each epoch's end, ~1–2 ms on lavapipe) that the
// CPU reference backend does not; a model whose step is a few thousand multiply-adds finishes sooner on the
// CPU. Measured side by side with bench/spirals.ts on lavapipe (docs/benchmarks.md, "Small models"):
// samples/xor.dl (≈0.0005 MFLOP per step) and samples/polyfit.dl (≈0.06 MFLOP) train faster on the CPU,
// samples/spirals.dl (≈6.6 MFLOP) 2–4× faster on WebGPU. The threshold sits between them. An explicit
// `--backend` or `--adapter` always means what it says.
import type { Program, ProgramNode } from "./program.js";
import { trainingBatchSize } from "./data/pipeline.js";

/** Estimated floating-point operations per training step below which the CPU reference backend is the default. */
export const CPU_BELOW_FLOPS = 1e6;

/**
 * Floating-point operations of one training step (forward, backward and update), estimated from the training
 * graph at the training batch size: 2·M·N·K per matrix product, 2 per multiply-add of a convolution (and of
 * its two gradients), one per element of every other value.
 */
export function stepFlops(program: Program): number {
  const batch = trainingBatchSize(program);
  const size = (node: ProgramNode | undefined) => (node ? node.shape.reduce<number>((p, d) => p * (d === "N" ? batch : d), 1) : 0);
  const at = (id: number | undefined) => (id === undefined ? undefined : program.nodes[id]);
  let flops = 0;
  for (const node of program.nodes) {
    const [a, b] = node.inputs.map((i) => at(i));
    switch (node.op) {
      case "matmul": {
        const shape = a?.shape ?? [];
        const k = node.attrs["transA"] ? shape[0] : shape[1];
        flops += 2 * size(node) * (k === "N" ? batch : ((k as number | undefined) ?? 1));
        break;
      }
      case "conv2d":
        // Each output element is a dot product over one filter: |w| / Cout multiply-adds.
        flops += (2 * size(node) * size(b)) / Math.max(1, Number(b?.shape[0] ?? 1));
        break;
      case "conv2d_grad_input":
        flops += (2 * size(a) * size(b)) / Math.max(1, Number(b?.shape[0] ?? 1));
        break;
      case "conv2d_grad_weight":
        flops += (2 * size(b) * size(node)) / Math.max(1, Number(node.shape[0] ?? 1));
        break;
      default:
        flops += size(node);
    }
  }
  return flops;
}

export interface BackendChoice {
  backend: "cpu" | "webgpu";
  /** Said on stderr whenever the default is the CPU, so that what runs is never a surprise. */
  note?: string;
}

/** The default backend for `program` (an explicit `--backend` always wins over this). */
export function defaultBackend(program: Program): BackendChoice {
  const flops = stepFlops(program);
  if (flops >= CPU_BELOW_FLOPS) return { backend: "webgpu" };
  const mflop = flops / 1e6;
  return {
    backend: "cpu",
    note: `this model needs about ${mflop < 0.01 ? mflop.toExponential(1) : mflop.toPrecision(2)} MFLOP per training step, below the ${CPU_BELOW_FLOPS / 1e6} MFLOP under which WebGPU's fixed cost per step outweighs its speed: training on the CPU reference backend (\`--backend webgpu\` uses the device anyway)`,
  };
}
