// The CPU reference backend's training loop: runs a Program's training step (forward, backward, optimizer
// update, BatchNorm statistics) over shuffled batches, evaluates on the validation split in evaluation mode
// each epoch, and reports through callbacks. Slow and exact: the oracle for the WebGPU backend.
import { initialize } from "../init.js";
import type { Program } from "../program.js";
import { gather } from "../data/pipeline.js";
import { runTraining, type DoneReport, type TrainingBackend, type TrainOptions } from "../loop.js";
import type { Dataset } from "../data/sources.js";
import { execute } from "./interpreter.js";
import { createState, optimizerStep, type OptimizerState } from "./optimizers.js";
import type { Tensor } from "./tensor.js";

export { TrainingAborted, type DoneReport, type EpochReport, type TrainOptions } from "../loop.js";

function leaf(data: Float32Array, shape: number[]): Tensor {
  return { shape, data };
}

export class CpuTrainer {
  readonly params = new Map<number, Tensor>();
  readonly state = new Map<number, Tensor>();
  private readonly optimizerStates = new Map<number, OptimizerState>();

  constructor(
    readonly program: Program,
    readonly seed: number,
  ) {
    program.params.forEach((p, index) => {
      const data = new Float32Array(p.shape.reduce((a, d) => a * d, 1));
      initialize(data, p.init, p.fanIn, p.fanOut, seed, index);
      this.params.set(p.node, leaf(data, p.shape));
      this.optimizerStates.set(p.node, createState(program.optimizer, data.length, data));
    });
    for (const s of program.state) this.state.set(s.node, leaf(new Float32Array(s.shape.reduce((a, d) => a * d, 1)).fill(s.fill), s.shape));
  }

  private leaves(batch: Dataset): Map<number, Tensor> {
    const values = new Map<number, Tensor>([...this.params, ...this.state]);
    values.set(this.program.input, leaf(batch.x, [batch.count, batch.features]));
    const labelShape = this.program.task === "classification" ? [batch.count] : [batch.count, batch.targets];
    values.set(this.program.labels, leaf(batch.y, labelShape));
    return values;
  }

  /** One training step on a batch; returns the loss and the number of correct predictions. */
  step(batch: Dataset, step: number, lr: number): { loss: number; correct: number } {
    const p = this.program;
    const values = execute(p.nodes, this.leaves(batch), [p.loss, p.output, ...p.paramGrads, ...p.sideEffects], { seed: this.seed, step, training: true, batch: batch.count });
    const loss = values.get(p.loss)!.data[0]!;
    p.params.forEach((param, k) => {
      const grad = values.get(p.paramGrads[k]!)!;
      optimizerStep(p.optimizer, this.params.get(param.node)!.data, grad.data, this.optimizerStates.get(param.node)!, lr);
    });
    return { loss, correct: this.correct(values.get(p.output)!, batch) };
  }

  private correct(output: Tensor, batch: Dataset): number {
    if (this.program.task !== "classification") return 0;
    const classes = output.shape[1]!;
    let correct = 0;
    for (let i = 0; i < batch.count; i++) {
      let best = 0;
      for (let c = 1; c < classes; c++) if (output.data[i * classes + c]! > output.data[i * classes + best]!) best = c;
      if (best === batch.y[i]) correct++;
    }
    return correct;
  }

  /** Loss and accuracy in evaluation mode (dropout off, BatchNorm running statistics). */
  evaluate(data: Dataset, batchSize = 512): { loss: number; accuracy?: number } {
    const p = this.program;
    let lossSum = 0;
    let correct = 0;
    for (let start = 0; start < data.count; start += batchSize) {
      const indices = Uint32Array.from({ length: Math.min(batchSize, data.count - start) }, (_, i) => start + i);
      const batch = gather(data, indices);
      const values = execute(p.nodes, this.leaves(batch), [p.loss, p.output], { seed: this.seed, step: 0, training: false, batch: batch.count });
      const loss = values.get(p.loss)!.data[0]!;
      // Mean-reduced losses are averaged per example across batches.
      lossSum += loss * batch.count;
      correct += this.correct(values.get(p.output)!, batch);
    }
    return { loss: lossSum / data.count, accuracy: p.task === "classification" ? correct / data.count : undefined };
  }
}

/** The CPU reference backend for the shared training loop. */
class CpuBackend implements TrainingBackend {
  readonly name = "cpu";
  readonly adapter = "CPU reference (TypeScript)";
  private lossSum = 0;
  private correct = 0;

  constructor(private readonly trainer: CpuTrainer) {}

  step(batch: Dataset, step: number, lr: number): number {
    const result = this.trainer.step(batch, step, lr);
    this.lossSum += result.loss * batch.count;
    this.correct += result.correct;
    return result.loss;
  }

  async takeEpochSums(): Promise<{ lossSum: number; correct: number }> {
    const sums = { lossSum: this.lossSum, correct: this.correct };
    this.lossSum = 0;
    this.correct = 0;
    return sums;
  }

  async evaluate(data: Dataset): Promise<{ loss: number; accuracy?: number }> {
    return this.trainer.evaluate(data);
  }

  async saveWeights(): Promise<unknown> {
    const copy = (m: Map<number, Tensor>) => new Map([...m].map(([k, t]) => [k, Float32Array.from(t.data)]));
    return { params: copy(this.trainer.params), state: copy(this.trainer.state) };
  }

  restoreWeights(saved: unknown): void {
    const { params, state } = saved as { params: Map<number, Float32Array>; state: Map<number, Float32Array> };
    for (const [k, data] of params) this.trainer.params.get(k)!.data.set(data);
    for (const [k, data] of state) this.trainer.state.get(k)!.data.set(data);
  }
}

export function trainCpu(program: Program, options: TrainOptions = {}): Promise<DoneReport> {
  const seed = options.seed ?? program.loop.seed;
  return runTraining(program, new CpuBackend(new CpuTrainer(program, seed)), seed, options);
}
