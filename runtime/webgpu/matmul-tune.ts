// Matmul configurations chosen by measurement, once per adapter and shape (CubeCL's autotune cache): each
// candidate of MATMUL_CONFIGS runs on the device on zero-filled buffers, and the choice is kept in a small
// JSON file keyed by adapter name + sizes (the batch included) + transpose flags, under
// $XDG_CACHE_HOME/dslc (or ~/.cache/dslc), written atomically. Every configuration gives bit-identical
// results (tests/codegen/matmul-configs.test.ts), so a choice changes speed only; without a cache entry the
// deterministic `defaultMatmulConfig` is used, and nothing but the choice itself depends on timing.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { performance } from "node:perf_hooks";
import { configName, defaultMatmulConfig, matmulKernel, matmulShape, MATMUL_CONFIGS, type AdapterKind, type MatmulChooser, type MatmulConfig, type MatmulShape } from "../../codegen/wgsl/matmul.js";
import { inputShape, type KernelSource } from "../../codegen/wgsl/kernels.js";
import type { ProgramNode } from "../program.js";
import { writeFileAtomic } from "../atomic-write.js";
import { NO_UPDATE } from "../optimizer-scalars.js";
import { workgroupCount } from "./dispatch.js";
import { GLOBALS_BYTES, packGlobals } from "./globals.js";

/** Bumped when the meaning of a stored choice changes, so older files read as empty. */
const CACHE_VERSION = 2;

/**
 * How much faster than the default a candidate must measure to be chosen. A shared machine's timings
 * wander by several percent between rounds; without a margin two runs of the tuner would flip between
 * near-equal configurations, and a 4 × 4 default that compiles 4× faster than an 8 × 8 block would lose
 * to one that is 1% faster when it runs.
 */
export const TUNE_MARGIN = 0.1;

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

/** The valid choices in `file`; an unreadable, damaged or foreign file has none. */
function readChoices(file: string): Record<string, string> {
  let parsed: Partial<CacheFile> | undefined;
  try {
    parsed = JSON.parse(fs.readFileSync(file, "utf8")) as Partial<CacheFile>;
  } catch {
    return {};
  }
  if (!parsed || parsed.version !== CACHE_VERSION || !parsed.choices || typeof parsed.choices !== "object" || Array.isArray(parsed.choices)) return {};
  return Object.fromEntries(Object.entries(parsed.choices).filter(([, name]) => typeof name === "string" && MATMUL_CONFIGS[name] !== undefined));
}

/** The tuned choices on disk; an unreadable or foreign file counts as empty and is replaced on the next save. */
export class MatmulTuneCache {
  private readonly choices: Record<string, string>;
  private readonly added: Record<string, string> = {};

  constructor(readonly file = matmulCachePath()) {
    this.choices = readChoices(file);
  }

  /** The cached configuration for `key`, if one is cached and still exists. */
  get(key: string): MatmulConfig | undefined {
    const name = this.choices[key];
    return name === undefined ? undefined : MATMUL_CONFIGS[name];
  }

  /** Whether any choice is cached for this adapter. */
  knows(adapter: string): boolean {
    return Object.keys(this.choices).some((key) => key.startsWith(`${adapter}|`));
  }

  set(key: string, config: MatmulConfig): void {
    this.choices[key] = configName(config);
    this.added[key] = configName(config);
  }

  /**
   * Writes the file atomically. What another process saved since this one read the file is kept (this
   * process's own choices win on the same key), so two runs tuning different models lose nothing.
   */
  save(): void {
    const merged = { ...readChoices(this.file), ...this.added };
    const contents: CacheFile = { version: CACHE_VERSION, choices: Object.fromEntries(Object.entries(merged).sort(([p], [q]) => (p < q ? -1 : p > q ? 1 : 0))) };
    writeFileAtomic(this.file, `${JSON.stringify(contents, null, 2)}\n`);
  }
}

/** The distinct matmul shapes of a program's graph ("N" stays symbolic; the key sizes it). */
export function programMatmulShapes(nodes: ProgramNode[]): MatmulShape[] {
  const shapes = new Map<string, MatmulShape>();
  for (const node of nodes) {
    if (node.op !== "matmul") continue;
    const shape = matmulShape(node, inputShape(nodes, node, 0));
    shapes.set(tuneKey("", shape, 0), shape);
  }
  return [...shapes.values()];
}

