// The learning rate (and the momentum a schedule cycles) at every step of a run, computed without training:
// `dslc schedule` plots it, and the training loop takes each step's values from the same function.
import type { Program } from "./program.js";
import { scheduleAt, type StepHyperparameters } from "./schedules.js";

/** The schedule's values for optimizer step `step` (0-based) of epoch `epoch`; not for `plateau`, which follows a metric. */
export function stepHyperparameters(program: Program, step: number, epoch: number): StepHyperparameters {
  return scheduleAt(program.schedule.spec, program.optimizer.lr, program.schedule.per === "step" ? step : epoch);
}

export interface ScheduleTrace {
  lr: number[];
  /** Present when the schedule cycles the momentum (or β₁) on some step. */
  momentum?: number[];
  stepsPerEpoch: number;
}

/** Every step of a run of `totalSteps` steps with `stepsPerEpoch` steps per epoch (the checker's run length). */
export function scheduleTrace(program: Program, run: { stepsPerEpoch: number; totalSteps: number }): ScheduleTrace {
  const values = Array.from({ length: run.totalSteps }, (_, step) => stepHyperparameters(program, step, Math.floor(step / run.stepsPerEpoch)));
  const cycled = values.some((v) => v.momentum !== undefined);
  return { lr: values.map((v) => v.lr), momentum: cycled ? values.map((v) => v.momentum ?? NaN) : undefined, stepsPerEpoch: run.stepsPerEpoch };
}
