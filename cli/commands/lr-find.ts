// `dslc lr-find FILE`: the learning-rate range test (runtime/lr-find.ts) on the file's model, data and
// optimizer: the loss against an exponentially growing rate, as a terminal chart and an SVG, and the rate
// it suggests. Nothing is saved: it is a look before the real run.
import * as path from "node:path";
import * as asciichart from "asciichart";
import { compileToRun } from "../compile-to-run.js";
import { planKernels, UnsupportedOnWebGpu } from "../../codegen/wgsl/plan.js";
import { defaultMatmulConfig } from "../../codegen/wgsl/matmul.js";
import { cpuBackend } from "../../runtime/cpu/train.js";
import { findLearningRate, LR_FIND_DEFAULTS, type LrFindOptions, type LrFindResult } from "../../runtime/lr-find.js";
import { lineChartSvg } from "../../runtime/plots/line-chart.js";
import type { Program } from "../../runtime/program.js";
import { NoAdapterError } from "../../runtime/webgpu/device.js";
import { withWebGpuBackend } from "../../runtime/webgpu/train.js";
import { UsageError, writeFileAtomic, type CliIO } from "../io.js";
import { integerFlag, positiveFlag, type ParsedArgs } from "../options.js";

const WIDTH = 64;
const HEIGHT = 12;

export async function lrFindCommand(args: ParsedArgs, io: CliIO): Promise<number> {
  const [file] = args.positional;
  if (args.positional.length > 1) throw new UsageError("`dslc lr-find` reads one file at a time");
  const options: LrFindOptions = {
    ...LR_FIND_DEFAULTS,
    steps: integerFlag(args, "steps", 12) ?? LR_FIND_DEFAULTS.steps,
    minLr: positiveFlag(args, "min-lr") ?? LR_FIND_DEFAULTS.minLr,
    maxLr: positiveFlag(args, "max-lr") ?? LR_FIND_DEFAULTS.maxLr,
  };
  if (options.minLr >= options.maxLr) throw new UsageError(`\`--min-lr\` (${options.minLr}) must be below \`--max-lr\` (${options.maxLr})`);
  const compiled = compileToRun(file!, {}, args, io);
  if (!compiled) return 1;
  const { program } = compiled;
  const result = await run(program, options, args, io);
  if (result === undefined) return 1;
  if (args.flags.has("json")) {
    io.stdout(JSON.stringify({ lr: result.lrs, loss: result.losses, smoothed: result.smoothed, suggestion: result.suggestion ?? null, stopped: result.stopped ?? null }) + "\n");
    return 0;
  }
  const ended = result.stopped === "diverged" ? `; stopped at step ${result.lrs.length}: the loss exceeded ${options.stopFactor}× its best` : result.stopped === "not finite" ? `; stopped at step ${result.lrs.length + 1}: the loss was not finite` : "";
  io.stdout(`learning-rate range test of ${program.model}: ${options.steps} steps from ${options.minLr} to ${options.maxLr}, optimizer \`${program.optimizer.kind}\`${ended}\n\n`);
  if (result.smoothed.length > 1) io.stdout(terminalChart(result, 2 * result.smoothed[0]!) + "\n\n");
  io.stdout(
    result.suggestion !== undefined
      ? `suggested learning rate: ${result.suggestion.toExponential(2)} (where the smoothed loss falls fastest; the file has ${program.optimizer.lr})\n`
      : `no suggestion: only ${result.smoothed.length} steps were measured before the loss ran away; lower --max-lr or raise --steps\n`,
  );
  // The last steps' loss can be orders of magnitude above the rest; drawn to scale it would flatten the
  // part that matters, so both charts stop at twice the first loss.
  const cap = 2 * (result.smoothed[0] ?? Infinity);
  const capped = (v: number) => Math.min(v, cap);
  const svgFile = (args.flags.get("svg") as string | undefined) ?? `${path.basename(file!, path.extname(file!))}.lr-find.svg`;
  writeFileAtomic(svgFile, await lineChartSvg({
    title: `Learning-rate range test of ${program.model}`,
    x: { title: "learning rate", log: true },
    y: { title: "training loss (at most 2× the first)" },
    series: [
      { name: "loss", points: result.lrs.map((lr, i): [number, number] => [lr, capped(result.losses[i]!)]) },
      { name: "smoothed loss", points: result.lrs.map((lr, i): [number, number] => [lr, capped(result.smoothed[i]!)]) },
    ],
  }));
  io.stdout(`wrote ${svgFile}\n`);
  return 0;
}

/** On the backend `dslc train` would choose (WebGPU when an adapter exists), or the one `--backend` names. */
async function run(program: Program, options: LrFindOptions, args: ParsedArgs, io: CliIO): Promise<LrFindResult | undefined> {
  const backend = args.flags.get("backend");
  const onCpu = () => findLearningRate(program, cpuBackend(program), options);
  if (backend === "cpu") return onCpu();
  try {
    const adapter = args.flags.get("adapter");
    return await withWebGpuBackend(program, (gpu) => planKernels(program, { matmul: (shape) => defaultMatmulConfig(shape, gpu.kind) }), { adapter: typeof adapter === "string" ? adapter : undefined }, (gpu) => findLearningRate(program, gpu, options));
  } catch (error) {
    if (!(error instanceof NoAdapterError || error instanceof UnsupportedOnWebGpu)) throw error;
    if (backend === "webgpu") {
      const help = error instanceof NoAdapterError ? error.help : "run with `--backend cpu`, which supports it";
      io.stderr(`error[${error instanceof NoAdapterError ? "E0702" : "E0601"}]: ${error.message}\n  = help: ${help}\n`);
      return undefined;
    }
    io.stderr(`note: ${error.message}; running on the CPU reference backend instead (choose with --backend)\n`);
    return onCpu();
  }
}

/** The smoothed loss (at most `cap`) at WIDTH evenly spaced steps, with the rates at both ends below. */
function terminalChart(result: LrFindResult, cap: number): string {
  const values = result.smoothed.map((v) => Math.min(v, cap));
  const columns = Math.min(WIDTH, values.length);
  const at = (k: number) => Math.round((k * (values.length - 1)) / Math.max(1, columns - 1));
  const chart = asciichart.plot(Array.from({ length: columns }, (_, k) => values[at(k)]!), { height: HEIGHT, format: (x: number) => x.toPrecision(3).padStart(10) });
  const first = `lr ${result.lrs[0]!.toExponential(1)}`;
  const last = `lr ${result.lrs.at(-1)!.toExponential(1)}`;
  return `${chart}\n${" ".repeat(12)}${first}${last.padStart(Math.max(last.length + 1, columns - first.length))}`;
}
