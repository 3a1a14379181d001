// The training loop shared by every backend: epochs of shuffled batches, the learning-rate schedule, a
// validation pass in evaluation mode each epoch, early stopping, and the babysitting aborts (NaN/Inf loss,
// loss above 3× its initial value). Backends only run steps and report sums.
import { performance } from "node:perf_hooks";
import { epochBatches, gather, prepareData } from "./data/pipeline.js";
import type { Dataset } from "./data/sources.js";
import type { Program } from "./program.js";
import { learningRate } from "./schedules.js";

export interface EpochReport {
  epoch: number;
  train_loss: number;
  train_accuracy?: number;
  val_loss?: number;
  val_accuracy?: number;
  lr: number;
}

export interface DoneReport {
  backend: "cpu" | "webgpu";
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

/** What a backend does; the loop decides when. */
export interface TrainingBackend {
  readonly name: "cpu" | "webgpu";
  readonly adapter: string;
  /** Runs one training step (forward, backward, update). May return the loss when it is already on the host. */
  step(batch: Dataset, step: number, lr: number): number | undefined;
  /** Sum of loss·batch and of correct predictions since the last call (one readback per epoch). */
  takeEpochSums(): Promise<{ lossSum: number; correct: number }>;
  evaluate(data: Dataset): Promise<{ loss: number; accuracy?: number }>;
  saveWeights(): Promise<unknown>;
  restoreWeights(saved: unknown): void;
}

export async function runTraining(program: Program, backend: TrainingBackend, seed: number, options: TrainOptions = {}): Promise<DoneReport> {
  const started = performance.now();
  const epochs = options.epochs ?? program.loop.epochs;
  const data = prepareData(program.data, seed);
  const batchSize = program.loop.batch === "full" ? data.train.count : program.loop.batch;
  const lr0 = program.optimizer.lr;
  const stopping = program.loop.earlyStopping;
  const classification = program.task === "classification";
  let step = 0;
  let firstLoss: number | undefined;
  let last: EpochReport | undefined;
  let best: { value: number; epoch: number; weights: unknown } | undefined;
  const stepsPerEpoch = Math.ceil(data.train.count / batchSize);
  for (let epoch = 0; epoch < epochs; epoch++) {
    const lrAt = (s: number) => learningRate(program.schedule.spec, lr0, program.schedule.per === "step" ? s : epoch);
    let seen = 0;
    for (const indices of epochBatches(data.train.count, batchSize, { shuffle: program.loop.shuffle, dropLast: program.loop.dropLast, seed, epoch })) {
      const batch = gather(data.train, indices);
      const lr = lrAt(step);
      const loss = backend.step(batch, step, lr);
      if (loss !== undefined && !Number.isFinite(loss)) {
        throw new TrainingAborted(`the training loss became ${loss} at step ${step + 1} (epoch ${epoch + 1})`, `the learning rate (${lr}) is probably too high: try dividing it by 10`, epoch + 1);
      }
      if (firstLoss === undefined && loss !== undefined) firstLoss = loss;
      seen += batch.count;
      step++;
      options.onStep?.(step, stepsPerEpoch * epochs);
    }
    const sums = await backend.takeEpochSums();
    const trainLoss = sums.lossSum / seen;
    if (!Number.isFinite(trainLoss)) {
      throw new TrainingAborted(`the training loss became ${trainLoss} in epoch ${epoch + 1}`, `the learning rate (${lrAt(step - 1)}) is probably too high: try dividing it by 10`, epoch + 1);
    }
    firstLoss ??= trainLoss;
    if (epoch > 0 && firstLoss > 0 && trainLoss > 3 * firstLoss) {
      throw new TrainingAborted(
        `the training loss (${trainLoss.toPrecision(4)}) exceeds 3× its initial value (${firstLoss.toPrecision(4)}) after epoch ${epoch + 1}`,
        `training is diverging; the learning rate (${lrAt(Math.max(0, step - 1))}) is probably too high: try dividing it by 10`,
        epoch + 1,
      );
    }
    const val = data.val ? await backend.evaluate(data.val) : undefined;
    last = {
      epoch: epoch + 1,
      train_loss: trainLoss,
      train_accuracy: classification ? sums.correct / seen : undefined,
      val_loss: val?.loss,
      val_accuracy: val?.accuracy,
      lr: lrAt(Math.max(0, step - 1)),
    };
    options.onEpoch?.(last);
    if (stopping) {
      const value = last[stopping.monitor];
      if (value === undefined) continue;
      const better = !best || (stopping.mode === "min" ? value < best.value - stopping.minDelta : value > best.value + stopping.minDelta);
      if (better) best = { value, epoch, weights: await backend.saveWeights() };
      else if (epoch - best!.epoch >= stopping.patience) break;
    }
  }
  if (stopping?.restoreBest && best) {
    backend.restoreWeights(best.weights);
    if (data.val) {
      const restored = await backend.evaluate(data.val);
      last = { ...last!, val_loss: restored.loss, val_accuracy: restored.accuracy };
    }
  }
  return {
    backend: backend.name,
    adapter: backend.adapter,
    steps: step,
    train_loss: last?.train_loss ?? NaN,
    val_loss: last?.val_loss,
    val_accuracy: last?.val_accuracy,
    seconds: (performance.now() - started) / 1000,
  };
}