export interface TimingOptions {
  /** Back-to-back dispatches per round (default: enough for a round of about 10 ms, at most 256). */
  reps?: number;
  /** Rounds whose median is the result (default 5). */
  rounds?: number;
  /** Stop after the first round when it is slower than this (ms per run): a loser needs no median. */
  abandonAbove?: number;
}

/** Milliseconds per run of one configuration on zero-filled buffers: the median of the rounds. */
export async function timeMatmul(device: GPUDevice, shape: MatmulShape, config: MatmulConfig, batch: number, options: TimingOptions = {}): Promise<number> {
  const node = { id: 2, inputs: [0, 1], shape: [shape.m, shape.n] };
  return median(await timeMatmulKernel(device, matmulKernel(node, shape, config), shape, batch, options));
}

/**
 * Milliseconds per run of each round, for any kernel binding A, B and C of `shape` after the globals (the
 * benchmark's baselines too). The pipeline is compiled and run once before the clock starts.
 */
export async function timeMatmulKernel(device: GPUDevice, kernel: KernelSource, shape: MatmulShape, batch: number, options: TimingOptions = {}): Promise<number[]> {
  const size = (d: number | string) => (d === "N" ? batch : (d as number));
  const [m, k, n] = [size(shape.m), size(shape.k), size(shape.n)];
  const bytes = (count: number) => Math.max(16, Math.ceil(count / 4) * 16);
  const buffers = [m * k, k * n, m * n].map((count) => device.createBuffer({ size: bytes(count), usage: GPUBufferUsage.STORAGE }));
  const uniform = device.createBuffer({ size: GLOBALS_BYTES, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
  device.queue.writeBuffer(uniform, 0, packGlobals({ batch, step: 0, seed: 0 }, NO_UPDATE));
  try {
    // An explicit layout: "auto" would drop the globals binding from kernels whose sizes are all static.
    const layout = device.createBindGroupLayout({
      entries: [
        { binding: 0, visibility: GPUShaderStage.COMPUTE, buffer: { type: "uniform" } },
        ...kernel.bindings.map((b, i): GPUBindGroupLayoutEntry => ({ binding: i + 1, visibility: GPUShaderStage.COMPUTE, buffer: { type: b.write ? "storage" : "read-only-storage" } })),
      ],
    });
    // A kernel this device rejects must fail here, not time an empty dispatch.
    device.pushErrorScope("validation");
    let pipeline: GPUComputePipeline | undefined;
    let bindGroup: GPUBindGroup | undefined;
    try {
      pipeline = await device.createComputePipelineAsync({ layout: device.createPipelineLayout({ bindGroupLayouts: [layout] }), compute: { module: device.createShaderModule({ code: kernel.code }), entryPoint: "main" } });
      bindGroup = device.createBindGroup({ layout, entries: [{ binding: 0, resource: { buffer: uniform } }, ...buffers.map((buffer, i) => ({ binding: i + 1, resource: { buffer } }))] });
    } finally {
      const invalid = await device.popErrorScope();
      if (invalid) throw new Error(`the matmul kernel is invalid on this device: ${invalid.message}`);
    }
    const [x, y, z] = workgroupCount(kernel.dispatch, batch);
    const run = async (times: number) => {
      const start = performance.now();
      const encoder = device.createCommandEncoder();
      const pass = encoder.beginComputePass();
      pass.setPipeline(pipeline!);
      pass.setBindGroup(0, bindGroup!);
      for (let i = 0; i < times; i++) pass.dispatchWorkgroups(x, y, z);
      pass.end();
      device.queue.submit([encoder.finish()]);
      await device.queue.onSubmittedWorkDone();
      return (performance.now() - start) / times;
    };
    await run(1);
    // Enough back-to-back runs for a round of about 10 ms, so a submit's fixed cost does not dominate.
    let reps = options.reps ?? 1;
    while (options.reps === undefined && reps < 256 && (await run(reps)) * reps < 10) reps *= 2;
    const times: number[] = [];
    for (let r = 0; r < (options.rounds ?? 5); r++) {
      times.push(await run(reps));
      if (r === 0 && options.abandonAbove !== undefined && times[0]! > options.abandonAbove) break;
    }
    return times;
  } finally {
    for (const buffer of buffers) buffer.destroy();
    uniform.destroy();
  }
}

export function median(xs: number[]): number {
  const sorted = [...xs].sort((p, q) => p - q);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Measures one configuration (ms per run); tests pass a stand-in to count or fake measurements. */
export type MatmulTimer = (shape: MatmulShape, config: MatmulConfig, batch: number, options: TimingOptions) => Promise<number>;

/**
 * Products below this many multiply-adds keep the default without being timed: their kernel takes less
 * than a dispatch costs (tens of microseconds), so configurations cannot differ measurably, while compiling
 * the eight candidates takes seconds.
 */
export const SMALLEST_TIMED = 1 << 18;

export function productSize(shape: MatmulShape, batch: number): number {
  const size = (d: number | string) => (d === "N" ? batch : (d as number));
  return size(shape.m) * size(shape.k) * size(shape.n);
}

/**
 * The fastest configuration for `shape` on this device. The default wins unless a candidate is faster by
 * TUNE_MARGIN, so noise between near-equal configurations does not decide.
 */
export async function measureBestConfig(shape: MatmulShape, batch: number, time: MatmulTimer, kind: AdapterKind = "software"): Promise<MatmulConfig> {
  const fallback = defaultMatmulConfig(shape, kind);
  const defaultMs = await time(shape, fallback, batch, {});
  let best = { config: fallback, ms: defaultMs };
  for (const config of Object.values(MATMUL_CONFIGS)) {
    if (configName(config) === configName(fallback)) continue;
    // A configuration this device rejects (too many invocations, say) is no candidate.
    const ms = await time(shape, config, batch, { abandonAbove: 2 * best.ms }).catch(() => Infinity);
    if (ms < best.ms) best = { config, ms };
  }
  return best.ms < defaultMs * (1 - TUNE_MARGIN) ? best.config : fallback;
}

function fitsBindings(device: GPUDevice, shape: MatmulShape, batch: number): boolean {
  const size = (d: number | string) => (d === "N" ? batch : (d as number));
  const [m, k, n] = [size(shape.m), size(shape.k), size(shape.n)];
  return Math.max(m * k, k * n, m * n) * 4 <= device.limits.maxStorageBufferBindingSize;
}

export interface TuneResult {
  choose: MatmulChooser;
  /** Shapes decided now (0 when every one was cached or tuning is off), `timed` of them by measuring. */
  decided: number;
  timed: number;
  /** Shapes already in the cache. */
  cached: number;
  seconds: number;
  /** Why the measured choices could not be saved, if they could not (they still apply to this run). */
  saveError?: string;
}

/**
 * A chooser for this adapter: each shape's cached choice; a shape not cached is measured first when `tune`
 * is set (and the cache saved), else it gets the default. `batch` sizes "N" (the training batch); a shape
 * asked for later that was not listed gets its cached choice or the default.
 */
export async function matmulChooser(
  device: GPUDevice,
  adapter: string,
  shapes: MatmulShape[],
  batch: number,
  cache: MatmulTuneCache,
  options: { tune: boolean; time?: MatmulTimer; kind?: AdapterKind },
): Promise<TuneResult> {
  const kind = options.kind ?? "software";
  const start = performance.now();
  const time: MatmulTimer = options.time ?? ((shape, config, b, timing) => timeMatmul(device, shape, config, b, timing));
  let decided = 0;
  let timed = 0;
  let cached = 0;
  for (const shape of shapes) {
    const key = tuneKey(adapter, shape, batch);
    if (cache.get(key)) {
      cached++;
      continue;
    }
    // A product too big for one binding is refused before training anyway (E0602): nothing to measure.
    if (!options.tune || !fitsBindings(device, shape, batch)) continue;
    const small = productSize(shape, batch) < SMALLEST_TIMED;
    cache.set(key, small ? defaultMatmulConfig(shape, kind) : await measureBestConfig(shape, batch, time, kind));
    decided++;
    if (!small) timed++;
  }
  let saveError: string | undefined;
  if (decided > 0) {
    try {
      cache.save();
    } catch (error) {
      saveError = (error as Error).message;
    }
  }
  return {
    choose: (shape) => cache.get(tuneKey(adapter, shape, batch)) ?? defaultMatmulConfig(shape, kind),
    decided,
    timed,
    cached,
    seconds: (performance.now() - start) / 1000,
    saveError,
  };
}
