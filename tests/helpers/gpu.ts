// Runs single generated kernels on the WebGPU device, for comparing each with the CPU reference.
import type { KernelSource } from "../../codegen/wgsl/kernels.js";
import { acquireDevice, type GpuContext } from "../../runtime/webgpu/device.js";
import { workgroupCount } from "../../runtime/webgpu/dispatch.js";

let context: Promise<GpuContext> | undefined;

export function gpu(): Promise<GpuContext> {
  context ??= acquireDevice();
  return context;
}

/** Binds `buffers` (by node id) to the kernel, runs it once, and returns the contents of `read`. */
export async function runKernel(kernel: KernelSource, buffers: Map<number | string, Float32Array>, read: number | string, globals: { batch: number; step?: number; seed?: number; lr?: number; t?: number }): Promise<Float32Array> {
  return (await runKernelReadAll(kernel, buffers, globals)).get(read)!;
}

/** Runs the kernel once and returns the contents of every buffer it writes. */
export async function runKernelReadAll(kernel: KernelSource, buffers: Map<number | string, Float32Array>, globals: { batch: number; step?: number; seed?: number; lr?: number; t?: number }): Promise<Map<number | string, Float32Array>> {
  const { device } = await gpu();
  const errors: string[] = [];
  device.addEventListener("uncapturederror", (e) => errors.push((e as GPUUncapturedErrorEvent).error.message));
  const gpuBuffers = new Map<number | string, GPUBuffer>();
  for (const [key, data] of buffers) {
    const buffer = device.createBuffer({ size: Math.max(16, Math.ceil((data.length * 4) / 16) * 16), usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC });
    device.queue.writeBuffer(buffer, 0, data as Float32Array<ArrayBuffer>);
    gpuBuffers.set(key, buffer);
  }
  const uniform = device.createBuffer({ size: 32, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
  const raw = new ArrayBuffer(32);
  new Uint32Array(raw).set([globals.batch, globals.step ?? 0, globals.seed ?? 0]);
  new Float32Array(raw).set([globals.lr ?? 0, globals.t ?? 1], 3);
  device.queue.writeBuffer(uniform, 0, raw);
  const layout = device.createBindGroupLayout({
    entries: [{ binding: 0, visibility: GPUShaderStage.COMPUTE, buffer: { type: "uniform" } }, ...kernel.bindings.map((b, k): GPUBindGroupLayoutEntry => ({ binding: k + 1, visibility: GPUShaderStage.COMPUTE, buffer: { type: b.write ? "storage" : "read-only-storage" } }))],
  });
  const pipeline = device.createComputePipeline({ layout: device.createPipelineLayout({ bindGroupLayouts: [layout] }), compute: { module: device.createShaderModule({ code: kernel.code }), entryPoint: "main" } });
  const bindGroup = device.createBindGroup({ layout, entries: [{ binding: 0, resource: { buffer: uniform } }, ...kernel.bindings.map((b, k) => ({ binding: k + 1, resource: { buffer: gpuBuffers.get(b.node)! } }))] });
  const [x, y] = workgroupCount(kernel.dispatch, globals.batch);
  const written = kernel.bindings.filter((b) => b.write).map((b) => b.node);
  const staging = new Map(written.map((key) => [key, device.createBuffer({ size: Math.max(16, Math.ceil((buffers.get(key)!.length * 4) / 16) * 16), usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST })]));
  const encoder = device.createCommandEncoder();
  const pass = encoder.beginComputePass();
  pass.setPipeline(pipeline);
  pass.setBindGroup(0, bindGroup);
  pass.dispatchWorkgroups(x, y);
  pass.end();
  for (const [key, target] of staging) encoder.copyBufferToBuffer(gpuBuffers.get(key)!, 0, target, 0, target.size);
  device.queue.submit([encoder.finish()]);
  const out = new Map<number | string, Float32Array>();
  for (const [key, target] of staging) {
    await target.mapAsync(GPUMapMode.READ);
    out.set(key, new Float32Array(target.getMappedRange().slice(0, buffers.get(key)!.length * 4)));
    target.unmap();
  }
  for (const b of gpuBuffers.values()) b.destroy();
  if (errors.length) throw new Error(errors.join("\n"));
  return out;
}
