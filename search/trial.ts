// One trial, as `dslc train` would run it: the file compiled with the sampled values as `let` overrides
// and the stage's epochs, then trained. Checkpoints and reports are turned off: parallel trials of one
// file would write to the same paths, and a trial is measured, not kept.
import { compileProgram } from "../compiler/compile.js";
import { trainWebGpu } from "../cli/backends.js";
import { trainCpu } from "../runtime/cpu/train.js";
import { TrainingAborted, type DoneReport, type EpochReport } from "../runtime/loop.js";
import type { TrialOutcome } from "./study.js";
import type { ParamValue } from "./space.js";

export interface TrialSpec {
  text: string;
  path: string;
  params: Record<string, ParamValue>;
  epochs: number;
  metric: string;
  backend: "cpu" | "webgpu";
}

export async function runTrial(spec: TrialSpec): Promise<TrialOutcome> {
  const start = performance.now();
  const seconds = () => (performance.now() - start) / 1000;
  const compiled = compileProgram(spec.text, spec.path, undefined, { lets: spec.params, epochs: spec.epochs });
  const error = compiled.diagnostics.find((d) => d.severity === "error");
  if (!compiled.program || error) return { failed: error ? `${error.code}: ${error.message}` : "the file did not compile", seconds: seconds() };
  const program = { ...compiled.program, loop: { ...compiled.program.loop, checkpoint: undefined, report: undefined } };
  let last: EpochReport | undefined;
  try {
    const options = { onEpoch: (e: EpochReport) => (last = e) };
    const done: DoneReport = spec.backend === "cpu" ? await trainCpu(program, options) : await trainWebGpu(program, options);
    const metric = (done as unknown as Record<string, unknown>)[spec.metric] ?? (last as unknown as Record<string, unknown> | undefined)?.[spec.metric];
    if (typeof metric !== "number") return { failed: `\`${spec.metric}\` was not measured (does the data have a validation split?)`, seconds: seconds() };
    if (!Number.isFinite(metric)) return { failed: `\`${spec.metric}\` is ${metric}`, seconds: seconds() };
    return { metric, seconds: seconds() };
  } catch (error) {
    if (error instanceof TrainingAborted) return { failed: `${error.code}: ${error.message}`, seconds: seconds() };
    return { failed: error instanceof Error ? error.message : String(error), seconds: seconds() };
  }
}
