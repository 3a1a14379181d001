// The CPU reference backend for the shared training loop: a Program's training step (forward, backward,
// optimizer update, BatchNorm statistics) and evaluation in plain TypeScript. Slow and exact: the oracle
// for the WebGPU backend.
import { concatFlat } from "../flat.js";
import { initialize } from "../init.js";
import type { Program } from "../program.js";
import { gather } from "../data/pipeline.js";
import { runTraining, type DoneReport, type Measurements, type StepReading, type TrainingBackend, type TrainOptions } from "../loop.js";
import { binaryThreshold, classify, probeReport } from "../metrics.js";
import type { Dataset } from "../data/sources.js";
import type { StepHyperparameters } from "../schedules.js";
import { execute } from "./interpreter.js";
import { clipGradients, renormRows } from "./constraints.js";
import { createState, optimizerStep, type OptimizerSpec, type OptimizerState } from "./optimizers.js";
import type { Tensor } from "./tensor.js";
import { assertGroupsTrainable, groupHyper, groupSpecs, paramGroupIndices } from "../param-groups.js";
import type { BackendState } from "../checkpoint/state.js";
import { optimizerStateNames } from "../webgpu/state.js";

export { TrainingAborted, type DoneReport, type EpochReport, type TrainOptions } from "../loop.js";

function leaf(data: Float32Array, shape: number[]): Tensor {
  return { shape, data };
}

export class CpuTrainer {
  readonly params = new Map<number, Tensor>();
  readonly state = new Map<number, Tensor>();
  readonly optimizerStates = new Map<number, OptimizerState>();
  /** The options of each parameter group (0: the optimizer's own) and each parameter's group. */
  readonly groupSpecs: OptimizerSpec[];
  readonly groupOf: number[];

  constructor(
    readonly program: Program,
    readonly seed: number,
  ) {
    assertGroupsTrainable(program);
    this.groupSpecs = groupSpecs(program.optimizer);
    this.groupOf = paramGroupIndices(program.optimizer, program.params);
    program.params.forEach((p, index) => {
      const data = new Float32Array(p.shape.reduce((a, d) => a * d, 1));
      initialize(data, p.init, p.fanIn, p.fanOut, seed, index);
      this.params.set(p.node, leaf(data, p.shape));
      this.optimizerStates.set(p.node, createState(this.groupSpecs[this.groupOf[index]!]!, data.length, data));
    });
    for (const s of program.state) this.state.set(s.node, leaf(new Float32Array(s.shape.reduce((a, d) => a * d, 1)).fill(s.fill), s.shape));
  }

  private leaves(batch: Dataset): Map<number, Tensor> {
    const values = new Map<number, Tensor>([...this.params, ...this.state]);
    values.set(this.program.input, leaf(batch.x, [batch.count, ...(batch.shape ?? [batch.features])]));
    const labelShape = this.program.task === "classification" ? [batch.count] : [batch.count, batch.targets];
    values.set(this.program.labels, leaf(batch.y, labelShape));
    return values;
  }

  /**
   * One training step on a batch: the loss, the correct and top-5 predictions, and with `probe` the sums
   * the update/weight ratios and the gradient norm are made of (Σ(Δθ)², Σθ², Σg² per parameter, in float64).
   */
  step(batch: Dataset, step: number, hyper: StepHyperparameters, probe = false): { loss: number; correct: number; top5: number; sums?: Float64Array } {
    const p = this.program;
    const values = execute(p.nodes, this.leaves(batch), [p.loss, p.output, ...p.paramGrads, ...p.sideEffects], { seed: this.seed, step, training: true, batch: batch.count });
    const loss = values.get(p.loss)!.data[0]!;
    const sums = probe ? new Float64Array(3 * p.params.length) : undefined;
    const grads = p.paramGrads.map((g) => values.get(g)!.data);
    const before = sums ? p.params.map((param) => Float64Array.from(this.params.get(param.node)!.data)) : undefined;
    // PyTorch's order: backward, clip_grad_*_, optimizer.step() (which adds weight decay), then constraints.
    const used = clipGradients(p.clip, grads);
    p.params.forEach((param, k) => {
      // Each parameter steps with its group's options (PyTorch's param_groups) at its group's rate.
      const spec = this.groupSpecs[this.groupOf[k]!]!;
      const rate = groupHyper(this.groupSpecs[0]!, spec, hyper);
      optimizerStep(spec, this.params.get(param.node)!.data, used[k]!, this.optimizerStates.get(param.node)!, rate.lr, rate.momentum);
    });
    if (p.maxNorm) for (const node of p.maxNorm.params) renormRows(this.params.get(node)!.data, this.params.get(node)!.shape[0] ?? 1, p.maxNorm.value);
    if (sums && before) {
      p.params.forEach((param, k) => {
        const data = this.params.get(param.node)!.data;
        const grad = grads[k]!;
        for (let i = 0; i < data.length; i++) {
          sums[3 * k] = sums[3 * k]! + (data[i]! - before[k]![i]!) ** 2;
          sums[3 * k + 1] = sums[3 * k + 1]! + before[k]![i]! ** 2;
          sums[3 * k + 2] = sums[3 * k + 2]! + grad[i]! ** 2;
        }
      });
    }
    return { loss, ...this.classified(values.get(p.output)!, batch), sums };
  }

