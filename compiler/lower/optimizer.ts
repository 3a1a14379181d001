// Lowering the optimizer call to the runtime's OptimizerSpec (PyTorch's names mapped to the runtime's).
import type { ResolvedCall } from "../builtins/types.js";
import type { DiagnosticBag } from "../diagnostics/diagnostic.js";
import type { OptimizerSpec } from "../../runtime/cpu/optimizers.js";
import { lowerCall, refuse, type ArgReader } from "./reader.js";
import { NOT_YET } from "./support.js";

export function lowerOptimizer(call: ResolvedCall, groups: ResolvedCall[], diagnostics: DiagnosticBag): OptimizerSpec | undefined {
  for (const group of groups) return refuse(diagnostics, group.span, "`group`", NOT_YET["group"]);
  return lowerCall(call, "the optimizer ", diagnostics, specOf);
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
