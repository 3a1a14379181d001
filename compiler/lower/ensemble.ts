// Lowering the `ensemble` setting. A snapshot ensemble's cycle ends are worked out here, once, from the
// lowered schedule and the run's length, so that what `dslc check` reports and what `dslc train` keeps are
// the same steps (E0810 without a cycling schedule, E0811 with fewer cycles than snapshots).
import { isResolvedCall } from "../builtins/types.js";
import type { ElaboratedTrain, RunLength } from "../check/elaborated.js";
import type { DiagnosticBag } from "../diagnostics/diagnostic.js";
import type { EnsembleSpec, Program } from "../../runtime/program.js";
import type { ScheduleSpec } from "../../runtime/schedules.js";
import { lowerCall } from "./reader.js";

/** The ensemble, `undefined` for a single model, or `false` when it was refused (a diagnostic reported). */
export function lowerEnsemble(train: ElaboratedTrain, run: RunLength, schedule: Program["schedule"] | undefined, diagnostics: DiagnosticBag): EnsembleSpec | undefined | false {
  const value = train.settings.get("ensemble");
  if (!isResolvedCall(value)) return undefined;
  const lowered = lowerCall(value, "", diagnostics, (a): EnsembleSpec => {
    if (a.call.builtin === "independent") return { kind: "independent", members: a.num("members") };
    const last = a.num("last", true);
    return { kind: "snapshot", ...(last !== undefined && { last }), cycleEnds: [] };
  });
  if (!lowered) return false;
  if (lowered.kind === "independent" || !schedule) return lowered;
  const span = train.writtenSettings.get("ensemble") ?? value.span;
  const ends = schedule.plateau ? [] : cycleEnds(schedule.spec, schedule.per, run);
  const cycling = !schedule.plateau && hasCycles(schedule.spec);
  if (!cycling) {
    diagnostics.add("E0810", span, "`snapshot` keeps the weights at the end of each SGDR or cyclic cycle, but this schedule has no cycles", {
      label: "no cycle ends to keep",
      help: "add a schedule with restarts, e.g. `schedule = sgdr(t0: 5 epochs)`, or train independent members with `ensemble = independent(members: 5)`",
    });
    return false;
  }
  const needed = lowered.last ?? 2;
  if (ends.length < needed) {
    const length = `${run.epochs} epoch${run.epochs === 1 ? "" : "s"} (${run.totalSteps} steps)`;
    diagnostics.add("E0811", span, `\`snapshot\` averages ${lowered.last === undefined ? "at least 2" : `the last ${needed}`} cycle ends, but the schedule completes ${ends.length === 0 ? "no cycle" : `only ${ends.length} cycle${ends.length === 1 ? "" : "s"}`} in the run's ${length}`, {
      label: ends.length === 0 ? "no cycle ends within the run" : `cycles end after steps ${ends.join(", ")}`,
      help: ends.length >= 1 && lowered.last !== undefined ? `lower \`last\` to ${ends.length}, shorten the cycles (\`t0\` of \`sgdr\`, \`step_size_up\` of \`cyclic\`), or train longer` : "shorten the cycles (`t0` of `sgdr`, `step_size_up` of `cyclic`), or train longer",
    });
    return false;
  }
  return { ...lowered, cycleEnds: ends };
}

function hasCycles(spec: ScheduleSpec): boolean {
  if (spec.kind === "sgdr" || spec.kind === "cyclic") return true;
  return spec.kind === "sequence" && spec.parts.some((p) => hasCycles(p.schedule));
}

/**
 * Optimizer steps taken when each complete cycle ends (the weights after that step are the snapshot): SGDR
 * restarts when its position reaches the period (t0, then ×t_mult), counted in steps or in epochs by its
 * cadence; a cyclic schedule's cycle is 2·step_size_up steps, back at base_lr. Inside `then`, each part
 * counts from its own start and only its complete cycles within its length count.
 */
export function cycleEnds(spec: ScheduleSpec, per: "step" | "epoch", run: RunLength): number[] {
  const parts = spec.kind === "sequence" ? spec.parts : [{ schedule: spec, length: run.totalSteps, per }];
  const ends: number[] = [];
  let start = 0;
  for (const [index, part] of parts.entries()) {
    const end = index === parts.length - 1 ? run.totalSteps : Math.min(run.totalSteps, start + part.length);
    const s = part.schedule;
    // Boundaries in the part's own units (steps, or epochs begun since the part started).
    const boundaries: number[] = [];
    const limit = part.per === "step" ? end - start : Math.floor(end / run.stepsPerEpoch) - Math.floor(start / run.stepsPerEpoch);
    if (s.kind === "sgdr") {
      for (let at = s.t0, period = s.t0; at <= limit; period *= s.tMult, at += period) boundaries.push(at);
    } else if (s.kind === "cyclic") {
      for (let at = 2 * s.stepSizeUp; at <= limit; at += 2 * s.stepSizeUp) boundaries.push(at);
    }
    for (const b of boundaries) {
      const step = part.per === "step" ? start + b : (Math.floor(start / run.stepsPerEpoch) + b) * run.stepsPerEpoch;
      if (step > start && step <= end) ends.push(step);
    }
    start = end;
  }
  return ends;
}