  /**
   * For L-BFGS (runtime/lbfgs-step.ts): `flat` (every parameter in program order) becomes the parameters,
   * then forward and backward on the batch in training mode; the loss, the flat gradient and the predictions.
   */
  lossAndGradient(flat: Float32Array, batch: Dataset, step: number): { loss: number; grad: Float32Array; correct: number; top5: number } {
    const p = this.program;
    this.writeFlat(flat);
    const values = execute(p.nodes, this.leaves(batch), [p.loss, p.output, ...p.paramGrads, ...p.sideEffects], { seed: this.seed, step, training: true, batch: batch.count });
    const grad = new Float32Array(flat.length);
    let offset = 0;
    for (const g of p.paramGrads) {
      const data = values.get(g)!.data;
      grad.set(data, offset);
      offset += data.length;
    }
    return { loss: values.get(p.loss)!.data[0]!, grad, ...this.classified(values.get(p.output)!, batch) };
  }

  /** Every parameter in program order, as one vector. */
  readFlat(): Float32Array {
    return concatFlat(this.program.params.map((param) => this.params.get(param.node)!.data));
  }

  writeFlat(flat: Float32Array): void {
    let offset = 0;
    for (const param of this.program.params) {
      const data = this.params.get(param.node)!.data;
      data.set(flat.subarray(offset, offset + data.length));
      offset += data.length;
    }
  }

  /** Correct and top-5 predictions of a batch (runtime/metrics.ts). */
  private classified(output: Tensor, batch: Dataset): { correct: number; top5: number } {
    if (this.program.task !== "classification") return { correct: 0, top5: 0 };
    const classes = output.shape[1]!;
    const threshold = binaryThreshold(this.program.nodes);
    let correct = 0;
    let top5 = 0;
    for (let i = 0; i < batch.count; i++) {
      const result = classify(output.data, i * classes, classes, batch.y[i]!, threshold);
      if (result.correct) correct++;
      if (result.topK) top5++;
    }
    return { correct, top5 };
  }

  /** The model's outputs in evaluation mode for every example of `data`, in order, one after another. */
  predict(data: Dataset, batchSize = 512): Float32Array {
    const p = this.program;
    const parts: Float32Array[] = [];
    for (let start = 0; start < data.count; start += batchSize) {
      const indices = Uint32Array.from({ length: Math.min(batchSize, data.count - start) }, (_, i) => start + i);
      const batch = gather(data, indices);
      parts.push(Float32Array.from(execute(p.nodes, this.leaves(batch), [p.output], { seed: this.seed, step: 0, training: false, batch: batch.count }).get(p.output)!.data));
    }
    return concatFlat(parts);
  }

  /** Loss, accuracy and top-5 accuracy in evaluation mode (dropout off, BatchNorm running statistics). */
  evaluate(data: Dataset, batchSize = 512): Measurements {
    const p = this.program;
    let lossSum = 0;
    let correct = 0;
    let top5 = 0;
    for (let start = 0; start < data.count; start += batchSize) {
      const indices = Uint32Array.from({ length: Math.min(batchSize, data.count - start) }, (_, i) => start + i);
      const batch = gather(data, indices);
      const values = execute(p.nodes, this.leaves(batch), [p.loss, p.output], { seed: this.seed, step: 0, training: false, batch: batch.count });
      const loss = values.get(p.loss)!.data[0]!;
      // Mean-reduced losses are averaged per example across batches.
      lossSum += loss * batch.count;
      const counts = this.classified(values.get(p.output)!, batch);
      correct += counts.correct;
      top5 += counts.top5;
    }
    if (p.task !== "classification") return { loss: lossSum / data.count };
    return { loss: lossSum / data.count, accuracy: correct / data.count, top5: top5 / data.count };
  }
}

/** The CPU reference backend for the shared training loop. */
export class CpuBackend implements TrainingBackend {
  readonly name = "cpu";
  readonly adapter = "CPU reference (TypeScript)";
  private sums = { lossSum: 0, correct: 0, top5: 0 };

  constructor(private readonly trainer: CpuTrainer) {}

  step(batch: Dataset, step: number, hyper: StepHyperparameters, read?: { probe: boolean }): Promise<StepReading> | undefined {
    const result = this.trainer.step(batch, step, hyper, read?.probe ?? false);
    this.sums.lossSum += result.loss * batch.count;
    this.sums.correct += result.correct;
    this.sums.top5 += result.top5;
    if (!read) return undefined;
    const names = this.trainer.program.params.map((p) => p.name);
    return Promise.resolve({ loss: result.loss, lossSum: this.sums.lossSum, probe: result.sums ? probeReport(names, result.sums) : undefined });
  }

