// Lowering the optimizer call to the runtime's OptimizerSpec (PyTorch's names mapped to the runtime's).
import type { ResolvedCall } from "../builtins/types.js";
import type { DiagnosticBag } from "../diagnostics/diagnostic.js";
import type { OptimizerSpec } from "../../runtime/cpu/optimizers.js";
import { lowerCall, refuse, type ArgReader } from "./reader.js";
import type { Program } from "../../runtime/program.js";
import { groupScheduleProblem, type ParamGroupSpec } from "../../runtime/param-groups.js";

export function lowerOptimizer(call: ResolvedCall, groups: ResolvedCall[], diagnostics: DiagnosticBag): OptimizerSpec | undefined {
  const spec = lowerCall(call, "the optimizer ", diagnostics, specOf);
  const lowered = groups.map((group) => lowerCall(group, "", diagnostics, groupOf));
  if (!spec || lowered.some((g) => g === undefined)) return undefined;
  return lowered.length ? { ...spec, groups: lowered as ParamGroupSpec[] } : spec;
}

/** `group(on, lr, weight_decay, momentum)`: the options given override the optimizer's for the parameters `on` selects. */
function groupOf(a: ArgReader): ParamGroupSpec {
  const on = a.value("on");
  const group: ParamGroupSpec = { on: Array.isArray(on) ? (on as string[]) : [on as string] };
  const lr = a.num("lr", true);
  const weightDecay = a.num("weight_decay", true);
  const momentum = a.num("momentum", true);
  if (lr !== undefined) group.lr = lr;
  if (weightDecay !== undefined) group.weightDecay = weightDecay;
  // The checker refuses a group's momentum for optimizers without one (compiler/check/optimization.ts).
  if (momentum !== undefined) group.momentum = momentum;
  return group;
}

/**
 * Refuses (E0601) groups whose options a schedule has no per-group meaning for: a group's own lr under a
 * schedule that sets absolute rates, or a group's momentum under one that cycles it. For program lowering
 * (compiler/lower/program.ts) to call once both the optimizer and the schedule are lowered; the backends
 * refuse such a program too (assertGroupsTrainable in runtime/param-groups.ts), with an error, not a diagnostic.
 */
export function refuseGroupSchedule(groups: ResolvedCall[], optimizer: OptimizerSpec, schedule: Program["schedule"], diagnostics: DiagnosticBag): boolean {
  const problem = groupScheduleProblem(optimizer, schedule);
  if (problem === undefined) return false;
  refuse(diagnostics, groups[problem.group]?.span, `\`group\` with its own ${problem.option} under this schedule`, problem.reason);
  return true;
}

function betas(a: ArgReader): { beta1: number; beta2: number } {
  const [beta1, beta2] = a.value("betas") as number[];
  return { beta1: beta1!, beta2: beta2! };
}

function specOf(a: ArgReader): OptimizerSpec {
  const lr = a.num("lr");
  const weightDecay = a.num("weight_decay");
  switch (a.call.builtin) {
    case "sgd":
      return { kind: "sgd", lr, momentum: a.num("momentum"), dampening: a.num("dampening"), nesterov: a.bool("nesterov"), weightDecay };
    case "adam":
    case "adamw":
      return { kind: a.call.builtin, lr, ...betas(a), eps: a.num("eps"), weightDecay, amsgrad: a.bool("amsgrad") };
    case "adagrad":
      return { kind: "adagrad", lr, lrDecay: a.num("lr_decay"), initialAccumulatorValue: a.num("initial_accumulator_value"), eps: a.num("eps"), weightDecay };
    case "rmsprop":
      return { kind: "rmsprop", lr, alpha: a.num("alpha"), eps: a.num("eps"), centered: a.bool("centered"), momentum: a.num("momentum"), weightDecay };
    case "adadelta":
      return { kind: "adadelta", lr, rho: a.num("rho"), eps: a.num("eps"), weightDecay };
    case "adamax":
      return { kind: "adamax", lr, ...betas(a), eps: a.num("eps"), weightDecay };
    case "nadam":
      return { kind: "nadam", lr, ...betas(a), eps: a.num("eps"), weightDecay, momentumDecay: a.num("momentum_decay") };
    default:
      throw new Error(`internal: no lowering for the optimizer \`${a.call.builtin}\``);
  }
}
