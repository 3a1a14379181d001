// The WGSL kernels of an exported model's forward pass: the training planner's evaluation-mode kernels
// (codegen/wgsl/plan.ts planForward), with the same fusion, for the one target the program has.
import type { InferenceProgram } from "../../runtime/inference/types.js";
import type { ForwardPass } from "../../runtime/inference/webgpu.js";
import { planForward } from "../wgsl/plan.js";

/** The forward pass as the WebGPU runner takes it; what bundle.ts writes to files. */
export function planInference(program: InferenceProgram, options: { fuse?: boolean } = {}): ForwardPass {
  const plan = planForward(program.nodes, [program.output], options);
  const kernels = plan.kernels.map((k) => {
    const bindings = k.bindings.map((b) => {
      // Forward kernels bind nodes only; named buffers (metrics, optimizer state) belong to training.
      if (typeof b.node !== "number") throw new Error(`internal: the forward kernel ${k.label} binds the training buffer \`${b.node}\``);
      return { node: b.node, write: b.write };
    });
    return { label: k.label, code: k.code, bindings, dispatch: k.dispatch };
  });
  return { program, kernels, aliases: plan.aliases };
}
