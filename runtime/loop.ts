// The training loop shared by every backend: epochs of shuffled batches (or a `steps` budget that may end
// mid-epoch), the learning-rate schedule, evaluation on the validation split at `eval_every`, the training
// loss read back at `log_every` (asynchronously: the loop waits only for a reading one interval old, which
// the device has long finished), the monitored metrics, early stopping, the babysitting aborts (NaN/Inf,
// or a loss above 3× the first logged one, which write the last good weights) and the test split at the
// end. Backends only run steps and report sums; every decision is made here, so the CPU and WebGPU
// backends behave identically.
import { performance } from "node:perf_hooks";
import { epochBatches, prepareData, trainingBatch } from "./data/pipeline.js";
import type { Dataset } from "./data/sources.js";
import { monitorsProbe } from "./metrics.js";
import type { Metric, Program } from "./program.js";
import { PlateauSchedule, type StepHyperparameters } from "./schedules.js";
import { stepHyperparameters } from "./schedule-trace.js";
import { Checkpointer, resumeFrom } from "./checkpoint/session.js";
import { lastGoodFile, LastGoodWeights } from "./checkpoint/last-good.js";
import { HistoryRecorder, restoreHistory, savedHistory, type RunHistory } from "./report/history.js";
import type { BackendState, LoopState } from "./checkpoint/state.js";
import { initialLossWarning, ratioWarnings, withPenalties, type TrainingWarning } from "./babysitting.js";
import { LbfgsSteps, type ClosureEvaluation } from "./lbfgs-step.js";
import { dataHelp, extremes, firstNonFinite, HUGE_INPUT, likelyCause, type AbortCode, type DataExtremes } from "./divergence.js";

/** Loss, accuracy and top-5 accuracy of one pass over a split (accuracies for classification only). */
export interface Measurements {
  loss: number;
  accuracy?: number;
  top5?: number;
}

/** The parameter health the notes teach to watch: ‖Δθ‖/‖θ‖ per parameter tensor and the global gradient norm. */
export interface Probe {
  update_ratio: Record<string, number>;
  grad_norm: number;
}

export interface EpochReport {
  epoch: number;
  /** Optimizer steps taken so far. */
  step: number;
  train_loss: number;
  train_accuracy?: number;
  train_top5?: number;
  val_loss?: number;
  val_accuracy?: number;
  val_top5?: number;
  lr: number;
  /** The latest probe, when `monitor` asks for update ratios or the gradient norm. */
  update_ratio?: Record<string, number>;
  grad_norm?: number;
}

/** A logged step: its batch's loss, read back at `log_every`, and the probe when monitored. */
export interface LogReport {
  step: number;
  epoch: number;
  loss: number;
  lr: number;
  update_ratio?: Record<string, number>;
  grad_norm?: number;
}

/** An evaluation on the validation split (at `eval_every`). */
export interface EvalReport {
  step: number;
  epoch: number;
  val_loss: number;
  val_accuracy?: number;
  val_top5?: number;
}

export interface DoneReport {
  backend: "cpu" | "webgpu";
  adapter: string;
  steps: number;
  epochs: number;
  train_loss: number;
  val_loss?: number;
  val_accuracy?: number;
  /** The test split, evaluated once at the end with the final (or restored best) weights. */
  test_loss?: number;
  test_accuracy?: number;
  test_top5?: number;
  /** Early stopping ended the run; the epoch whose weights were kept when they were restored. */
  stopped_early?: { epoch: number; restored_epoch?: number };
  /** `overfit` mode: the training subset evaluated at the end (evaluation mode), and whether it was fitted. */
  overfit?: OverfitResult;
  /** `interrupted` stopped the run at this step; the checkpoint written there, when the program has the directive. */
  interrupted?: { step: number; checkpoint?: string };
  /** The checkpoint the run continued from (`resume`). */
  resumed_from?: string;
  seconds: number;
}

export interface OverfitResult {
  examples: number;
  train_loss: number;
  train_accuracy?: number;
  /** ≥ 99% training accuracy for classification; for regression, a final loss below 1% of the first. */
  fitted: boolean;
}

