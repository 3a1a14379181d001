// Lowering the learning-rate schedule to the runtime's ScheduleSpec. Each part advances at its own cadence
// (`per: step` or `per: epoch`; warmup, cyclic and one_cycle every step); durations are converted to that
// cadence's units, and lengths left out run to the end of the run. The checker has already made sure that
// every part of a sequence but the last has a length and that step durations fit per-epoch parts
// (check/optimization.ts, whose `scheduleCadence` and `partLength` this uses).
import type { Duration, ResolvedCall } from "../builtins/types.js";
import type { RunLength } from "../check/elaborated.js";
import { partLength, scheduleCadence } from "../check/optimization.js";
import type { DiagnosticBag } from "../diagnostics/diagnostic.js";
import type { Metric, PlateauSpec, Program } from "../../runtime/program.js";
import type { ScheduleSpec } from "../../runtime/schedules.js";
import { lowerCall, refuse, type ArgReader } from "./reader.js";

type Cadence = "step" | "epoch";

/** A duration in units of the cadence: steps, or epochs. */
function inUnits(duration: Duration, per: Cadence, run: RunLength): number {
  if (per === "step") return duration.unit === "steps" ? duration.count : duration.count * run.stepsPerEpoch;
  return duration.unit === "epochs" ? duration.count : Math.round(duration.count / run.stepsPerEpoch);
}

export function lowerSchedule(parts: ResolvedCall[], run: RunLength, diagnostics: DiagnosticBag): Program["schedule"] | undefined {
  if (parts.length === 0) return { spec: { kind: "constant" }, per: "step" };
  const plateauPart = parts.find((call) => call.builtin === "plateau");
  if (plateauPart) {
    // Its rate depends on measurements, not on the step, so it has no length to hand over to a next part.
    if (parts.length > 1) return refuse(diagnostics, plateauPart.span, "`plateau` in a `then` sequence", "use `plateau(…)` as the whole schedule");
    const plateau = lowerCall(plateauPart, "the schedule ", diagnostics, plateauSpec);
    return plateau && { spec: { kind: "constant" }, per: "epoch", plateau };
  }
  const lowered: { schedule: ScheduleSpec; length: number; per: Cadence }[] = [];
  let start = 0;
  for (const [index, call] of parts.entries()) {
    const per = scheduleCadence(call);
    const restSteps = Math.max(1, run.totalSteps - start);
    const rest = per === "step" ? restSteps : Math.max(1, Math.ceil(restSteps / run.stepsPerEpoch));
    const schedule = lowerCall(call, "the schedule ", diagnostics, (a) => {
      if (call.args.has("per")) a.value("per");
      return partSpec(a, per, rest, run);
    });
    if (!schedule) return undefined;
    const length = index === parts.length - 1 ? restSteps : partLength(call, run)!;
    lowered.push({ schedule, length, per });
    start += length;
  }
  if (lowered.length === 1) return { spec: lowered[0]!.schedule, per: lowered[0]!.per };
  return { spec: { kind: "sequence", parts: lowered, stepsPerEpoch: run.stepsPerEpoch }, per: "step" };
}

function plateauSpec(a: ArgReader): PlateauSpec {
  return {
    monitor: a.str("monitor") as Metric,
    mode: a.str("mode") as "min" | "max",
    factor: a.num("factor"),
    patience: a.num("patience"),
    threshold: a.num("threshold"),
    cooldown: a.num("cooldown"),
    minLr: a.num("min_lr"),
  };
}

function partSpec(a: ArgReader, per: Cadence, rest: number, run: RunLength): ScheduleSpec {
  const units = (name: string) => inUnits(a.duration(name)!, per, run);
  const unitsOr = (name: string, fallback: number) => (a.duration(name) ? units(name) : fallback);
  const momentum = () => ({ cycleMomentum: a.bool("cycle_momentum"), baseMomentum: a.num("base_momentum"), maxMomentum: a.num("max_momentum") });
  switch (a.call.builtin) {
    case "constant":
      return { kind: "constant" };
    case "step":
      return { kind: "step", stepSize: units("step_size"), gamma: a.num("gamma") };
    case "multistep":
      return { kind: "multistep", milestones: a.value("milestones") as number[], gamma: a.num("gamma") };
    case "exponential": {
      const k = a.num("k", true);
      return k !== undefined ? { kind: "exponential_k", k } : { kind: "exponential", gamma: a.num("gamma") };
    }
    case "inverse_time":
      return { kind: "inverse_time", k: a.num("k") };
    case "inv":
      return { kind: "inv", gamma: a.num("gamma"), power: a.num("power") };
    case "poly":
      return { kind: "poly", power: a.num("power"), total: unitsOr("over", rest) };
    case "linear":
      return { kind: "linear", to: a.num("to"), total: unitsOr("over", rest) };
    case "cosine":
      return { kind: "cosine", etaMin: a.num("to", true) ?? a.num("eta_min"), tMax: unitsOr("t_max", rest) };
    case "sgdr":
      return { kind: "sgdr", t0: units("t0"), tMult: a.num("t_mult"), etaMin: a.num("eta_min") };
    case "warmup":
      return { kind: "warmup", duration: Math.min(units("duration"), rest), from: a.num("from") };
    case "one_cycle": {
      const anneal = a.str("anneal") === "linear" ? "linear" : "cos";
      return { kind: "one_cycle", maxLr: a.num("max_lr"), total: rest, pctStart: a.num("pct_start"), divFactor: a.num("div_factor"), finalDivFactor: a.num("final_div_factor"), anneal, ...momentum() };
    }
    case "cyclic": {
      const mode = a.str("mode") as "triangular" | "triangular2" | "exp_range";
      return { kind: "cyclic", baseLr: a.num("base_lr"), maxLr: a.num("max_lr"), stepSizeUp: units("step_size_up"), mode, gamma: a.num("gamma"), ...momentum() };
    }
    default:
      throw new Error(`internal: no lowering for the schedule \`${a.call.builtin}\``);
  }
}
