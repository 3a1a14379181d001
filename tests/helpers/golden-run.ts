// Replaying a whole training run against PyTorch's (the golden-training tests): every step's loss, the final
// parameters and state, and the loss in evaluation mode, on any backend. Tolerance: 2e-5 relative + 2e-6
// absolute unless a run says otherwise (f32 arithmetic on either side).
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, expect, it } from "vitest";
import { planKernels } from "../../codegen/wgsl/plan.js";
import { compileProgram, type CompileResult } from "../../compiler/compile.js";
import { cpuBackend } from "../../runtime/cpu/train.js";
import { loadSource } from "../../runtime/data/sources.js";
import { runTraining, type TrainingBackend } from "../../runtime/loop.js";
import type { Program } from "../../runtime/program.js";
import { acquireDevice } from "../../runtime/webgpu/device.js";
import { WebGpuBackend } from "../../runtime/webgpu/backend.js";

export interface ExpectedRun {
  losses: number[];
  /** Final values by node id (parameters and state). */
  values: Map<number, { what: string; values: number[] }>;
  evalLoss: number;
}

export interface ReplayOptions {
  relative?: number;
  absolute?: number;
  /** How many losses the run must log (one per step with log_every 1). */
  steps?: number;
  /** Records the largest difference from PyTorch over every compared number under this label, for a log. */
  largest?: { into: Map<string, number>; label: string };
}

export function close(actual: ArrayLike<number>, expected: number[], what: string, relative = 2e-5, absolute = 2e-6): void {
  expect(actual.length, what).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    expect(Math.abs(actual[i]! - expected[i]!), `${what}[${i}]: ${actual[i]} vs PyTorch's ${expected[i]}`).toBeLessThanOrEqual(relative * Math.abs(expected[i]!) + absolute);
  }
}

export async function replayRun(program: Program, backend: TrainingBackend & { destroy?: () => void }, run: ExpectedRun, options: ReplayOptions = {}): Promise<void> {
  const losses: number[] = [];
  await runTraining(program, backend, { onLog: (e) => losses.push(e.loss) });
  const saved = (await backend.saveWeights()) as Map<number, Float32Array> | { params: Map<number, Float32Array>; state: Map<number, Float32Array> };
  const values = saved instanceof Map ? saved : new Map([...saved.params, ...saved.state]);
  const evalLoss = (await backend.evaluate(loadSource(program.data.source, program.loop.seed))).loss;
  // Released before anything is asserted, so that a failing run does not keep its device buffers.
  backend.destroy?.();
  if (options.steps !== undefined) expect(losses.length).toBe(options.steps);
  const compared: [ArrayLike<number>, number[], string][] = [[losses, run.losses, "loss per step"]];
  for (const [node, expected] of run.values) compared.push([values.get(node)!, expected.values, expected.what]);
  compared.push([[evalLoss], [run.evalLoss], "loss in evaluation mode"]);
  if (options.largest) {
    const { into, label } = options.largest;
    for (const [actual, expected] of compared) {
      for (let i = 0; i < expected.length; i++) into.set(label, Math.max(into.get(label) ?? 0, Math.abs(actual[i]! - expected[i]!)));
    }
  }
  for (const [actual, expected, what] of compared) close(actual, expected, what, options.relative, options.absolute);
}

/** A run of a golden file as tests/golden's scripts write it: parameters (and state) by dslc's names. */
export interface NamedRun {
  name: string;
  source: string;
  losses: number[];
  params: Record<string, number[]>;
  state?: Record<string, number[]>;
  eval_loss: number;
}

/** The run's expectations keyed by node: parameters and state by name. */
export function expectedRun(program: Program, run: NamedRun): ExpectedRun {
  const values = new Map<number, { what: string; values: number[] }>();
  for (const [name, v] of Object.entries(run.params)) values.set(program.params.find((p) => p.name === name)!.node, { what: name, values: v });
  for (const [name, v] of Object.entries(run.state ?? {})) values.set(program.state.find((s) => s.name === name)!.node, { what: name, values: v });
  return { losses: run.losses, values, evalLoss: run.eval_loss };
}

/** Two parameters per chunk of the flat buffers: each is padded to 64 floats (256 bytes). */
export const TWO_PER_CHUNK = 2 * 64 * 4;

/**
 * The runs of one golden file (tests/golden/replay.py's format: tiny_csv, steps, runs), with their .dl files and
 * the CSV they read written to a temporary directory removed after the test file, replayed on both backends
 * under one tolerance, and the largest difference per backend kept for the log.
 */
export class GoldenRuns<R extends NamedRun> {
  readonly golden: { tiny_csv: string; steps: number; runs: R[] };
  readonly dir: string;
  /** The largest difference from PyTorch over every compared number, per backend, for the log. */
  readonly largest = new Map<string, number>();

  constructor(file: string, private readonly tolerance: { relative: number; absolute: number }) {
    this.golden = JSON.parse(fs.readFileSync(file, "utf8")) as GoldenRuns<R>["golden"];
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), `dslc-golden-${path.basename(file, ".json")}-`));
    fs.writeFileSync(path.join(this.dir, "tiny.csv"), this.golden.tiny_csv);
    afterAll(() => fs.rmSync(this.dir, { recursive: true }));
  }

  /** Writes the run's source next to tiny.csv and compiles it there. */
  compile(run: { name: string; source: string }): CompileResult {
    const file = path.join(this.dir, `${run.name.replace(/\W+/g, "_")}.dl`);
    fs.writeFileSync(file, run.source);
    return compileProgram(run.source, file);
  }

  async replay(program: Program, backend: TrainingBackend & { destroy?: () => void }, run: R, label: string): Promise<void> {
    await replayRun(program, backend, expectedRun(program, run), { ...this.tolerance, steps: this.golden.steps, largest: { into: this.largest, label } });
  }

  /** The run on the CPU reference and on WebGPU; with twoChunks also on WebGPU with the parameters in two chunks. */
  itReplaysOnBothBackends(run: R, compiled: CompileResult, options: { twoChunks?: boolean } = {}): void {
    it(`${run.name}: CPU reference`, async () => this.replay(compiled.program!, cpuBackend(compiled.program!), run, `${run.name}, CPU`));
    it(`${run.name}: WebGPU`, async () => {
      const program = compiled.program!;
      await this.replay(program, new WebGpuBackend(await acquireDevice(), program, planKernels(program), program.loop.seed, 3), run, `${run.name}, WebGPU`);
    }, 120_000);
    if (!options.twoChunks) return;
    it(`${run.name}: WebGPU with the parameters in two chunks`, async () => {
      const program = compiled.program!;
      const plan = planKernels(program, { bindingLimit: TWO_PER_CHUNK });
      expect(plan.layout.chunks).toHaveLength(2);
      await this.replay(program, new WebGpuBackend(await acquireDevice(), program, plan, program.loop.seed, 3), run, `${run.name}, WebGPU in two chunks`);
    }, 120_000);
  }

  logLargest(): void {
    console.log(`largest difference from PyTorch (losses, parameters, evaluation loss):\n${[...this.largest].map(([label, e]) => `  ${label}: ${e.toExponential(2)}`).join("\n")}`);
  }
}