export class TrainingAborted extends Error {
  constructor(
    message: string,
    readonly help: string,
    readonly epoch: number,
    /** E0701 for a loss that ran away, E0704/E0705 for data that cannot be trained on (found before any step). */
    readonly code: AbortCode = "E0701",
    /** The step (1-based) at which the problem was seen; 0 before the first step. */
    readonly step?: number,
  ) {
    super(message);
  }
}

export interface TrainOptions {
  /** Stop after this many epochs (the schedule still follows the compiled run's length). */
  stopAfterEpochs?: number;
  onEpoch?: (report: EpochReport) => void;
  onLog?: (report: LogReport) => void;
  onEvaluate?: (report: EvalReport) => void;
  onStep?: (step: number, totalSteps: number) => void;
  /** A finding about the run that does not stop it (the initial-loss check). */
  onWarning?: (warning: TrainingWarning) => void;
  /** A checkpoint directory, or a folder of them (the newest is taken), to continue from (`--resume`). */
  resume?: string;
  /** Asked after every step: true stops the run there (Ctrl-C), writing a checkpoint when the program has the directive. */
  interrupted?: () => boolean;
  onCheckpoint?: (dir: string, step: number) => void;
  /** The .dl file trained: an abort (E0701) writes the last good weights beside it (runtime/checkpoint/last-good.ts). */
  sourceFile?: string;
  /**
   * The history the callbacks record (runtime/report/history.ts): checkpoints carry it and a resumed run
   * restores it, so that a report covers the whole run.
   */
  history?: RunHistory;
  /** A snapshot ensemble's cycle ends: after each of these steps the weights (saveWeights) are handed to `take`. */
  snapshots?: { at: ReadonlySet<number>; take: (step: number, weights: unknown) => void };
}

export type { TrainingWarning } from "./babysitting.js";


/** What a backend reads back for a logged step. */
export interface StepReading {
  loss: number;
  probe?: Probe;
  /**
   * Σ loss·batch over the epoch so far, this step included, as the backend accumulates it for the epoch's
   * mean: read with the logged loss, it reveals a non-finite or runaway loss at any step since the last
   * reading, not only at the logged one.
   */
  lossSum?: number;
}

/** What a backend does; the loop decides when. */
export interface TrainingBackend {
  readonly name: "cpu" | "webgpu";
  readonly adapter: string;
  /** True when the backend augments training batches itself (on the device): the loop then hands them over raw. */
  readonly augmentsOnDevice?: boolean;
  /**
   * Runs one training step (forward, backward, update) with the schedule's learning rate and, when it cycles
   * it, momentum (β₁ for the Adam family). When `read` is set it also reads back this step's loss (and with
   * `probe` the update/weight ratios and gradient norm), resolved once the device has finished the step.
   */
  step(batch: Dataset, step: number, hyper: StepHyperparameters, read?: { probe: boolean }): Promise<StepReading> | undefined;
  /** Sums since the last call: loss·batch, correct predictions and top-5 hits (one readback per epoch). */
  takeEpochSums(): Promise<{ lossSum: number; correct: number; top5: number }>;
  evaluate(data: Dataset): Promise<Measurements>;
  /** The model's outputs in evaluation mode for every example of `data`, in order ([count, …output shape] flattened). */
  predict(data: Dataset): Promise<Float32Array>;
  saveWeights(): Promise<unknown>;
  restoreWeights(saved: unknown): void;
  /** Everything a checkpoint needs of the backend (runtime/checkpoint/state.ts), and its restoration. */
  saveState?(): Promise<BackendState>;
  restoreState?(state: BackendState): void;
  /**
   * Copies the parameters and running statistics, as they will stand once the steps submitted so far have
   * run, into `slot` (0 or 1) without waiting (on the device); keptWeights reads a slot back by name.
   * Without them the loop keeps saveWeights' copies (runtime/checkpoint/last-good.ts).
   */
  keepWeights?(slot: number): void;
  keptWeights?(slot: number): Promise<Map<string, Float32Array>>;
  /** For L-BFGS, which steps on the host (runtime/lbfgs-step.ts): parameters in and out, loss and gradient at them. */
  readParams?: ClosureEvaluation["readParams"];
  writeParams?: ClosureEvaluation["writeParams"];
  lossAndGradient?: ClosureEvaluation["lossAndGradient"];
}

