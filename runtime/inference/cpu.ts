// Runs an exported model on the CPU reference interpreter: the same kernels as training's evaluation pass,
// so this is what the WebGPU forward pass and ONNX are checked against.
import { execute } from "../cpu/interpreter.js";
import type { Tensor } from "../cpu/tensor.js";
import type { InferenceProgram } from "./types.js";
import { checkBatch, paramValues, type Weights } from "./weights.js";

export class CpuInference {
  private readonly params: Map<number, Float32Array>;

  constructor(
    readonly program: InferenceProgram,
    weights: Weights,
  ) {
    this.params = paramValues(program, weights);
  }

  /**
   * The output node's values for `n` examples (`batch` holds n × input size values, row-major). For an
   * ensemble the output node is already the members' average (the program computes it), so nothing differs.
   */
  run(batch: Float32Array, n: number): Float32Array {
    const { program } = this;
    checkBatch(program, batch, n);
    const outputSize = program.outputShape.reduce((a, d) => a * d, 1);
    if (n === 0) return new Float32Array(0);
    const values = new Map<number, Tensor>();
    values.set(program.input, { shape: [n, ...program.inputShape], data: batch });
    for (const [id, data] of this.params) values.set(id, { shape: program.nodes[id]!.shape as number[], data });
    execute(program.nodes, values, [program.output], { seed: 0, step: 0, training: false, batch: n });
    const out = values.get(program.output)!.data;
    if (out.length !== n * outputSize) throw new Error(`internal: the output has ${out.length} values for ${n} examples of ${outputSize}`);
    return out instanceof Float32Array ? out : Float32Array.from(out);
  }
}
