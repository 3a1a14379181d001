// The CPU reference backend's training loop: runs a Program's training step (forward, backward, optimizer
// update, BatchNorm statistics) over shuffled batches, evaluates on the validation split in evaluation mode
// each epoch, and reports through callbacks. Slow and exact: the oracle for the WebGPU backend.
import { performance } from "node:perf_hooks";
import { initialize } from "../init.js";
import type { Program } from "../program.js";
import { learningRate } from "../schedules.js";
import { epochBatches, gather, prepareData } from "../data/pipeline.js";
import type { Dataset } from "../data/sources.js";
import { execute } from "./interpreter.js";
import { createState, optimizerStep, type OptimizerState } from "./optimizers.js";
import type { Tensor } from "./tensor.js";

export interface EpochReport {
  epoch: number;
  train_loss: number;
  train_accuracy?: number;
  val_loss?: number;
  val_accuracy?: number;
  lr: number;
}

export interface DoneReport {
  backend: "cpu";
  adapter: string;
  steps: number;
  train_loss: number;
  val_loss?: number;
  val_accuracy?: number;
  seconds: number;
}

export class TrainingAborted extends Error {
  constructor(
    message: string,
    readonly help: string,
    readonly epoch: number,
  ) {
    super(message);
  }
}

export interface TrainOptions {
  epochs?: number;
  seed?: number;
  onEpoch?: (report: EpochReport) => void;
  onStep?: (step: number, totalSteps: number) => void;
}

export interface TrainedModel {
  params: Map<number, Tensor>;
  state: Map<number, Tensor>;
}

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

export function trainCpu(program: Program, options: TrainOptions = {}): DoneReport {
  const started = performance.now();
  const seed = options.seed ?? program.loop.seed;
  const epochs = options.epochs ?? program.loop.epochs;
  const data = prepareData(program.data, seed);
  const trainer = new CpuTrainer(program, seed);
  const batchSize = program.loop.batch === "full" ? data.train.count : program.loop.batch;
  const lr0 = program.optimizer.lr;
  let step = 0;
  let firstLoss: number | undefined;
  let last: EpochReport | undefined;
  const stopping = program.loop.earlyStopping;
  let best: { value: number; epoch: number; params: Map<number, Float32Array>; state: Map<number, Float32Array> } | undefined;
  const stepsPerEpoch = Math.ceil(data.train.count / batchSize);
  for (let epoch = 0; epoch < epochs; epoch++) {
    const lrAt = (s: number) => learningRate(program.schedule.spec, lr0, program.schedule.per === "step" ? s : epoch);
    let lossSum = 0;
    let correct = 0;
    let seen = 0;
    for (const indices of epochBatches(data.train.count, batchSize, { shuffle: program.loop.shuffle, dropLast: program.loop.dropLast, seed, epoch })) {
      const batch = gather(data.train, indices);
      const lr = lrAt(step);
      const result = trainer.step(batch, step, lr);
      if (!Number.isFinite(result.loss)) {
        throw new TrainingAborted(`the training loss became ${result.loss} at step ${step + 1} (epoch ${epoch + 1})`, `the learning rate (${lr}) is probably too high: try dividing it by 10`, epoch + 1);
      }
      firstLoss ??= result.loss;
      lossSum += result.loss * batch.count;
      correct += result.correct;
      seen += batch.count;
      step++;
      options.onStep?.(step, stepsPerEpoch * epochs);
    }
    const trainLoss = lossSum / seen;
    if (epoch > 0 && firstLoss !== undefined && firstLoss > 0 && trainLoss > 3 * firstLoss) {
      throw new TrainingAborted(`the training loss (${trainLoss.toPrecision(4)}) exceeds 3× its initial value (${firstLoss.toPrecision(4)}) after epoch ${epoch + 1}`, `training is diverging; the learning rate (${lrAt(Math.max(0, step - 1))}) is probably too high: try dividing it by 10`, epoch + 1);
    }
    const val = data.val ? trainer.evaluate(data.val) : undefined;
    last = {
      epoch: epoch + 1,
      train_loss: trainLoss,
      train_accuracy: program.task === "classification" ? correct / seen : undefined,
      val_loss: val?.loss,
      val_accuracy: val?.accuracy,
      lr: lrAt(Math.max(0, step - 1)),
    };
    options.onEpoch?.(last);
    if (stopping) {
      const value = last[stopping.monitor];
      if (value === undefined) continue;
      const better = !best || (stopping.mode === "min" ? value < best.value - stopping.minDelta : value > best.value + stopping.minDelta);
      if (better) {
        const copy = (m: Map<number, Tensor>) => new Map([...m].map(([k, t]) => [k, Float32Array.from(t.data)]));
        best = { value, epoch: epoch, params: copy(trainer.params), state: copy(trainer.state) };
      } else if (epoch - best!.epoch >= stopping.patience) break;
    }
  }
  if (stopping?.restoreBest && best) {
    for (const [k, data] of best.params) trainer.params.get(k)!.data.set(data);
    for (const [k, data] of best.state) trainer.state.get(k)!.data.set(data);
    if (data.val) {
      const restored = trainer.evaluate(data.val);
      last = { ...last!, val_loss: restored.loss, val_accuracy: restored.accuracy };
    }
  }
  return {
    backend: "cpu",
    adapter: "CPU reference (TypeScript)",
    steps: step,
    train_loss: last?.train_loss ?? NaN,
    val_loss: last?.val_loss,
    val_accuracy: last?.val_accuracy,
    seconds: (performance.now() - started) / 1000,
  };
}