const EVALUATION_METRICS = new Set<Metric>(["val_loss", "val_accuracy", "val_top5"]);

export async function runTraining(program: Program, backend: TrainingBackend, options: TrainOptions = {}): Promise<DoneReport> {
  // Checkpoints carry the run's history even when no report is asked for, so that a resumed run with one covers the whole run.
  if (!options.history && (program.loop.checkpoint || options.resume !== undefined)) options = new HistoryRecorder(program).wrap(options);
  const lastGood = new LastGoodWeights(program, backend);
  try {
    return await trainingLoop(program, backend, options, lastGood);
  } catch (error) {
    if (!(error instanceof TrainingAborted) || error.code !== "E0701") throw error;
    const kept = await lastGood.write(lastGoodFile(program, options.sourceFile));
    throw new TrainingAborted(error.message, `${error.help}; ${kept}`, error.epoch, error.code, error.step);
  }
}

async function trainingLoop(program: Program, backend: TrainingBackend, options: TrainOptions, lastGood: LastGoodWeights): Promise<DoneReport> {
  const started = performance.now();
  const { loop } = program;
  const data = prepareData(program.data, loop.dataSeed ?? loop.seed);
  const inputs = checkTrainable(data);
  const batchSize = loop.batch === "full" ? data.train.count : loop.batch;
  const lr0 = program.optimizer.lr;
  const stopping = loop.earlyStopping;
  const classification = program.task === "classification";
  const probing = monitorsProbe(loop.monitor);
  const epochs = Math.min(loop.epochs, options.stopAfterEpochs ?? Infinity);
  const totalSteps = Math.min(loop.steps, epochs * Math.max(1, Math.ceil(data.train.count / batchSize)));
  const plateauSpec = program.schedule.plateau;
  const plateau = plateauSpec && new PlateauSchedule(lr0, plateauSpec);
  const hyperAt = (step: number, epoch: number): StepHyperparameters => (plateau ? { lr: plateau.lr } : stepHyperparameters(program, step, epoch));
  /** Reduce-on-plateau takes one measurement of its metric per evaluation of it (the caller's split). */
  const observePlateau = (m: Measurements, split: "train" | "val") => {
    if (!plateau || !plateauSpec || EVALUATION_METRICS.has(plateauSpec.monitor) !== (split === "val")) return;
    const value = measured(m, plateauSpec.monitor);
    if (value !== undefined) plateau.observe(value);
  };
  /** `seen`: examples of the epoch through this step; `silent`: read only to be checked (before a checkpoint), not logged. */
  const pending: Pending[] = [];
  /** The latest checked reading of the epoch (its 1-based step, running sum and examples), or the epoch's start. */
  let checked: { epoch: number; step: number; sum: number; seen: number } | undefined;
  /** The newest checkpoint written, named when the run aborts. */
  let lastCheckpoint: { dir: string; step: number } | undefined;
  let firstLoss: number | undefined;
  let probe: Probe | undefined;
  const flaggedRatios = new Set<string>();
  let probeStep = 0;
  let peakLr = 0;
  // Ratios of the first steps are transients (Adam's first steps move every weight by about lr): they are
  // judged only once 5% of the run (at least 10 steps) has passed.
  const settled = Math.max(10, Math.ceil(0.05 * totalSteps));
  const weightNames = new Set(program.params.filter((p) => p.role === "weight").map((p) => p.name));
  const weightRatios = (ratios: Record<string, number>) => Object.fromEntries(Object.entries(ratios).filter(([name]) => weightNames.has(name)));
  let last: EpochReport | undefined;
  let best: { value: number; epoch: number; weights: unknown } | undefined;
  let checksSinceBest = 0;
  let stoppedEarly = false;
  let step = 0;
  let epoch = 0;
  const checkpointer = loop.checkpoint && new Checkpointer(program, backend, loop.checkpoint);
  // L-BFGS steps on the host, one optimizer.step(closure) per training step, each awaited before the next.
  const lbfgs = program.optimizer.kind === "lbfgs" ? new LbfgsSteps(program, backend) : undefined;
  const resumed = options.resume === undefined ? undefined : resumeFrom(options.resume, program, backend, lbfgs?.state);
  /** Where the resumed epoch stands: batches done, examples seen, its latest validation. */
  let resumeAt: Pick<LoopState, "batch" | "seen" | "validation"> | undefined;
  if (resumed) {
    const r = resumed.loop;
    ({ epoch, step, firstLoss, last, probe, probeStep, checksSinceBest, stoppedEarly } = r);
    for (const key of r.flaggedRatios) flaggedRatios.add(key);
    if (r.best) best = { value: r.best.value, epoch: r.best.epoch, weights: resumed.best };
    if (plateau && r.plateau) plateau.restore(r.plateau);
    if (options.history && r.history) restoreHistory(options.history, r.history);
    resumeAt = { batch: r.batch, seen: r.seen, validation: r.validation };
    // The rate's peak so far is the schedule's (a plateau's never exceeds its start).
    const perEpoch = Math.max(1, Math.ceil(data.train.count / batchSize));
    for (let t = 0; t < step; t++) peakLr = Math.max(peakLr, plateau ? lr0 : hyperAt(t, Math.floor(t / perEpoch)).lr);
  }
  let interrupted: DoneReport["interrupted"];

  /** Handles logged readings; `upTo` keeps the newest interval pending so the device is never waited on. */
  const drain = async (upTo: number) => {
    while (pending.length > 0 && pending[0]!.step <= upTo) {
      const entry = pending.shift()!;
      const reading = await entry.reading;
      if (reading.probe) {
        probe = reading.probe;
        probeStep = entry.step + 1;
      }
      checkLoss(reading, entry);
      if (!entry.silent) lastGood.confirm(entry.step + 1);
      if (!entry.silent) options.onLog?.({ step: entry.step + 1, epoch: entry.epoch + 1, loss: reading.loss, lr: entry.lr, ...(reading.probe ?? {}) });
    }
  };
  /** What the abort says was kept: the newest checkpoint, when the program writes them. */
  const kept = (): string => {
    if (!loop.checkpoint) return "";
    if (!lastCheckpoint) return "; no checkpoint had been written yet, so no weights were kept";
    return `; the newest checkpoint, \`${lastCheckpoint.dir}\` (step ${lastCheckpoint.step}), was written when the loss was last read finite: continue from it with \`--resume\` once the cause is fixed`;
  };
  const abort = (message: string, stepNo: number, epochNo: number, lr: number, nonFinite: boolean): never => {
    const cause = likelyCause(program, inputs, stepNo, lr, nonFinite);
    throw new TrainingAborted(message, `${nonFinite ? "" : "training is diverging; "}${cause}${kept()}`, epochNo, "E0701", stepNo);
  };
  /**
   * The mean loss of the steps since the last check, from the running sums: a non-finite one or one above 3×
   * the initial loss aborts, naming the steps; `to` is the interval's last step (1-based).
   */
  const checkInterval = (sum: number, seen: number, at: { epoch: number; lr: number }, to: number) => {
    const from = checked?.epoch === at.epoch ? checked : undefined;
    if (!from || seen <= from.seen) return;
    const steps = from.step + 1 === to ? `step ${to}` : `steps ${from.step + 1}–${to}`;
    if (!Number.isFinite(sum)) abort(`the training loss became non-finite in ${steps} (epoch ${at.epoch + 1}): their sum is ${sum}`, to, at.epoch + 1, at.lr, true);
    const mean = (sum - from.sum) / (seen - from.seen);
    if (firstLoss !== undefined && firstLoss > 0 && mean > 3 * firstLoss) {
      abort(`the mean training loss (${mean.toPrecision(4)}) of ${steps} (epoch ${at.epoch + 1}) exceeds 3× its initial value (${firstLoss.toPrecision(4)})`, to, at.epoch + 1, at.lr, false);
    }
  };
  // One definition of "initial loss" for both backends: the first logged loss (that of the first step).
  const checkLoss = (reading: StepReading, at: Pending) => {
    const loss = reading.loss;
    const stepNo = at.step + 1;
    const where = `at step ${stepNo} (epoch ${at.epoch + 1})`;
    if (!Number.isFinite(loss)) abort(`the training loss became ${loss} ${where}`, stepNo, at.epoch + 1, at.lr, true);
    if (firstLoss === undefined) {
      firstLoss = loss;
      const warning = program.initialLoss && initialLossWarning(loss, withPenalties(program, program.initialLoss), inputs.maxAbs >= HUGE_INPUT ? dataHelp(inputs) : undefined);
      if (warning) options.onWarning?.(warning);
    }
    // The interval first: a runaway step before the logged one is the earlier sign.
    if (reading.lossSum !== undefined) checkInterval(reading.lossSum, at.seen, at, stepNo);
    if (firstLoss > 0 && loss > 3 * firstLoss) {
      abort(`the training loss (${loss.toPrecision(4)}) ${where} exceeds 3× its initial value (${firstLoss.toPrecision(4)})`, stepNo, at.epoch + 1, at.lr, false);
    }
    if (reading.lossSum !== undefined) checked = { epoch: at.epoch, step: stepNo, sum: reading.lossSum, seen: at.seen };
  };
  /** Early stopping: one check per measurement of its metric; true when patience has run out. */
  const checkStopping = async (value: number | undefined, epoch: number): Promise<boolean> => {
    if (!stopping || value === undefined) return false;
    const better = !best || (stopping.mode === "min" ? value < best.value - stopping.minDelta : value > best.value + stopping.minDelta);
    if (better) {
      best = { value, epoch, weights: stopping.restoreBest ? await backend.saveWeights() : undefined };
      checksSinceBest = 0;
      return false;
    }
    return ++checksSinceBest >= stopping.patience;
  };
  /** Evaluates the validation split; `stop` when early stopping watches it and has run out of patience. */
  /** Writes a checkpoint of the loop as it stands after `step`, in epoch `at.epoch` after `at.batch` of its batches. */
  const writeCheckpoint = async (at: Pick<LoopState, "epoch" | "batch" | "seen" | "validation">): Promise<string> => {
    await drain(Infinity);
    const state: LoopState = {
      ...at,
      step,
      firstLoss,
      last,
      probe,
      probeStep,
      flaggedRatios: [...flaggedRatios],
      best: best && { value: best.value, epoch: best.epoch, weights: best.weights !== undefined },
      checksSinceBest,
      stoppedEarly,
      plateau: plateau?.snapshot(),
      history: options.history && savedHistory(options.history),
    };
    const dir = await checkpointer!.save(state, best?.weights, lbfgs?.state);
    lastCheckpoint = { dir, step };
    options.onCheckpoint?.(dir, step);
    return dir;
  };
  const evaluateValidation = async (epoch: number): Promise<{ validation?: Measurements; stop: boolean }> => {
    if (!data.val) return { stop: false };
    const validation = await backend.evaluate(data.val);
    observePlateau(validation, "val");
    options.onEvaluate?.({ step, epoch: epoch + 1, val_loss: validation.loss, val_accuracy: validation.accuracy, val_top5: validation.top5 });
    const stop = stopping !== undefined && EVALUATION_METRICS.has(stopping.monitor) && (await checkStopping(measured(validation, stopping.monitor), epoch));
    return { validation, stop };
  };

  for (; epoch < epochs && step < totalSteps && !stoppedEarly; epoch++) {
    let seen = resumeAt?.seen ?? 0;
    let validation: Measurements | undefined = resumeAt?.validation;
    const skip = resumeAt?.batch ?? 0;
    // A resumed epoch's running sum is restored with the backend, but not where it stood at the last check.
    checked = skip > 0 ? undefined : { epoch, step, sum: 0, seen: 0 };
    resumeAt = undefined;
    let batchIndex = 0;
    for (const indices of epochBatches(data.train.count, batchSize, { shuffle: loop.shuffle, dropLast: loop.dropLast, seed: loop.seed, epoch })) {
      if (step >= totalSteps) break;
      // A resumed epoch replays its order (keyed by seed and epoch) and skips the batches already trained.
      if (batchIndex < skip) {
        batchIndex++;
        continue;
      }
      // Gathered here for every backend, and augmented here unless the backend augments on the device with
      // the same draws: the CPU and WebGPU backends see identical batches.
      const batch = trainingBatch(data.train, indices, program.data, loop.seed, step, { augment: !backend.augmentsOnDevice });
      const hyper = hyperAt(step, epoch);
      peakLr = Math.max(peakLr, hyper.lr);
      const logged = step % loop.logEvery === 0;
      // A checkpoint's step is read too, so that no checkpoint is written after an unseen non-finite loss.
      const checkpointNext = loop.checkpoint?.every.unit === "steps" && (step + 1) % loop.checkpoint.every.count === 0;
      const read = logged || checkpointNext ? { probe: logged && probing } : undefined;
      const closureReading = lbfgs && (await lbfgs.step(batch, step, hyper, read));
      const reading = lbfgs ? closureReading && Promise.resolve(closureReading) : backend.step(batch, step, hyper, read);
      seen += batch.count;
      if (reading) {
        // An abort leaves readings unawaited; the device's teardown then rejects them, which must not crash the process.
        reading.catch(() => undefined);
        pending.push({ step, epoch, lr: hyper.lr, seen, silent: !logged, reading });
      }
      step++;
      batchIndex++;
      if (logged) await drain(step - 1 - loop.logEvery);
      // After the drain, which has promoted the previous copy: the other slot is free.
      if (logged) lastGood.take(step);
      options.onStep?.(step, totalSteps);
      if (options.snapshots?.at.has(step)) options.snapshots.take(step, await backend.saveWeights());
      if (loop.evalEvery.unit === "steps" && step % loop.evalEvery.count === 0) {
        const evaluated = await evaluateValidation(epoch);
        validation = evaluated.validation;
        if (evaluated.stop) {
          stoppedEarly = true;
          break;
        }
      }
      const due = loop.checkpoint?.every.unit === "steps" && step % loop.checkpoint.every.count === 0;
      const written = due ? await writeCheckpoint({ epoch, batch: batchIndex, seen, validation }) : undefined;
      // A signal handler (Ctrl-C) runs only when the event loop gets a turn, which the CPU backend's steps never give.
      if (options.interrupted) await new Promise((resolve) => setImmediate(resolve));
      if (options.interrupted?.()) {
        interrupted = { step, checkpoint: written ?? (checkpointer && (await writeCheckpoint({ epoch, batch: batchIndex, seen, validation }))) };
        break;
      }
    }
    if (interrupted) break;
    await drain(Infinity);
    const sums = await backend.takeEpochSums();
    const trainLoss = sums.lossSum / seen;
    const lr = hyperAt(step - 1, epoch).lr;
    // The steps after the epoch's last reading are judged here, so the last interval (and a one-epoch run) is checked too.
    checkInterval(sums.lossSum, seen, { epoch, lr }, step);
    if (!Number.isFinite(trainLoss)) abort(`the training loss became ${trainLoss} in epoch ${epoch + 1} (by step ${step})`, step, epoch + 1, lr, true);
    if (firstLoss !== undefined && firstLoss > 0 && trainLoss > 3 * firstLoss) {
      abort(`the training loss (${trainLoss.toPrecision(4)}) of epoch ${epoch + 1} exceeds 3× its initial value (${firstLoss.toPrecision(4)})`, step, epoch + 1, lr, false);
    }
    const finalEpoch = epoch === epochs - 1 || step >= totalSteps;
    const evaluateNow = !stoppedEarly && loop.evalEvery.unit === "epochs" && ((epoch + 1) % loop.evalEvery.count === 0 || finalEpoch);
    if (evaluateNow) {
      const evaluated = await evaluateValidation(epoch);
      validation = evaluated.validation;
      stoppedEarly = evaluated.stop;
    }
    last = {
      epoch: epoch + 1,
      step,
      train_loss: trainLoss,
      train_accuracy: classification ? sums.correct / seen : undefined,
      train_top5: classification ? sums.top5 / seen : undefined,
      val_loss: validation?.loss,
      val_accuracy: validation?.accuracy,
      val_top5: validation?.top5,
      lr,
      ...(probe ?? {}),
    };
    options.onEpoch?.(last);
    // The last logged step's ratios of the weights (not biases or norm parameters) stand for the epoch.
    // Small ratios are what an annealed rate is for: "too low" is judged only while the rate is at least
    // half its peak so far.
    if (probe && probeStep > settled) for (const warning of ratioWarnings(weightRatios(probe.update_ratio), step, lr, flaggedRatios, { judgeLow: lr >= peakLr / 2 })) options.onWarning?.(warning);
    observePlateau({ loss: trainLoss, accuracy: last.train_accuracy, top5: last.train_top5 }, "train");
    if (stopping && !EVALUATION_METRICS.has(stopping.monitor) && (await checkStopping(measured({ loss: trainLoss, accuracy: last.train_accuracy, top5: last.train_top5 }, stopping.monitor), epoch))) stoppedEarly = true;
    if (loop.checkpoint?.every.unit === "epochs" && (epoch + 1) % loop.checkpoint.every.count === 0) await writeCheckpoint({ epoch: epoch + 1, batch: 0, seen: 0 });
  }
  if (interrupted) {
    await drain(Infinity);
    return { backend: backend.name, adapter: backend.adapter, steps: step, epochs: epoch, train_loss: last?.train_loss ?? NaN, interrupted, ...(resumed && { resumed_from: resumed.dir }), seconds: (performance.now() - started) / 1000 };
  }
  const report: DoneReport = {
    backend: backend.name,
    adapter: backend.adapter,
    steps: step,
    epochs: epoch,
    train_loss: last?.train_loss ?? NaN,
    val_loss: last?.val_loss,
    val_accuracy: last?.val_accuracy,
    ...(resumed && { resumed_from: resumed.dir }),
    seconds: 0,
  };
  if (stoppedEarly) report.stopped_early = { epoch };
  if (stopping?.restoreBest && best) {
    backend.restoreWeights(best.weights);
    if (report.stopped_early) report.stopped_early.restored_epoch = best.epoch + 1;
    if (data.val) {
      const restored = await backend.evaluate(data.val);
      report.val_loss = restored.loss;
      report.val_accuracy = restored.accuracy;
    }
  }
  if (program.overfit) {
    const fit = await backend.evaluate(data.train);
    const fitted = fit.accuracy !== undefined ? fit.accuracy >= 0.99 : firstLoss !== undefined && fit.loss < 0.01 * firstLoss;
    report.overfit = { examples: data.train.count, train_loss: fit.loss, train_accuracy: fit.accuracy, fitted };
  }
  if (data.test) {
    const test = await backend.evaluate(data.test);
    report.test_loss = test.loss;
    report.test_accuracy = test.accuracy;
    report.test_top5 = test.top5;
  }
  report.seconds = (performance.now() - started) / 1000;
  return report;
}

