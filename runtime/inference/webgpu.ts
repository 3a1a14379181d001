// Runs an exported model's forward pass on WebGPU: the bundle's kernels, compiled once, over buffers sized for
// the largest batch chosen at load. Weights are written once; each call writes the batch and the globals
// (only `batch` is read by forward kernels), encodes every dispatch in one pass and reads the output back.
// Larger inputs run in slices of that largest batch. Intermediate values share buffers by liveness, as in
// training (runtime/webgpu/memory.ts). Nothing here imports codegen at run time: a bundle needs only the runtime.
import type { Dispatch } from "../../codegen/wgsl/kernels.js";
import type { GpuContext } from "../webgpu/device.js";
import { workgroupCount } from "../webgpu/dispatch.js";
import { GLOBALS_BYTES, packGlobals } from "../webgpu/globals.js";
import { planMemory } from "../webgpu/memory.js";
import { NO_UPDATE } from "../optimizer-scalars.js";
import type { InferenceProgram } from "./types.js";
import { InferenceError } from "./errors.js";
import { checkBatch, paramValues, type Weights } from "./weights.js";

/** One kernel of the forward pass: its WGSL and how it is bound and dispatched. */
export interface ForwardKernel {
  label: string;
  code: string;
  bindings: { node: number; write: boolean }[];
  dispatch: Dispatch;
}

export interface ForwardPass {
  program: InferenceProgram;
  kernels: ForwardKernel[];
  aliases: Map<number, number>;
}

/** A buffer's size for `count` floats: whole 16-byte rows, never zero (zero-size bindings are invalid). */
function bytes(count: number): number {
  return Math.max(16, Math.ceil((count * 4) / 16) * 16);
}

/** Examples per dispatch sequence when the caller does not choose. */
export const DEFAULT_MAX_BATCH = 256;

interface Compiled {
  pipeline: GPUComputePipeline;
  bindGroup: GPUBindGroup;
  dispatch: Dispatch;
}

export class WebGpuInference {
  readonly adapter: string;
  private readonly device: GPUDevice;
  private readonly owned: GPUBuffer[] = [];
  private readonly globals: GPUBuffer;
  private readonly compiled: Compiled[];
  private readonly input: GPUBuffer;
  private readonly output: GPUBuffer;
  private readonly outputSize: number;
  /** Validation errors Dawn reported: a bug in the generated kernels, so a read fails loudly when there are any. */
  private readonly errors: string[] = [];