  async readParams(): Promise<Float32Array> {
    return this.trainer.readFlat();
  }

  writeParams(flat: Float32Array): void {
    this.trainer.writeFlat(flat);
  }

  async lossAndGradient(flat: Float32Array, batch: Dataset, step: number, count: boolean): Promise<{ loss: number; grad: Float32Array; lossSum?: number }> {
    const result = this.trainer.lossAndGradient(flat, batch, step);
    if (!count) return result;
    this.sums.lossSum += result.loss * batch.count;
    this.sums.correct += result.correct;
    this.sums.top5 += result.top5;
    return { ...result, lossSum: this.sums.lossSum };
  }

  async takeEpochSums(): Promise<{ lossSum: number; correct: number; top5: number }> {
    const sums = this.sums;
    this.sums = { lossSum: 0, correct: 0, top5: 0 };
    return sums;
  }

  async evaluate(data: Dataset): Promise<Measurements> {
    return this.trainer.evaluate(data);
  }

  async predict(data: Dataset): Promise<Float32Array> {
    return this.trainer.predict(data);
  }

  async saveWeights(): Promise<unknown> {
    const copy = (m: Map<number, Tensor>) => new Map([...m].map(([k, t]) => [k, Float32Array.from(t.data)]));
    return { params: copy(this.trainer.params), state: copy(this.trainer.state) };
  }

  /** Takes what saveWeights returns, or one node-keyed map of parameters and running statistics (a checkpoint's). */
  restoreWeights(saved: unknown): void {
    if (saved instanceof Map) {
      for (const [k, data] of saved as Map<number, Float32Array>) (this.trainer.params.get(k) ?? this.trainer.state.get(k)!).data.set(data);
      return;
    }
    const { params, state } = saved as { params: Map<number, Float32Array>; state: Map<number, Float32Array> };
    for (const [k, data] of params) this.trainer.params.get(k)!.data.set(data);
    for (const [k, data] of state) this.trainer.state.get(k)!.data.set(data);
  }

  async saveState(): Promise<BackendState> {
    const { program, params, state, optimizerStates, groupSpecs, groupOf } = this.trainer;
    const names = optimizerStateNames(program.optimizer);
    const saved: BackendState = { params: new Map(), moments: new Map(), running: new Map(), scalars: [], sums: [this.sums.lossSum, this.sums.correct, this.sums.top5] };
    program.params.forEach((p, k) => {
      saved.params.set(p.name, Float32Array.from(params.get(p.node)!.data));
      const opt = optimizerStates.get(p.node)!;
      for (const name of names) saved.moments.set(`${name}.${p.name}`, Float32Array.from(opt.buffers[name]!));
      // Every parameter of a group carries its group's scalar state (they step together).
      // The ScalarState part of the CPU's state: everything but the buffers and its own copy of NAdam's product.
      const { buffers: _buffers, muProduct: _product, ...scalars } = opt;
      saved.scalars[groupOf[k]!] ??= { ...scalars };
    });
    // A group that selects no parameter has no state here; the step count is shared by all groups.
    const any = optimizerStates.values().next().value;
    for (let g = 0; g < groupSpecs.length; g++) saved.scalars[g] ??= { step: any?.step ?? 0, momentumStarted: false };
    for (const s of program.state) saved.running.set(s.name, Float32Array.from(state.get(s.node)!.data));
    return saved;
  }

  restoreState(saved: BackendState): void {
    const { program, params, state, optimizerStates, groupOf } = this.trainer;
    program.params.forEach((p, k) => {
      params.get(p.node)!.data.set(saved.params.get(p.name)!);
      const opt = optimizerStates.get(p.node)!;
      for (const [name, buffer] of Object.entries(opt.buffers)) {
        const moment = saved.moments.get(`${name}.${p.name}`);
        // Buffers the device does not keep (RMSprop's gradAvg when not centered) are never read: they stay zero.
        if (moment) buffer.set(moment);
      }
      const scalars = saved.scalars[groupOf[k]!]!;
      Object.assign(opt, scalars);
      opt.muProduct = scalars.nadamMuProduct ?? 1;
    });
    for (const s of program.state) state.get(s.node)!.data.set(saved.running.get(s.name)!);
    this.sums = { lossSum: saved.sums[0]!, correct: saved.sums[1]!, top5: saved.sums[2]! };
  }
}

export function cpuBackend(program: Program): CpuBackend {
  return new CpuBackend(new CpuTrainer(program, program.loop.seed));
}

export function trainCpu(program: Program, options: TrainOptions = {}): Promise<DoneReport> {
  return runTraining(program, cpuBackend(program), options);
}