/** The value of an evaluation metric (its split is the caller's): loss, accuracy or top-5. */
function measured(m: Measurements, metric: Metric): number | undefined {
  if (metric.endsWith("_loss")) return m.loss;
  if (metric.endsWith("_accuracy")) return m.accuracy;
  if (metric.endsWith("_top5")) return m.top5;
  return undefined;
}

interface Pending {
  step: number;
  epoch: number;
  lr: number;
  seen: number;
  silent: boolean;
  reading: Promise<StepReading>;
}

/**
 * The data looked at once before any step: non-finite values (E0704) and an empty training split (E0705)
 * abort at once, where they would otherwise surface as a NaN loss blamed on the learning rate.
 */
function checkTrainable(data: ReturnType<typeof prepareData>): DataExtremes {
  for (const [split, set] of [["training", data.train], ["validation", data.val], ["test", data.test]] as const) {
    const bad = set && firstNonFinite(split, set);
    if (bad) {
      throw new TrainingAborted(
        `the ${split} split holds ${bad.value} (example ${bad.example + 1}, ${bad.column}) after the data pipeline`,
        "a cell of the data file (`NaN`, `inf`, a number beyond f32 such as 1e39), a generator's settings, or a transform (`standardize` of a column with huge values) produced it: fix the data; `dslc check` names the cells of a CSV",
        0,
        "E0704",
        0,
      );
    }
  }
  if (data.train.count === 0) {
    throw new TrainingAborted("the training split is empty: there is nothing to train on", "the held-out shares of `split` leave no training example, or the data has none: lower `val`/`test`, or use more data", 0, "E0705", 0);
  }
  return extremes(data.train);
}