  constructor(
    private readonly gpu: GpuContext,
    private readonly pass: ForwardPass,
    weights: Weights,
    readonly maxBatch: number = DEFAULT_MAX_BATCH,
  ) {
    const { program, kernels, aliases } = pass;
    if (!Number.isInteger(maxBatch) || maxBatch < 1) throw new InferenceError("E0832", `the largest batch must be a whole number of examples above 0, not ${maxBatch}`, "choose maxBatch ≥ 1 (larger inputs run in slices of it)");
    const params = paramValues(program, weights);
    this.device = gpu.device;
    this.adapter = gpu.adapterName;
    this.device.addEventListener("uncapturederror", (event) => this.errors.push((event as GPUUncapturedErrorEvent).error.message));
    const resolve = (id: number) => aliases.get(id) ?? id;
    const sizeOf = (id: number) => bytes(program.nodes[id]!.shape.reduce<number>((p, d) => p * (d === "N" ? maxBatch : d), 1));
    const limit = this.device.limits.maxStorageBufferBindingSize;
    const buffer = (id: number, label: string): GPUBuffer => {
      const size = sizeOf(id);
      if (size > limit) throw new InferenceError("E0832", `\`${label}\` needs ${size} bytes for a batch of ${maxBatch}, above this device's ${limit} bytes per buffer`, "load the model with a smaller maxBatch: larger inputs run in slices of it");
      const made = this.device.createBuffer({ size, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC, label });
      this.owned.push(made);
      return made;
    };
    // The input, the weights and the output keep their own buffers; the rest share slots by liveness.
    const output = resolve(program.output);
    const own = new Map<number, GPUBuffer>();
    own.set(program.input, buffer(program.input, "input"));
    for (const [id, data] of params) {
      own.set(id, buffer(id, program.nodes[id]!.name ?? `weight ${id}`));
      this.device.queue.writeBuffer(own.get(id)!, 0, data as Float32Array<ArrayBuffer>);
    }
    if (!own.has(output)) own.set(output, buffer(output, "output"));
    const bound = kernels.map((k) => k.bindings.map((b) => ({ node: resolve(b.node), write: b.write })));
    const memory = planMemory([bound], (key) => sizeOf(key as number), (key) => own.has(key as number));
    const slots = memory.slotBytes.map((size, i) => {
      if (size > limit) throw new InferenceError("E0832", `an intermediate value needs ${size} bytes for a batch of ${maxBatch}, above this device's ${limit} bytes per buffer`, "load the model with a smaller maxBatch: larger inputs run in slices of it");
      const made = this.device.createBuffer({ size, usage: GPUBufferUsage.STORAGE, label: `slot ${i}` });
      this.owned.push(made);
      return made;
    });
    const bufferOf = (id: number): GPUBuffer => own.get(id) ?? slots[memory.slots[0]!.get(id)!]!;
    this.input = own.get(program.input)!;
    this.output = own.get(output)!;
    this.outputSize = program.outputShape.reduce((a, d) => a * d, 1);
    this.globals = this.device.createBuffer({ size: GLOBALS_BYTES, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
    this.owned.push(this.globals);
    this.compiled = kernels.map((kernel, k) => {
      const module = this.device.createShaderModule({ code: kernel.code, label: kernel.label });
      // Explicit layouts: "auto" would drop bindings a kernel does not use (e.g. the globals).
      const layout = this.device.createBindGroupLayout({
        label: kernel.label,
        entries: [
          { binding: 0, visibility: GPUShaderStage.COMPUTE, buffer: { type: "uniform" } },
          ...kernel.bindings.map((b, i): GPUBindGroupLayoutEntry => ({ binding: i + 1, visibility: GPUShaderStage.COMPUTE, buffer: { type: b.write ? "storage" : "read-only-storage" } })),
        ],
      });
      const pipeline = this.device.createComputePipeline({ layout: this.device.createPipelineLayout({ bindGroupLayouts: [layout] }), compute: { module, entryPoint: "main" }, label: kernel.label });
      const entries: GPUBindGroupEntry[] = [{ binding: 0, resource: { buffer: this.globals } }, ...bound[k]!.map((b, i) => ({ binding: i + 1, resource: { buffer: bufferOf(b.node) } }))];
      return { pipeline, bindGroup: this.device.createBindGroup({ layout, entries, label: kernel.label }), dispatch: kernel.dispatch };
    });
  }

  /** The output node's values for `n` examples (`batch`: n × input size values, row-major). */
  async run(batch: Float32Array, n: number): Promise<Float32Array> {
    const features = checkBatch(this.pass.program, batch, n);
    const out = new Float32Array(n * this.outputSize);
    for (let start = 0; start < n; start += this.maxBatch) {
      const count = Math.min(this.maxBatch, n - start);
      out.set(await this.slice(batch.subarray(start * features, (start + count) * features), count), start * this.outputSize);
    }
    return out;
  }

  private async slice(x: Float32Array, count: number): Promise<Float32Array> {
    this.device.queue.writeBuffer(this.input, 0, x as Float32Array<ArrayBuffer>);
    this.device.queue.writeBuffer(this.globals, 0, packGlobals({ batch: count, step: 0, seed: 0 }, NO_UPDATE));
    const size = count * this.outputSize * 4;
    const staging = this.device.createBuffer({ size: bytes(count * this.outputSize), usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    const encoder = this.device.createCommandEncoder();
    const pass = encoder.beginComputePass();
    for (const k of this.compiled) {
      pass.setPipeline(k.pipeline);
      pass.setBindGroup(0, k.bindGroup);
      const [x, y, z] = workgroupCount(k.dispatch, count);
      pass.dispatchWorkgroups(x, y, z);
    }
    pass.end();
    encoder.copyBufferToBuffer(this.output, 0, staging, 0, staging.size);
    this.device.queue.submit([encoder.finish()]);
    await staging.mapAsync(GPUMapMode.READ);
    if (this.errors.length) throw new Error(`WebGPU reported: ${this.errors[0]}`);
    const data = new Float32Array(staging.getMappedRange().slice(0, size));
    staging.unmap();
    staging.destroy();
    return data;
  }

  destroy(): void {
    for (const b of this.owned) b.destroy();
    this.gpu.destroy();
  }
}
