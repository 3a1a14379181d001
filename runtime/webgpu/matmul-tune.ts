// Matmul tile configurations chosen by measurement, once per adapter and shape (CubeCL's autotune cache):
// each candidate in MATMUL_CONFIGS runs on the device on zero-filled buffers and the fastest is kept in a
// small JSON file keyed by adapter name + shape + transpose flags, under $XDG_CACHE_HOME/dslc (or
// ~/.cache/dslc), written atomically. Every configuration gives the same result up to the order of f32
// additions (tests/codegen/matmul-configs.test.ts), so the choice changes speed only; without a cache entry
// the deterministic `defaultMatmulConfig` is used, and nothing in the tests depends on timing.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { performance } from "node:perf_hooks";
import { configName, defaultMatmulConfig, matmulKernel, MATMUL_CONFIGS, type MatmulConfig, type MatmulShape } from "../../codegen/wgsl/matmul.js";
import type { KernelSource } from "../../codegen/wgsl/kernels.js";
import { writeFileAtomic } from "../atomic-write.js";
import { workgroupCount } from "./dispatch.js";
import { GLOBALS_BYTES, packGlobals } from "./globals.js";
import { NO_UPDATE } from "../optimizer-scalars.js";

const CACHE_VERSION = 1;

/** Cache file contents: `choices[key]` names a configuration of MATMUL_CONFIGS. */
interface CacheFile {
  version: number;
  choices: Record<string, string>;
}

export function matmulCachePath(env: NodeJS.ProcessEnv = process.env): string {
  const base = env["XDG_CACHE_HOME"] || path.join(os.homedir(), ".cache");
  return path.join(base, "dslc", "matmul-tune.json");
}

export function tuneKey(adapter: string, shape: MatmulShape, batch: number): string {
  const dim = (d: number | string) => (d === "N" ? `N=${batch}` : String(d));
  return `${adapter}|${dim(shape.m)}x${dim(shape.k)}x${dim(shape.n)}|${shape.transA ? "T" : "N"}${shape.transB ? "T" : "N"}`;
}

/** The tuned choices on disk; an unreadable or foreign file counts as empty (it is rewritten on the next save). */
export class MatmulTuneCache {
  private readonly choices: Record<string, string>;

  constructor(readonly file = matmulCachePath()) {
    let parsed: Partial<CacheFile> | undefined;
    try {
      parsed = JSON.parse(fs.readFileSync(file, "utf8")) as Partial<CacheFile>;
    } catch {
      parsed = undefined;
    }
    this.choices = parsed?.version === CACHE_VERSION && parsed.choices && typeof parsed.choices === "object" ? { ...parsed.choices } : {};
  }

  /** The cached configuration for `key`, if one is cached and still exists. */
  get(key: string): MatmulConfig | undefined {
    const name = this.choices[key];
    return name === undefined ? undefined : MATMUL_CONFIGS[name];
  }

  set(key: string, config: MatmulConfig): void {
    this.choices[key] = configName(config);
  }

  save(): void {
    const file: CacheFile = { version: CACHE_VERSION, choices: this.choices };
    writeFileAtomic(this.file, `${JSON.stringify(file, null, 2)}\n`);
  }
}

/** Milliseconds per run of one configuration (median of `rounds`, each `reps` back-to-back dispatches). */
export async function timeMatmul(device: GPUDevice, shape: MatmulShape, config: MatmulConfig, batch: number, options: { reps?: number; rounds?: number } = {}): Promise<number> {
  const node = { id: 2, inputs: [0, 1], shape: [shape.m, shape.n], attrs: {} };
  return timeMatmulKernel(device, matmulKernel(node, shape, config), shape, batch, options);
}

/** As `timeMatmul`, for any kernel binding A, B and C of `shape` (the benchmark's baseline kernels too). */
export async function timeMatmulKernel(device: GPUDevice, kernel: KernelSource, shape: MatmulShape, batch: number, options: { reps?: number; rounds?: number } = {}): Promise<number> {
  const size = (d: number | string) => (d === "N" ? batch : (d as number));
  const [m, k, n] = [size(shape.m), size(shape.k), size(shape.n)];
  const bytes = (count: number) => Math.max(16, Math.ceil(count / 4) * 16);
  const buffers = [m * k, k * n, m * n].map((count) => device.createBuffer({ size: bytes(count), usage: GPUBufferUsage.STORAGE }));
  const uniform = device.createBuffer({ size: GLOBALS_BYTES, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
  device.queue.writeBuffer(uniform, 0, packGlobals({ batch, step: 0, seed: 0 }, NO_UPDATE));
  try {
    // An explicit layout: "auto" would drop the globals binding from kernels whose sizes are all static.
    const layout = device.createBindGroupLayout({
      entries: [{ binding: 0, visibility: GPUShaderStage.COMPUTE, buffer: { type: "uniform" } }, ...kernel.bindings.map((b, i): GPUBindGroupLayoutEntry => ({ binding: i + 1, visibility: GPUShaderStage.COMPUTE, buffer: { type: b.write ? "storage" : "read-only-storage" } }))],
    });
    const pipeline = await device.createComputePipelineAsync({ layout: device.createPipelineLayout({ bindGroupLayouts: [layout] }), compute: { module: device.createShaderModule({ code: kernel.code }), entryPoint: "main" } });
    const bindGroup = device.createBindGroup({ layout, entries: [{ binding: 0, resource: { buffer: uniform } }, ...buffers.map((buffer, i) => ({ binding: i + 1, resource: { buffer } }))] });
    const [x, y, z] = workgroupCount(kernel.dispatch, batch);
    const run = async (times: number) => {
      const encoder = device.createCommandEncoder();
      const pass = encoder.beginComputePass();
      pass.setPipeline(pipeline);
      pass.setBindGroup(0, bindGroup);
      for (let i = 0; i < times; i++) pass.dispatchWorkgroups(x, y, z);
      pass.end();
      device.queue.submit([encoder.finish()]);
      await device.queue.onSubmittedWorkDone();
    };
    await run(1);
    const reps = options.reps ?? 3;
    const times: number[] = [];
    for (let r = 0; r < (options.rounds ?? 3); r++) {
      const start = performance.now();
      await run(reps);
      times.push((performance.now() - start) / reps);
    }
    times.sort((p, q) => p - q);
    return times[Math.floor(times.length / 2)]!;
  } finally {
    for (const buffer of buffers) buffer.destroy();
    uniform.destroy();
  }
}

/**
 * The configuration for `shape` on this adapter: the cached one, or else every candidate measured and the
 * fastest cached (the caller saves the cache). `batch` sizes a batch dimension for the measurement.
 */
export async function tunedMatmulConfig(device: GPUDevice, adapter: string, shape: MatmulShape, batch: number, cache: MatmulTuneCache): Promise<MatmulConfig> {
  const key = tuneKey(adapter, shape, batch);
  const cached = cache.get(key);
  if (cached) return cached;
  let best = defaultMatmulConfig(shape);
  let bestMs = Infinity;
  for (const config of Object.values(MATMUL_CONFIGS)) {
    const ms = await timeMatmul(device, shape, config, batch);
    if (ms < bestMs) [best, bestMs] = [config, ms];
  }
  cache.set(key, best);
  return best;
}
