// Runs single generated kernels on the WebGPU device, for comparing each with the CPU reference.
import type { KernelSource } from "../../codegen/wgsl/kernels.js";
import { NO_UPDATE, type OptimizerScalars } from "../../runtime/optimizer-scalars.js";
import { acquireDevice, type GpuContext } from "../../runtime/webgpu/device.js";
import { workgroupCount } from "../../runtime/webgpu/dispatch.js";
import { GLOBALS_BYTES, packGlobals } from "../../runtime/webgpu/globals.js";

let context: Promise<GpuContext> | undefined;

export function gpu(): Promise<GpuContext> {
  context ??= acquireDevice();
  return context;
}

/** The per-step globals of one run; optimizer kernels also need this step's `scalars`. */
export interface KernelGlobals {
  batch: number;
  step?: number;
  seed?: number;
  scalars?: OptimizerScalars;
}

type Key = number | string;

function storageBytes(count: number): number {
  return Math.max(16, Math.ceil((count * 4) / 16) * 16);
}

/** One kernel compiled once and bound to its own buffers, to run many times (an optimizer over a long run). */
export class KernelRunner {
  private readonly errors: string[] = [];
  private readonly onError = (e: Event) => this.errors.push((e as GPUUncapturedErrorEvent).error.message);
  private readonly buffers = new Map<Key, GPUBuffer>();
  private readonly uniform: GPUBuffer;
  private readonly pipeline: GPUComputePipeline;
  private readonly bindGroup: GPUBindGroup;

  private constructor(
    private readonly device: GPUDevice,
    private readonly kernel: KernelSource,
    private readonly sizes: Map<Key, number>,
  ) {
    // Removed again in destroy(): one listener per live runner, not one per runner ever made.
    device.addEventListener("uncapturederror", this.onError);
    for (const [key, count] of sizes) {
      this.buffers.set(key, device.createBuffer({ size: storageBytes(count), usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC }));
    }
    this.uniform = device.createBuffer({ size: GLOBALS_BYTES, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
    const layout = device.createBindGroupLayout({
      entries: [{ binding: 0, visibility: GPUShaderStage.COMPUTE, buffer: { type: "uniform" } }, ...kernel.bindings.map((b, k): GPUBindGroupLayoutEntry => ({ binding: k + 1, visibility: GPUShaderStage.COMPUTE, buffer: { type: b.write ? "storage" : "read-only-storage" } }))],
    });
    this.pipeline = device.createComputePipeline({ layout: device.createPipelineLayout({ bindGroupLayouts: [layout] }), compute: { module: device.createShaderModule({ code: kernel.code }), entryPoint: "main" } });
    this.bindGroup = device.createBindGroup({ layout, entries: [{ binding: 0, resource: { buffer: this.uniform } }, ...kernel.bindings.map((b, k) => ({ binding: k + 1, resource: { buffer: this.buffers.get(b.node)! } }))] });
  }

  /** Creates the kernel's buffers (one per binding, keyed by node) holding `initial`. */
  static async create(kernel: KernelSource, initial: Map<Key, Float32Array>): Promise<KernelRunner> {
    const { device } = await gpu();
    const runner = new KernelRunner(device, kernel, new Map([...initial].map(([key, data]) => [key, data.length])));
    for (const [key, data] of initial) runner.write(key, data);
    return runner;
  }

  write(key: Key, data: Float32Array): void {
    this.device.queue.writeBuffer(this.buffers.get(key)!, 0, data as Float32Array<ArrayBuffer>);
  }

  /** Writes the globals and runs the kernel once. */
  run(globals: KernelGlobals): void {
    this.device.queue.writeBuffer(this.uniform, 0, packGlobals({ batch: globals.batch, step: globals.step ?? 0, seed: globals.seed ?? 0 }, globals.scalars ?? NO_UPDATE));
    const [x, y, z] = workgroupCount(this.kernel.dispatch, globals.batch);
    const encoder = this.device.createCommandEncoder();
    const pass = encoder.beginComputePass();
    pass.setPipeline(this.pipeline);
    pass.setBindGroup(0, this.bindGroup);
    pass.dispatchWorkgroups(x, y, z);
    pass.end();
    this.device.queue.submit([encoder.finish()]);
  }

  /** The current contents of the buffers of `keys`. */
  async read(keys: Key[]): Promise<Map<Key, Float32Array>> {
    const encoder = this.device.createCommandEncoder();
    const staging = new Map(keys.map((key) => [key, this.device.createBuffer({ size: storageBytes(this.sizes.get(key)!), usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST })]));
    for (const [key, target] of staging) encoder.copyBufferToBuffer(this.buffers.get(key)!, 0, target, 0, target.size);
    this.device.queue.submit([encoder.finish()]);
    const out = new Map<Key, Float32Array>();
    for (const [key, target] of staging) {
      await target.mapAsync(GPUMapMode.READ);
      out.set(key, new Float32Array(target.getMappedRange().slice(0, this.sizes.get(key)! * 4)));
      target.unmap();
      target.destroy();
    }
    if (this.errors.length) throw new Error(this.errors.join("\n"));
    return out;
  }

  destroy(): void {
    this.device.removeEventListener("uncapturederror", this.onError);
    for (const b of this.buffers.values()) b.destroy();
    this.uniform.destroy();
  }
}

/** Binds `buffers` (by node id) to the kernel, runs it once, and returns the contents of `read`. */
export async function runKernel(kernel: KernelSource, buffers: Map<Key, Float32Array>, read: Key, globals: KernelGlobals): Promise<Float32Array> {
  return (await runKernelReadAll(kernel, buffers, globals)).get(read)!;
}

/** Runs the kernel once and returns the contents of every buffer it writes. */
export async function runKernelReadAll(kernel: KernelSource, buffers: Map<Key, Float32Array>, globals: KernelGlobals): Promise<Map<Key, Float32Array>> {
  const runner = await KernelRunner.create(kernel, buffers);
  try {
    runner.run(globals);
    return await runner.read(kernel.bindings.filter((b) => b.write).map((b) => b.node));
  } finally {
    runner.destroy();
  }
}
