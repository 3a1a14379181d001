// The notes' initialization experiment, for every report: the spread of each activation layer's output on the
// first training batch with the initial weights (evaluation mode, so dropout is off). With weights too small
// the standard deviation shrinks layer after layer towards 0 (nothing reaches the loss, gradients vanish);
// too large and tanh/sigmoid saturate; a good initialization keeps it roughly constant with depth.
import { CpuTrainer } from "../cpu/train.js";
import { execute } from "../cpu/interpreter.js";
import type { Tensor } from "../cpu/tensor.js";
import { epochBatches, prepareData, trainingBatch } from "../data/pipeline.js";
import type { Program } from "../program.js";

const ACTIVATIONS = new Set(["relu", "leaky_relu", "tanh", "sigmoid", "elu", "gelu", "silu"]);

export interface LayerActivation {
  /** 1 for the activation nearest the input. */
  depth: number;
  op: string;
  mean: number;
  std: number;
}

/** Each activation layer's output statistics at initialization; empty when the model has no activation layer. */
export function activationsAtInit(program: Program): LayerActivation[] {
  const targets = program.nodes.filter((n) => ACTIVATIONS.has(n.op)).map((n) => n.id);
  if (targets.length === 0) return [];
  const { seed } = program.loop;
  const data = prepareData(program.data, seed);
  const batchSize = program.loop.batch === "full" ? data.train.count : program.loop.batch;
  const [first] = epochBatches(data.train.count, batchSize, { shuffle: program.loop.shuffle, dropLast: false, seed, epoch: 0 });
  const batch = trainingBatch(data.train, first!, program.data, seed, 0, { augment: false });
  const trainer = new CpuTrainer(program, seed);
  const values = new Map([...trainer.params, ...trainer.state]);
  const input: Tensor = { data: batch.x, shape: [batch.count, ...(batch.shape ?? [batch.features])] };
  values.set(program.input, input);
  const computed = execute(program.nodes, values, targets, { seed, step: 0, training: false, batch: batch.count });
  return targets.map((id, k) => {
    const x = computed.get(id)!.data;
    let sum = 0;
    for (const v of x) sum += v;
    const mean = sum / x.length;
    let squares = 0;
    for (const v of x) squares += (v - mean) ** 2;
    return { depth: k + 1, op: program.nodes[id]!.op, mean, std: Math.sqrt(squares / x.length) };
  });
}
