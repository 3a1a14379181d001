// The WebGPU backend for the shared training loop. Buffers, pipelines and bind groups are created once; each
// step writes only the batch, the labels and the per-step globals (batch size, step, seed, and the step's
// optimizer scalars, computed on the host in float64), then encodes every dispatch of the step in one compute
// pass and submits it. Loss and accuracy accumulate on the device and are read back once per epoch; at
// `log_every` a step also copies its loss (and, when monitored, the probe of update/weight ratios and gradient
// norms) to a staging buffer whose mapping the loop awaits one logging interval later.
import { concatFlat } from "../flat.js";
import type { KernelPlan, ModePlan } from "../../codegen/wgsl/plan.js";
import type { Dispatch, KernelSource } from "../../codegen/wgsl/kernels.js";
import { workgroupCount } from "./dispatch.js";
import { flatKey, type FlatLayout } from "./layout.js";
import { bytes, memoryReport, planBuffers } from "./buffers.js";
import { BudgetExceeded, checkBudget } from "./budget.js";
import { GLOBALS_BYTES, GROUP_SCALARS, packGlobals, packGroupScalars } from "./globals.js";
import { GroupScalars } from "../param-groups.js";
import { optimizerStateFills, optimizerStateNames } from "./state.js";
import type { BackendState } from "../checkpoint/state.js";
import type { Dataset } from "../data/sources.js";
import { initialize } from "../init.js";
import type { Measurements, StepReading, TrainingBackend } from "../loop.js";
import { METRICS_FLOATS } from "../../codegen/wgsl/metrics.js";
import { probeReport } from "../metrics.js";
import type { Program } from "../program.js";
import { nextOptimizerScalars, NO_UPDATE, type OptimizerScalars, type ScalarState } from "../optimizer-scalars.js";
import type { StepHyperparameters } from "../schedules.js";
import type { GpuContext } from "./device.js";
import { AUGMENT_RAW } from "./augment-buffers.js";


interface Compiled {
  pipeline: GPUComputePipeline;
  bindGroup: GPUBindGroup;
  dispatch: Dispatch;
  /** The workgroup grid for the batch size last run, so that a step of the same size computes none. */
  grid?: { batch: number; xyz: [number, number, number] };
}

/** A buffer, or a 256-byte-aligned range of one (a parameter inside the flat parameter buffer). */
interface Region {
  buffer: GPUBuffer;
  offset: number;
  size: number;
}

export class WebGpuBackend implements TrainingBackend {
  readonly name = "webgpu";
  readonly adapter: string;
  private readonly device: GPUDevice;
  /** Every value's region in training and in evaluation (transient values share slots; runtime/webgpu/buffers.ts). */
  private readonly modeBuffers: Map<number | string, Region>[];
  private readonly owned: GPUBuffer[] = [];
  private readonly globals: GPUBuffer;
  /** The optimizer's step count and the like, from which each step's scalars are computed. */
  private readonly scalarState: ScalarState = { step: 0, momentumStarted: false };
  /** With parameter groups, each group's scalars, written to their own buffer every step. */
  private readonly groupScalars?: GroupScalars;
  /** The training step's kernels, the augmentation kernels (when the data has augmentations) first. */
  private readonly train: Compiled[];
  private readonly augment: Compiled[];
  /** Training batches are augmented by the first kernels of the step, so the loop hands them over raw. */
  readonly augmentsOnDevice: boolean;
  private readonly evaluation: Compiled[];
  /** Where the evaluation pass leaves the model's output (a buffer of evaluation mode, or what it aliases). */
  private readonly evalOutput: number;
  /** The probe kernels (one per parameter chunk), when `monitor` asks for update ratios or the gradient norm. */
  private readonly probe?: Compiled[];
  /** Parameter chunks, each a set of flat buffers of at most one storage binding. */
  private readonly chunks: number;
  /** Where each parameter lies in its chunk's flat buffers (the optimizer moments' places too). */
  private readonly layout: FlatLayout;
  private readonly maxBatch: number;
  /** Peak bytes of all device buffers, for the report. */
  readonly bufferBytes: number;
  readonly dispatchesPerStep: number;

  /** keepWeights' two slots: a copy of each parameter chunk and running statistic, allocated on first use. */
  private readonly shadows: GPUBuffer[][] = [];

