// The tensors an inference program reads, found by its `param` nodes' names and checked against their shapes
// before anything runs: a bundle whose weights came from another model must fail here, not predict garbage.
import type { InferenceProgram } from "./types.js";
import { InferenceError } from "./errors.js";

export type Weights = ReadonlyMap<string, Float32Array>;

/** Parameter node id → its values, in node order. */
export function paramValues(program: InferenceProgram, weights: Weights): Map<number, Float32Array> {
  const values = new Map<number, Float32Array>();
  for (const node of program.nodes) {
    if (node.op !== "param") continue;
    const name = node.name ?? `#${node.id}`;
    const data = weights.get(name);
    const shape = node.shape as number[];
    const count = shape.reduce((a, d) => a * d, 1);
    if (!data) throw new InferenceError("E0830", `the weights have no tensor \`${name}\`, which ${program.model} needs`, "export the bundle again from the checkpoint the model was trained with (`dslc export`)");
    if (data.length !== count) throw new InferenceError("E0830", `the tensor \`${name}\` has ${data.length} values, but ${program.model} needs shape [${shape.join(", ")}] (${count} values)`, "the weights belong to another model: export the bundle again from this model's checkpoint (`dslc export`)");
    values.set(node.id, data);
  }
  return values;
}

/** Values per example, and the example count of a batch, checked. */
export function checkBatch(program: InferenceProgram, batch: Float32Array, n: number): number {
  const features = program.inputShape.reduce((a, d) => a * d, 1);
  if (!Number.isInteger(n) || n < 0) throw new InferenceError("E0831", `the batch size must be a whole number of examples, not ${n}`, "pass the number of examples in the batch");
  if (batch.length !== n * features)
    throw new InferenceError("E0831", `a batch of ${n} examples of shape [${program.inputShape.join(", ")}] has ${n * features} values, but ${batch.length} were given`, `give ${features} values per example, in row-major order`);
  return features;
}
