// Gradient clipping (by global norm and by value), the max-norm constraint and the L1 and elastic-net
// penalties in whole training runs against PyTorch 1.13 (tests/golden/clip.json, made by
// make_clip_golden.py): 20 steps of a two-layer MLP from dslc's initial weights on the same batches. On both
// backends, and on WebGPU also with the parameters split over two chunks of flat buffers (the global norm
// then adds partial sums of both). Compared: the loss of every step (log_every 1), the final parameters and
// the loss in evaluation mode. Tolerance: 2e-5 relative + 2e-6 absolute (f32 arithmetic on either side over
// 20 steps, as the other golden runs). Measured maxima are logged by the last test.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { planKernels } from "../../codegen/wgsl/plan.js";
import { compileProgram } from "../../compiler/compile.js";
import { cpuBackend } from "../../runtime/cpu/train.js";
import { loadSource } from "../../runtime/data/sources.js";
import { runTraining, type TrainingBackend } from "../../runtime/loop.js";
import type { Program } from "../../runtime/program.js";
import { acquireDevice } from "../../runtime/webgpu/device.js";
import { WebGpuBackend } from "../../runtime/webgpu/backend.js";
import { close } from "../helpers/golden-run.js";

const RELATIVE = 2e-5;
const ABSOLUTE = 2e-6;

interface Run {
  name: string;
  source: string;
  losses: number[];
  params: Record<string, number[]>;
  eval_loss: number;
  /** Steps on which PyTorch's clipping changed a gradient, and on which renorm changed a weight. */
  clipped: number;
  renormed: number;
}

const golden = JSON.parse(fs.readFileSync("tests/golden/clip.json", "utf8")) as { tiny_csv: string; steps: number; runs: Run[] };
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dslc-golden-clip-"));
fs.writeFileSync(path.join(dir, "tiny.csv"), golden.tiny_csv);
afterAll(() => fs.rmSync(dir, { recursive: true }));

const largest = new Map<string, number>();

async function replay(program: Program, backend: TrainingBackend & { destroy?: () => void }, run: Run, label: string): Promise<void> {
  const losses: number[] = [];
  await runTraining(program, backend, { onLog: (e) => losses.push(e.loss) });
  expect(losses.length).toBe(golden.steps);
  const saved = (await backend.saveWeights()) as Map<number, Float32Array> | { params: Map<number, Float32Array> };
  const params = saved instanceof Map ? saved : saved.params;
  const evalLoss = (await backend.evaluate(loadSource(program.data.source, program.loop.seed))).loss;
  backend.destroy?.();
  const compared: [ArrayLike<number>, number[], string][] = [[losses, run.losses, "loss per step"], [[evalLoss], [run.eval_loss], "loss in evaluation mode"]];
  for (const [name, values] of Object.entries(run.params)) compared.push([params.get(program.params.find((p) => p.name === name)!.node)!, values, name]);
  for (const [actual, expected] of compared) {
    for (let i = 0; i < expected.length; i++) largest.set(label, Math.max(largest.get(label) ?? 0, Math.abs(actual[i]! - expected[i]!)));
  }
  for (const [actual, expected, what] of compared) close(actual, expected, what, RELATIVE, ABSOLUTE);
}

/** Two parameters per chunk: each is padded to 64 floats (256 bytes). */
const TWO_PER_CHUNK = 512;

describe("clipping, max-norm, L1 and elastic net match PyTorch on both backends", () => {
  for (const run of golden.runs) {
    const file = path.join(dir, `${run.name.replace(/\W+/g, "_")}.dl`);
    fs.writeFileSync(file, run.source);
    const compiled = compileProgram(run.source, file);
    it(`${run.name}: the file lowers as written, and its thresholds bite on some steps only`, () => {
      expect(compiled.diagnostics.map((d) => d.message)).toEqual([]);
      const program = compiled.program!;
      expect(program.clip !== undefined).toBe(/clip =/.test(run.source));
      expect(program.maxNorm !== undefined).toBe(/max_norm\(/.test(run.source));
      // A threshold that always or never bites would not tell clipping (or renorm) from its absence or from
      // an unconditional rescale.
      if (program.clip) expect(run.clipped).toBeGreaterThan(0), expect(run.clipped).toBeLessThan(golden.steps);
      if (program.maxNorm) expect(run.renormed).toBeGreaterThan(0), expect(run.renormed).toBeLessThan(golden.steps);
      const kernels = planKernels(program).train.kernels.map((k) => k.label);
      // Still one optimizer update for all parameters; by norm, one Σg² dispatch per chunk and one coefficient.
      expect(kernels.filter((l) => / update of all parameters$/.test(l))).toHaveLength(1);
      expect(kernels.filter((l) => l.startsWith("sum of squared gradients"))).toHaveLength(program.clip?.kind === "norm" ? 1 : 0);
      expect(kernels.filter((l) => l === "gradient clipping coefficient")).toHaveLength(program.clip?.kind === "norm" ? 1 : 0);
      expect(kernels.filter((l) => l.startsWith("max-norm constraint"))).toHaveLength(program.maxNorm ? 1 : 0);
    });
    it(`${run.name}: CPU reference`, async () => replay(compiled.program!, cpuBackend(compiled.program!), run, `${run.name}, CPU`));
    it(`${run.name}: WebGPU`, async () => {
      const program = compiled.program!;
      await replay(program, new WebGpuBackend(await acquireDevice(), program, planKernels(program), program.loop.seed, 3), run, `${run.name}, WebGPU`);
    }, 120_000);
    if (compiled.program?.clip?.kind === "norm" || compiled.program?.maxNorm) {
      it(`${run.name}: WebGPU with the parameters in two chunks`, async () => {
        const program = compiled.program!;
        const plan = planKernels(program, { bindingLimit: TWO_PER_CHUNK });
        expect(plan.layout.chunks).toHaveLength(2);
        await replay(program, new WebGpuBackend(await acquireDevice(), program, plan, program.loop.seed, 3), run, `${run.name}, WebGPU in two chunks`);
      }, 120_000);
    }
  }

  it("logs the largest differences", () => {
    console.log(`largest difference from PyTorch (losses, parameters, evaluation loss):\n${[...largest].map(([label, e]) => `  ${label}: ${e.toExponential(2)}`).join("\n")}`);
    expect(largest.size).toBeGreaterThanOrEqual(2 * golden.runs.length);
  });
});
