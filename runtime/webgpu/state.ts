// Names of the per-parameter optimizer state buffers on the device (`${param}:${name}`), shared by the
// kernel generator and the runtime that allocates them.
import type { OptimizerSpec } from "../cpu/optimizers.js";

export function optimizerStateNames(spec: OptimizerSpec): string[] {
  switch (spec.kind) {
    case "sgd":
      return ["momentum"];
    case "adam":
    case "adamw":
      return ["m", "v", "vmax"];
    default:
      return [];
  }
}
