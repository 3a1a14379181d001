// One independent ensemble member in a worker process (member-worker.ts): the file compiled with the same
// overrides as the parent compiled it (so the same program, seed and data split), turned into the member's
// program by the same memberProgram, trained and measured by the same trainMember as the sequential path,
// so a member's weights and predictions do not depend on where it ran. Checkpoints are off (members
// running at once would write one folder); the parent writes the report and the ensemble's files.
import { compileProgram } from "../../compiler/compile.js";
import type { TrainOverrides } from "../../compiler/check/train.js";
import { planKernels, UnsupportedOnWebGpu } from "../../codegen/wgsl/plan.js";
import { defaultMatmulConfig } from "../../codegen/wgsl/matmul.js";
import { cpuBackend } from "../../runtime/cpu/train.js";
import { trainMember, type MemberResult, type WithBackend } from "../../runtime/ensemble/train.js";
import type { TrainingWarning } from "../../runtime/babysitting.js";
import { TrainingAborted } from "../../runtime/loop.js";
import { NoAdapterError } from "../../runtime/webgpu/device.js";
import { withWebGpuBackend } from "../../runtime/webgpu/train.js";

export interface MemberJob {
  text: string;
  /** Absolute: the worker may run in another folder. */
  path: string;
  overrides: TrainOverrides;
  member: number;
  /** --backend: undefined chooses WebGPU when an adapter exists, else the CPU. */
  backend: string | undefined;
  adapter: string | undefined;
  /** Record the run's history for the report. */
  record: boolean;
}

export type MemberJobResult =
  | { ok: true; result: MemberResult; warnings: TrainingWarning[]; notes: string[] }
  | { ok: false; reason: string; code?: TrainingAborted["code"]; help?: string; epoch?: number; step?: number };

/**
 * Backends as `dslc train` chooses them: `backend` if given, else WebGPU, falling back to the CPU (with a
 * note) when there is no adapter or the program needs what WebGPU lacks.
 */
export function chooseBackend(backend: string | undefined, adapter: string | undefined, note: (message: string) => void): WithBackend {
  let onCpu = backend === "cpu";
  return async (p, use) => {
    if (!onCpu) {
      try {
        return await withWebGpuBackend(p, (gpu) => planKernels(p, { matmul: (shape) => defaultMatmulConfig(shape, gpu.kind) }), { adapter }, use);
      } catch (error) {
        if (backend !== undefined || !(error instanceof NoAdapterError || error instanceof UnsupportedOnWebGpu)) throw error;
        note(`note: ${error.message}; training on the CPU reference backend instead (choose with --backend)\n`);
        onCpu = true;
      }
    }
    return use(cpuBackend(p));
  };
}

export async function runMemberJob(job: MemberJob): Promise<MemberJobResult> {
  const compiled = compileProgram(job.text, job.path, undefined, job.overrides);
  const error = compiled.diagnostics.find((d) => d.severity === "error");
  if (!compiled.program || error) return { ok: false, reason: error ? `${error.code}: ${error.message}` : "the file did not compile" };
  const program = { ...compiled.program, loop: { ...compiled.program.loop, checkpoint: undefined, report: undefined } };
  const warnings: TrainingWarning[] = [];
  const notes: string[] = [];
  try {
    const withBackend = chooseBackend(job.backend, job.adapter, (n) => notes.push(n));
    const result = await trainMember(program, job.member, withBackend, { onWarning: (w) => warnings.push(w), sourceFile: job.path }, job.record);
    return { ok: true, result, warnings, notes };
  } catch (error) {
    if (error instanceof TrainingAborted) return { ok: false, reason: error.message, code: error.code, help: error.help, epoch: error.epoch, ...(error.step !== undefined && { step: error.step }) };
    return { ok: false, reason: error instanceof Error ? error.message : String(error) };
  }
}
