// Checking the optimizer (with its `group(…)` stages) and the learning-rate schedule of a `train` block, and
// the lints that catch a wasted run before it starts: a warmup or restart period longer than the run,
// plateau patience beyond it, momentum cycling with an optimizer that has no momentum.
import type * as A from "../../grammar/ast.js";
import { isDuration, type ResolvedCall } from "../builtins/types.js";
import { checkReference, type ArgScope } from "./args.js";
import type { CheckContext } from "./context.js";
import { durationInSteps, type RunLength } from "./elaborated.js";

/** Schedules that advance every optimizer step whatever their `per` says (they are defined per batch). */
const PER_STEP = new Set(["warmup", "cyclic", "one_cycle"]);

/** Arguments that give a schedule part its length, so that a part after it (`then`) can start. */
const LENGTH_ARGUMENT: Record<string, string> = { warmup: "duration", poly: "over", linear: "over", cosine: "t_max" };

/** How often a schedule advances: every optimizer step, or once per epoch. */
export function scheduleCadence(call: ResolvedCall): "step" | "epoch" {
  return PER_STEP.has(call.builtin) ? "step" : call.args.get("per") === "step" ? "step" : "epoch";
}

/** The length in steps of a schedule part that has one (`warmup(100 steps)`, `cosine(t_max: 5 epochs)`). */
export function partLength(call: ResolvedCall, run: RunLength): number | undefined {
  const name = LENGTH_ARGUMENT[call.builtin];
  const value = name === undefined ? undefined : call.args.get(name);
  return isDuration(value) ? durationInSteps(value, run) : undefined;
}

/** Optimizers whose update has a momentum or β₁ that `cyclic` and `one_cycle` can cycle (as PyTorch checks). */
const HAS_MOMENTUM = new Set(["sgd", "rmsprop", "adam", "adamw", "adamax", "nadam"]);

/** Optimizers with a `momentum` option that a `group(…)` can override. */
const GROUP_MOMENTUM = new Set(["sgd", "rmsprop"]);

export function checkOptimizer(expr: A.Expr, ctx: CheckContext, scope: ArgScope): { call?: ResolvedCall; groups: ResolvedCall[] } {
  const stages = expr.kind === "Pipeline" ? expr.stages : [expr];
  const call = checkReference(stages[0]!, "optimizer", ctx, scope, "optimizer");
  if (call?.builtin === "sgd" && call.args.get("nesterov") === true) {
    const momentum = call.args.get("momentum");
    const dampening = call.args.get("dampening");
    if (momentum === 0 || (typeof dampening === "number" && dampening !== 0)) {
      ctx.report("E0202", stages[0]!.span, "Nesterov momentum needs `momentum` > 0 and `dampening` 0", {
        label: "nesterov without momentum",
        help: "add `momentum: 0.9`",
      });
    }
  }
  const groups = stages.slice(1).flatMap((stage) => checkReference(stage, "optimizer_modifier", ctx, scope, "optimizer option") ?? []);
  for (const group of groups) {
    // PyTorch would keep a group's `momentum` for an optimizer without one and never read it.
    const momentum = group.written.get("momentum");
    if (call && momentum && !GROUP_MOMENTUM.has(call.builtin)) {
      ctx.report("E0103", momentum, `\`${call.builtin}\` has no momentum option for a group to set`, {
        label: "never read",
        labels: [{ span: call.span, message: "no `momentum` argument (the Adam family's β₁ is the first of `betas`)" }],
        help: "remove the group's `momentum` (only `sgd` and `rmsprop` have one)",
      });
    }
  }
  return { call, groups };
}

