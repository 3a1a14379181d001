// `dslc schedule FILE`: the learning rate at every step of the run the file describes, before training it
// (the notes' advice to look at a schedule before spending a run on it): a chart in the terminal, the same
// curve as an SVG file, and with --json every step's value.
import * as path from "node:path";
import * as asciichart from "asciichart";
import { compileToRun } from "../compile-to-run.js";
import { scheduleTrace, type ScheduleTrace } from "../../runtime/schedule-trace.js";
import { lineChartSvg } from "../../runtime/plots/line-chart.js";
import { UsageError, writeFileAtomic, type CliIO } from "../io.js";
import { integerFlag, type ParsedArgs } from "../options.js";

/** Columns of the terminal chart, and its height in rows. */
const WIDTH = 64;
const HEIGHT = 10;

export async function scheduleCommand(args: ParsedArgs, io: CliIO): Promise<number> {
  const [file] = args.positional;
  if (args.positional.length > 1) throw new UsageError("`dslc schedule` reads one file at a time");
  const epochs = integerFlag(args, "epochs", 1);
  const compiled = compileToRun(file!, { epochs }, args, io, `\`${file}\` has no \`train\` block with a schedule to show`);
  if (!compiled) return 1;
  const { program } = compiled;
  // A lowered program has a known run length (the checker's).
  const run = { stepsPerEpoch: compiled.frontend.check.train!.stepsPerEpoch!, totalSteps: program.loop.steps };
  if (program.schedule.plateau) {
    io.stdout(`the learning rate starts at ${program.optimizer.lr} and follows \`${program.schedule.plateau.monitor}\` (plateau): it is known only while training\n`);
    return 0;
  }
  const trace = scheduleTrace(program, { stepsPerEpoch: run.stepsPerEpoch, totalSteps: run.totalSteps });
  if (args.flags.has("json")) {
    io.stdout(JSON.stringify({ steps: trace.lr.length, steps_per_epoch: trace.stepsPerEpoch, lr: trace.lr, ...(trace.momentum ? { momentum: trace.momentum } : {}) }) + "\n");
    return 0;
  }
  const epochsRun = Math.ceil(trace.lr.length / trace.stepsPerEpoch);
  io.stdout(`learning rate of ${program.model} over ${trace.lr.length} steps (${epochsRun} epoch${epochsRun === 1 ? "" : "s"} of ${trace.stepsPerEpoch} steps)\n\n`);
  io.stdout(terminalChart(trace.lr, trace.lr.length) + "\n");
  io.stdout(summary(trace) + "\n");
  if (trace.momentum) io.stdout(`\nmomentum (cycled by the schedule)\n\n${terminalChart(trace.momentum, trace.lr.length)}\n`);
  const svgFile = (args.flags.get("svg") as string | undefined) ?? `${path.basename(file!, path.extname(file!))}.schedule.svg`;
  writeFileAtomic(svgFile, await scheduleSvg(trace, program.model));
  io.stdout(`\nwrote ${svgFile}\n`);
  return 0;
}

/** The values sampled at WIDTH evenly spaced steps (the first and last included), with a step axis below. */
function terminalChart(values: number[], steps: number): string {
  const columns = Math.min(WIDTH, values.length);
  const sampled = Array.from({ length: columns }, (_, k) => values[Math.round((k * (values.length - 1)) / Math.max(1, columns - 1))]!);
  const chart = asciichart.plot(sampled, { height: HEIGHT, format: (x: number) => x.toExponential(2).padStart(10) });
  const indent = " ".repeat(12);
  const last = `step ${steps}`;
  return `${chart}\n${indent}step 1${last.padStart(Math.max(last.length + 1, columns - "step 1".length))}`;
}

function summary(trace: ScheduleTrace): string {
  const { lr } = trace;
  const peak = lr.reduce((best, v, i) => (v > lr[best]! ? i : best), 0);
  const low = lr.reduce((best, v, i) => (v < lr[best]! ? i : best), 0);
  return [`first ${lr[0]!.toExponential(3)}`, `highest ${lr[peak]!.toExponential(3)} at step ${peak + 1}`, `lowest ${lr[low]!.toExponential(3)} at step ${low + 1}`, `last ${lr.at(-1)!.toExponential(3)}`].join(", ");
}

function scheduleSvg(trace: ScheduleTrace, model: string): Promise<string> {
  const series = [{ name: "learning rate", points: trace.lr.map((lr, i): [number, number] => [i + 1, lr]) }];
  return lineChartSvg({ title: `Learning rate of ${model}, step by step`, x: { title: "step" }, y: { title: "learning rate" }, series });
}