  /** Mappable buffers for readbacks, by size, reused so that a logged step or an epoch's end allocates none. */
  private readonly stagingPool = new Map<number, GPUBuffer[]>();
  /** Where evaluate sets the epoch's training sums aside on the device while evaluation accumulates its own. */
  private readonly savedMetrics: GPUBuffer;
  private static readonly ZERO_METRICS = new Float32Array(METRICS_FLOATS);

  /** Validation errors Dawn reported; a bug in the generated code, so reads fail loudly when there are any. */
  private readonly errors: string[] = [];

  constructor(
    private readonly gpu: GpuContext,
    private readonly program: Program,
    plan: KernelPlan,
    private readonly seed: number,
    maxBatch: number,
    options: { planMemory?: boolean } = {},
  ) {
    this.device = gpu.device;
    this.adapter = gpu.adapterName;
    this.device.addEventListener("uncapturederror", (event) => this.errors.push((event as GPUUncapturedErrorEvent).error.message));
    const buffers = planBuffers(program, plan, maxBatch, { shareByLiveness: options.planMemory !== false });
    // Before anything is allocated: a buffer or binding beyond this device's limits would fail in Dawn.
    const problems = checkBudget(program, plan, buffers, this.device.limits);
    if (problems.length > 0) throw new BudgetExceeded(problems);
    this.maxBatch = buffers.maxBatch;
    const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC;
    const allocated = new Map<number | string, GPUBuffer>();
    for (const spec of buffers.buffers) {
      const buffer = this.device.createBuffer({ size: spec.bytes, usage, label: String(spec.key) });
      this.owned.push(buffer);
      allocated.set(spec.key, buffer);
    }
    this.modeBuffers = buffers.places.map((places) => new Map([...places].map(([key, p]) => [key, { buffer: allocated.get(p.buffer)!, offset: p.offset, size: p.bytes }])));
    this.chunks = buffers.layout.chunks.length;
    this.layout = buffers.layout;
    this.bufferBytes = memoryReport(buffers).total;
    this.globals = this.device.createBuffer({ size: GLOBALS_BYTES, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
    this.owned.push(this.globals);
    this.savedMetrics = this.device.createBuffer({ size: bytes(METRICS_FLOATS), usage: GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST, label: "metrics set aside" });
    this.owned.push(this.savedMetrics);
    this.augment = plan.augment ? this.compile({ kernels: plan.augment, aliases: new Map() }, this.modeBuffers[0]!) : [];
    this.augmentsOnDevice = plan.augment !== undefined;
    this.train = [...this.augment, ...this.compile(plan.train, this.modeBuffers[0]!)];
    this.evaluation = this.compile(plan.eval, this.modeBuffers[1]!);
    this.evalOutput = plan.eval.aliases.get(program.output) ?? program.output;
    this.probe = plan.probe && this.compile({ kernels: plan.probe, aliases: new Map() }, this.modeBuffers[0]!);
    this.dispatchesPerStep = this.train.length;
    if (program.optimizer.groups) this.groupScalars = new GroupScalars(program.optimizer);
    program.params.forEach((p, index) => {
      const data = new Float32Array(p.shape.reduce((a, d) => a * d, 1));
      initialize(data, p.init, p.fanIn, p.fanOut, seed, index);
      this.write(p.node, data);
    });
    for (const s of program.state) this.write(s.node, new Float32Array(s.shape.reduce((a, d) => a * d, 1)).fill(s.fill));
    buffers.layout.chunks.forEach((floats, c) => optimizerStateFills(program.optimizer).forEach(([name, value]) => this.write(flatKey(`opt:${name}`, c), new Float32Array(floats).fill(value))));
  }

  /** `at`: the first float within the value's region (a parameter's place in a flat optimizer buffer). */
  private write(key: number | string, data: Float32Array, at = 0): void {
    const region = this.modeBuffers[0]!.get(key)!;
    this.device.queue.writeBuffer(region.buffer, region.offset + 4 * at, data as Float32Array<ArrayBuffer>);
  }

  private compile(mode: ModePlan, buffers: Map<number | string, Region>): Compiled[] {
    return mode.kernels.map((kernel: KernelSource) => {
      const module = this.device.createShaderModule({ code: kernel.code, label: kernel.label });
      // Explicit layouts: "auto" would drop bindings a kernel does not use (e.g. the globals).
      const layout = this.device.createBindGroupLayout({
        label: kernel.label,
        entries: [
          { binding: 0, visibility: GPUShaderStage.COMPUTE, buffer: { type: "uniform" } },
          ...kernel.bindings.map((b, k): GPUBindGroupLayoutEntry => ({ binding: k + 1, visibility: GPUShaderStage.COMPUTE, buffer: { type: b.write ? "storage" : "read-only-storage" } })),
        ],
      });
      const pipeline = this.device.createComputePipeline({ layout: this.device.createPipelineLayout({ bindGroupLayouts: [layout] }), compute: { module, entryPoint: "main" }, label: kernel.label });
      const entries: GPUBindGroupEntry[] = [{ binding: 0, resource: { buffer: this.globals } }];
      kernel.bindings.forEach((b, k) => {
        const key = typeof b.node === "number" ? (mode.aliases.get(b.node) ?? b.node) : b.node;
        const region = buffers.get(key)!;
        entries.push({ binding: k + 1, resource: { buffer: region.buffer, offset: region.offset, size: region.size } });
      });
      return { pipeline, bindGroup: this.device.createBindGroup({ layout, entries }), dispatch: kernel.dispatch };
    });
  }

  /** `raw`: a training batch still to be augmented by the step's first kernels. */
  private writeBatch(batch: Dataset, step: number, scalars: OptimizerScalars, raw = false): void {
    if (batch.count > this.maxBatch) throw new Error(`internal: batch ${batch.count} exceeds the buffers' ${this.maxBatch}`);
    this.write(raw ? AUGMENT_RAW : this.program.input, batch.x);
    this.write(this.program.labels, batch.y);
    this.device.queue.writeBuffer(this.globals, 0, packGlobals({ batch: batch.count, step, seed: this.seed }, scalars));
  }

  /** Encodes the kernels in one compute pass, with copies before and after it, and submits. */
  private run(kernels: Compiled[], batch: number, copies: { before?: (e: GPUCommandEncoder) => void; after?: (e: GPUCommandEncoder) => void } = {}): void {
    const encoder = this.device.createCommandEncoder();
    copies.before?.(encoder);
    const pass = encoder.beginComputePass();
    for (const k of kernels) {
      pass.setPipeline(k.pipeline);
      pass.setBindGroup(0, k.bindGroup);
      if (k.grid?.batch !== batch) k.grid = { batch, xyz: workgroupCount(k.dispatch, batch) };
      const [x, y, z] = k.grid.xyz;
      pass.dispatchWorkgroups(x, y, z);
    }
    pass.end();
    copies.after?.(encoder);
    this.device.queue.submit([encoder.finish()]);
  }

  step(batch: Dataset, step: number, hyper: StepHyperparameters, read?: { probe: boolean }): Promise<StepReading> | undefined {
    if (this.groupScalars) {
      // The globals keep the optimizer's own scalars (group 0); the grouped update reads every group's row.
      const scalars = this.groupScalars.next(hyper);
      this.write(GROUP_SCALARS, packGroupScalars(scalars, this.groupScalars.specs));
      this.writeBatch(batch, step, scalars[0]!, this.augmentsOnDevice);
    } else this.writeBatch(batch, step, nextOptimizerScalars(this.program.optimizer, this.scalarState, hyper), this.augmentsOnDevice);
    if (!read) {
      this.run(this.train, batch.count);
      return undefined;
    }
    const probe = read.probe && this.probe ? this.probe : undefined;
    const probeBytes = probe ? bytes(3 * this.program.params.length) : 0;
    // The last loss (metrics[3]) and the probe's sums land in one small staging buffer.
    const staging = this.takeStaging(16 + probeBytes);
    const region = (key: string) => this.modeBuffers[0]!.get(key)!;
    const chunks = Array.from({ length: this.chunks }, (_, c) => c);
    this.run(probe ? [...this.train, ...probe] : this.train, batch.count, {
      before: probe ? (e) => chunks.forEach((c) => e.copyBufferToBuffer(region(flatKey("params", c)).buffer, 0, region(flatKey("before", c)).buffer, 0, region(flatKey("params", c)).size)) : undefined,
      after: (e) => {
        e.copyBufferToBuffer(region("metrics").buffer, 0, staging, 0, 16);
        if (probe) e.copyBufferToBuffer(region("probe").buffer, 0, staging, 16, probeBytes);
      },
    });
    return this.readStaging(staging, (16 + probeBytes) / 4).then((values) => {
      const names = this.program.params.map((p) => p.name);
      return { loss: values[3]!, lossSum: values[0]!, probe: probe ? probeReport(names, values.subarray(4, 4 + 3 * names.length)) : undefined };
    });
  }

  private takeStaging(size: number): GPUBuffer {
    const free = this.stagingPool.get(size)?.pop();
    if (free) return free;
    const buffer = this.device.createBuffer({ size, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST, label: "readback" });
    this.owned.push(buffer);
    return buffer;
  }

  /** Maps a staging buffer whose copies are submitted, copies `floats` out, and returns it to the pool. */
  private async readStaging(staging: GPUBuffer, floats: number): Promise<Float32Array> {
    await staging.mapAsync(GPUMapMode.READ);
    const values = new Float32Array(staging.getMappedRange(0, floats * 4).slice(0));
    staging.unmap();
    let free = this.stagingPool.get(staging.size);
    if (!free) this.stagingPool.set(staging.size, (free = []));
    free.push(staging);
    if (this.errors.length) throw new Error(`WebGPU reported: ${this.errors[0]}`);
    return values;
  }

  /** What keepWeights copies: the parameter chunks' flat buffers, then each running statistic's. */
  private keptRegions(): Region[] {
    const regions = this.modeBuffers[0]!;
    return [...Array.from({ length: this.chunks }, (_, c) => regions.get(flatKey("params", c))!), ...this.program.state.map((s) => regions.get(s.node)!)];
  }

  /** A device-side copy queued behind the submitted steps: nothing waits, nothing is read back. */
  keepWeights(slot: number): void {
    const sources = this.keptRegions();
    const shadow = (this.shadows[slot] ??= sources.map((r) => {
      const buffer = this.device.createBuffer({ size: r.size, usage: GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST, label: `last good ${slot}` });
      this.owned.push(buffer);
      return buffer;
    }));
    const encoder = this.device.createCommandEncoder();
    sources.forEach((r, i) => encoder.copyBufferToBuffer(r.buffer, r.offset, shadow[i]!, 0, r.size));
    this.device.queue.submit([encoder.finish()]);
  }

  async keptWeights(slot: number): Promise<Map<string, Float32Array>> {
    const shadow = this.shadows[slot];
    if (!shadow) throw new Error(`internal: no weights were kept in slot ${slot}`);
    const readBack = async (buffer: GPUBuffer): Promise<Float32Array> => {
      const staging = this.device.createBuffer({ size: buffer.size, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
      const encoder = this.device.createCommandEncoder();
      encoder.copyBufferToBuffer(buffer, 0, staging, 0, buffer.size);
      this.device.queue.submit([encoder.finish()]);
      await staging.mapAsync(GPUMapMode.READ);
      const data = new Float32Array(staging.getMappedRange().slice(0));
      staging.unmap();
      staging.destroy();
      return data;
    };
    const data = await Promise.all(shadow.map(readBack));
    const size = (shape: number[]) => shape.reduce((a, d) => a * d, 1);
    const kept = new Map<string, Float32Array>();
    for (const p of this.program.params) {
      const { chunk, offset } = this.layout.place.get(p.node)!;
      kept.set(p.name, data[chunk]!.slice(offset, offset + size(p.shape)));
    }
    this.program.state.forEach((s, i) => kept.set(s.name, data[this.chunks + i]!.slice(0, size(s.shape))));
    return kept;
  }

  /**
   * Runs only the augmentation kernels on a raw batch as training step `step` would, and reads the model's
   * input back: what the step trains on (for comparing with the host's augmentation).
   */
  async augmentedBatch(batch: Dataset, step: number): Promise<Float32Array> {
    this.writeBatch(batch, step, NO_UPDATE, true);
    this.run(this.augment, batch.count);
    return this.read(this.program.input, batch.count * batch.features);
  }

  /** `mode`: 0 for a value of the training pass, 1 for one of the evaluation pass. */
  private async read(key: number | string, count: number, at = 0, mode = 0): Promise<Float32Array> {
    const staging = this.takeStaging(bytes(count));
    const encoder = this.device.createCommandEncoder();
    const region = this.modeBuffers[mode]!.get(key)!;
    encoder.copyBufferToBuffer(region.buffer, region.offset + 4 * at, staging, 0, bytes(count));
    this.device.queue.submit([encoder.finish()]);
    return this.readStaging(staging, count);
  }

  private async takeMetrics(): Promise<{ lossSum: number; correct: number; top5: number }> {
    const [lossSum, correct, top5] = await this.read("metrics", METRICS_FLOATS);
    this.write("metrics", WebGpuBackend.ZERO_METRICS);
    return { lossSum: lossSum!, correct: correct!, top5: top5! };
  }

  takeEpochSums(): Promise<{ lossSum: number; correct: number; top5: number }> {
    return this.takeMetrics();
  }

  async evaluate(data: Dataset): Promise<Measurements> {
    // Evaluation accumulates into the metrics buffer too: the epoch's training sums are set aside and put back,
    // so an evaluation in mid-epoch (`eval_every` in steps) leaves them as the CPU backend does. Both moves are
    // copies on the device, queued in order with the steps, so evaluation waits for one readback only.
    const metrics = this.modeBuffers[0]!.get("metrics")!;
    const aside = this.device.createCommandEncoder();
    aside.copyBufferToBuffer(metrics.buffer, metrics.offset, this.savedMetrics, 0, this.savedMetrics.size);
    this.device.queue.submit([aside.finish()]);
    this.write("metrics", WebGpuBackend.ZERO_METRICS);
    for (let start = 0; start < data.count; start += 512) {
      const count = Math.min(512, data.count - start);
      this.writeBatch(this.slice(data, start, count), 0, NO_UPDATE);
      this.run(this.evaluation, count);
    }
    const staging = this.takeStaging(bytes(METRICS_FLOATS));
    const back = this.device.createCommandEncoder();
    back.copyBufferToBuffer(metrics.buffer, metrics.offset, staging, 0, staging.size);
    back.copyBufferToBuffer(this.savedMetrics, 0, metrics.buffer, metrics.offset, this.savedMetrics.size);
    this.device.queue.submit([back.finish()]);
    const [lossSum, correct, top5] = await this.readStaging(staging, METRICS_FLOATS);
    if (this.program.task !== "classification") return { loss: lossSum! / data.count };
    return { loss: lossSum! / data.count, accuracy: correct! / data.count, top5: top5! / data.count };
  }

  private slice(data: Dataset, start: number, count: number): Dataset {
    return { x: data.x.subarray(start * data.features, (start + count) * data.features), y: data.y.subarray(start * data.targets, (start + count) * data.targets), count, features: data.features, targets: data.targets };
  }

  /**
   * The evaluation pass batch by batch, reading each batch's output back; the metrics it accumulates are
   * discarded and the epoch's training sums put back, as evaluate does.
   */
  async predict(data: Dataset): Promise<Float32Array> {
    const perExample = this.program.nodes[this.program.output]!.shape.slice(1).reduce<number>((a, d) => a * (d as number), 1);
    const out = new Float32Array(data.count * perExample);
    const training = await this.read("metrics", METRICS_FLOATS);
    try {
      for (let start = 0; start < data.count; start += 512) {
        const count = Math.min(512, data.count - start);
        this.writeBatch(this.slice(data, start, count), 0, NO_UPDATE);
        this.run(this.evaluation, count);
        out.set(await this.read(this.evalOutput, count * perExample, 0, 1), start * perExample);
      }
    } finally {
      this.write("metrics", training);
    }
    return out;
  }

  /** Every parameter in program order, as one vector (L-BFGS, runtime/lbfgs-step.ts). */
  async readParams(): Promise<Float32Array> {
    const tensors: Float32Array[] = [];
    for (const p of this.program.params) tensors.push(await this.read(p.node, p.shape.reduce((a, d) => a * d, 1)));
    return concatFlat(tensors);
  }

  writeParams(flat: Float32Array): void {
    let offset = 0;
    for (const p of this.program.params) {
      const size = p.shape.reduce((a, d) => a * d, 1);
      this.write(p.node, flat.subarray(offset, offset + size));
      offset += size;
    }
  }

  /**
   * L-BFGS's closure: the training pass (which has no update kernel under L-BFGS) at parameters `flat`, then
   * the loss and every chunk's gradients in one readback. An evaluation that is not counted puts the metrics
   * (the epoch's sums) back as they were before it.
   */
  async lossAndGradient(flat: Float32Array, batch: Dataset, step: number, count: boolean): Promise<{ loss: number; grad: Float32Array; lossSum?: number }> {
    this.writeParams(flat);
    this.writeBatch(batch, step, NO_UPDATE, this.augmentsOnDevice);
    const region = (key: string) => this.modeBuffers[0]!.get(key)!;
    const grads = Array.from({ length: this.chunks }, (_, c) => region(flatKey("grads", c)));
    const offsets: number[] = [];
    let total = 32;
    for (const g of grads) {
      offsets.push(total);
      total += g.size;
    }
    const staging = this.device.createBuffer({ size: total, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    const metrics = region("metrics");
    this.run(this.train, batch.count, {
      before: (e) => e.copyBufferToBuffer(metrics.buffer, metrics.offset, staging, 0, 16),
      after: (e) => {
        e.copyBufferToBuffer(metrics.buffer, metrics.offset, staging, 16, 16);
        grads.forEach((g, c) => e.copyBufferToBuffer(g.buffer, g.offset, staging, offsets[c]!, g.size));
      },
    });
    await staging.mapAsync(GPUMapMode.READ);
    if (this.errors.length) throw new Error(`WebGPU reported: ${this.errors[0]}`);
    const values = new Float32Array(staging.getMappedRange().slice(0));
    staging.unmap();
    staging.destroy();
    const grad = new Float32Array(flat.length);
    let offset = 0;
    for (const p of this.program.params) {
      const size = p.shape.reduce((a, d) => a * d, 1);
      const place = this.layout.place.get(p.node)!;
      const start = offsets[place.chunk]! / 4 + place.offset;
      grad.set(values.subarray(start, start + size), offset);
      offset += size;
    }
    if (!count) this.write("metrics", values.slice(0, 4));
    return { loss: values[7]!, grad, lossSum: count ? values[4]! : undefined };
  }

  async saveWeights(): Promise<unknown> {
    const saved = new Map<number, Float32Array>();
    for (const p of this.program.params) saved.set(p.node, await this.read(p.node, p.shape.reduce((a, d) => a * d, 1)));
    for (const s of this.program.state) saved.set(s.node, await this.read(s.node, s.shape.reduce((a, d) => a * d, 1)));
    return saved;
  }

  restoreWeights(saved: unknown): void {
    for (const [node, data] of saved as Map<number, Float32Array>) this.write(node, data);
  }

  /** Per-parameter tensors cut from the flat buffers, so that a checkpoint does not depend on this layout. */
  async saveState(): Promise<BackendState> {
    const size = (shape: number[]) => shape.reduce((a, d) => a * d, 1);
    const metrics = await this.read("metrics", METRICS_FLOATS);
    const saved: BackendState = {
      params: new Map(),
      moments: new Map(),
      running: new Map(),
      scalars: (this.groupScalars ? this.groupScalars.scalarStates : [this.scalarState]).map((s) => ({ ...s })),
      sums: [metrics[0]!, metrics[1]!, metrics[2]!],
    };
    for (const p of this.program.params) {
      saved.params.set(p.name, await this.read(p.node, size(p.shape)));
      const place = this.layout.place.get(p.node)!;
      for (const name of optimizerStateNames(this.program.optimizer)) saved.moments.set(`${name}.${p.name}`, await this.read(flatKey(`opt:${name}`, place.chunk), size(p.shape), place.offset));
    }
    for (const s of this.program.state) saved.running.set(s.name, await this.read(s.node, size(s.shape)));
    return saved;
  }

  restoreState(saved: BackendState): void {
    for (const p of this.program.params) {
      this.write(p.node, saved.params.get(p.name)!);
      const place = this.layout.place.get(p.node)!;
      for (const name of optimizerStateNames(this.program.optimizer)) this.write(flatKey(`opt:${name}`, place.chunk), saved.moments.get(`${name}.${p.name}`)!, place.offset);
    }
    for (const s of this.program.state) this.write(s.node, saved.running.get(s.name)!);
    const states = this.groupScalars ? this.groupScalars.scalarStates : [this.scalarState];
    states.forEach((state, g) => {
      const { step, momentumStarted, nadamMuProduct } = saved.scalars[g] ?? saved.scalars[0]!;
      Object.assign(state, { step, momentumStarted, nadamMuProduct });
    });
    const metrics = new Float32Array(METRICS_FLOATS);
    metrics.set(saved.sums.slice(0, 3));
    this.write("metrics", metrics);
  }

  destroy(): void {
    for (const b of this.owned) b.destroy();
    this.gpu.destroy();
  }
}