export function checkSchedule(expr: A.Expr, ctx: CheckContext, scope: ArgScope, run: RunLength | undefined, optimizer: ResolvedCall | undefined): ResolvedCall[] {
  const parts = expr.kind === "Sequence" ? expr.parts : [expr];
  const resolved: ResolvedCall[] = [];
  for (const [index, part] of parts.entries()) {
    const call = checkReference(part, "schedule", ctx, scope, "schedule");
    if (!call) continue;
    resolved.push(call);
    if (index < parts.length - 1 && LENGTH_ARGUMENT[call.builtin] !== undefined && !isDuration(call.args.get(LENGTH_ARGUMENT[call.builtin]!))) {
      const name = LENGTH_ARGUMENT[call.builtin]!;
      ctx.report("E0409", part.span, `\`${call.builtin}\` runs to the end of the run, so what follows \`then\` never starts`, {
        label: "no length",
        help: `give it a length, e.g. \`${call.builtin}(${name}: 10 epochs)\``,
      });
    } else if (index < parts.length - 1 && LENGTH_ARGUMENT[call.builtin] === undefined) {
      ctx.report("E0409", part.span, `\`${call.builtin}\` has no length, so what follows \`then\` never starts`, {
        label: "never ends",
        help: "put it last, or before it use a part with a length: `warmup`, `cosine(t_max: …)`, `linear(over: …)` or `poly(over: …)`",
      });
    }
    if (run) {
      lintAgainstRun(call, part, ctx, run);
      checkStepsFitEpochs(call, ctx, run);
    }
    if (optimizer && call.args.get("cycle_momentum") === true && !HAS_MOMENTUM.has(optimizer.builtin)) {
      ctx.report("E0202", part.span, `\`${call.builtin}\` cycles the momentum, but \`${optimizer.builtin}\` has none`, {
        label: "nothing to cycle",
        labels: [{ span: optimizer.span, message: "this optimizer has no momentum or β₁" }],
        help: "add `cycle_momentum: false`, or use an optimizer with momentum (sgd, rmsprop, adam, …)",
      });
    }
  }
  return resolved;
}

/** A per-epoch part can only count whole epochs: a duration in steps must be a multiple of the epoch. */
function checkStepsFitEpochs(call: ResolvedCall, ctx: CheckContext, run: RunLength): void {
  if (scheduleCadence(call) !== "epoch") return;
  for (const [name, value] of call.args) {
    if (!isDuration(value) || value.unit !== "steps" || value.count % run.stepsPerEpoch === 0) continue;
    ctx.report("E0202", call.written.get(name) ?? call.span, `\`${name}\` is ${value.count} steps, but \`${call.builtin}\` advances once per epoch (${run.stepsPerEpoch} steps)`, {
      label: "not a whole number of epochs",
      help: `write it in epochs, or add \`per: step\` to \`${call.builtin}\``,
    });
  }
}

function lintAgainstRun(call: ResolvedCall, part: A.Expr, ctx: CheckContext, run: RunLength): void {
  const total = run.totalSteps;
  if (call.builtin === "warmup") {
    const duration = call.args.get("duration");
    const steps = isDuration(duration) ? durationInSteps(duration, run) : undefined;
    if (steps !== undefined && steps >= total) {
      ctx.report("W0102", part.span, `the warmup lasts ${steps} steps, but the whole run is ${total} steps`, {
        label: "longer than the run",
        help: `shorten it to about 5% of the run (${Math.max(1, Math.round(total / 20))} steps)`,
      });
    }
  }
  if (call.builtin === "sgdr") {
    const t0 = call.args.get("t0");
    if (isDuration(t0) && durationInSteps(t0, run) >= total) {
      ctx.report("W0103", part.span, `the first restart period (${t0.count} ${t0.unit}) is as long as the whole run`, {
        label: "never restarts",
        help: "choose t0 so that several cycles fit in the run",
      });
    }
  }
  if (call.builtin === "plateau") {
    const patience = call.args.get("patience");
    if (typeof patience === "number" && patience >= run.epochs) {
      ctx.report("W0104", part.span, `plateau patience is ${patience} epochs, but the run has only ${run.epochs}`, {
        label: "can never trigger",
        help: `lower \`patience\` below ${run.epochs}`,
      });
    }
  }
}
