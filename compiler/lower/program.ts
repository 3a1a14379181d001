// Lowering a checked file to a training Program: the elaborated model's graph plus loss, its gradients
// (autodiff), the optimizer, the schedule, the data pipeline and the loop settings. It consumes only the
// checker's elaboration (check/elaborated.ts); every argument and setting either reaches the Program or is
// refused with E0601 (reader.ts, support.ts).
import * as path from "node:path";
import { TRAIN_SETTINGS } from "../builtins/training.js";
import { isDuration, isResolvedCall, type ArgValue } from "../builtins/types.js";
import type { CheckResult } from "../check/check.js";
import { durationInSteps, type ElaboratedTrain, type LossTerm, type RunLength, type TensorNode } from "../check/elaborated.js";
import { lookupBuiltin } from "../builtins/registry.js";
import type { ResolvedCall } from "../builtins/types.js";
import type { OptimizerSpec } from "../../runtime/cpu/optimizers.js";
import type { DiagnosticBag, Span } from "../diagnostics/diagnostic.js";
import { differentiate } from "../graph/autodiff.js";
import type { ClipSpec, DataSpec, EarlyStopping, LoopSpec, Metric, Program } from "../../runtime/program.js";
import { lowerData } from "./data.js";
import { expectedInitialLoss, lowerLoss, selected } from "./loss.js";
import { ModelLowering } from "./model.js";
import { lowerOptimizer, refuseGroupSchedule, refuseWithLbfgs } from "./optimizer.js";
import { lowerCompat, modelForLowering } from "./compat.js";
import { lowerCall, refuse } from "./reader.js";
import { lowerSchedule } from "./schedule.js";
import { lowerEnsemble } from "./ensemble.js";
import { SETTINGS_NOT_YET } from "./support.js";

/** Lowers the file's `train` block; reports what the backends cannot run as E0601. */
export function lowerProgram(check: CheckResult, diagnostics: DiagnosticBag, filePath: string, spans = new Map<number, Span>()): Program | undefined {
  // A `search` block is not lowered: `dslc train` trains once with the `let` values (and says so), and
  // `dslc search` lowers one Program per trial with the sampled values as `let` overrides.
  const train = check.train?.elaborated;
  if (!train) return undefined;
  // Everything is lowered even after a refusal, so that one run names every construct it cannot train yet.
  const data = lowerData(train.data.source, train.data.transforms, path.dirname(path.resolve(filePath)), diagnostics);
  if (data && !train.run) throw new Error("internal: the run length of a readable data source is unknown");
  const extras: LoopExtras = {};
  const loop = train.run && lowerLoop(train, train.run, diagnostics, extras);
  if (loop && loop.report) loop.report.path = path.resolve(path.dirname(path.resolve(filePath)), loop.report.path);
  if (loop && loop.checkpoint) loop.checkpoint.path = path.resolve(path.dirname(path.resolve(filePath)), loop.checkpoint.path);
  const declaredOptimizer = lowerCompat(lowerOptimizer(train.optimizer, train.optimizerGroups, diagnostics), train, diagnostics);
  const schedule = train.run && lowerSchedule(train.schedule, train.run, diagnostics);
  const groupsRefused = declaredOptimizer && schedule ? refuseGroupSchedule(train.optimizerGroups, declaredOptimizer, schedule, diagnostics) : false;
  const lbfgsRefused = refuseWithLbfgs(train, declaredOptimizer, diagnostics);
  const ensemble = train.run && lowerEnsemble(train, train.run, schedule, diagnostics);
  const overfit = train.overfit !== undefined && data && declaredOptimizer ? overfitMode(train.overfit, data, train.loss, declaredOptimizer, extras, train.model) : undefined;
  const optimizer = overfit ? overfit.optimizer : declaredOptimizer;
  const lossTerms = overfit ? overfit.loss : train.loss;
  const lowering = new ModelLowering(diagnostics, !overfit);
  const lowered = lowering.lower(modelForLowering(train));
  for (const [node, span] of lowering.spans) spans.set(node, span);
  if (!lowered) return undefined;
  const g = lowering.b;
  const outShape = g.shape(lowered.output);
  const labelShape = train.task === "classification" ? ["N" as const] : outShape;
  const labels = g.add("input", [], labelShape, { shape: labelShape }, "labels");
  const loss = lowerLoss(lossTerms, lowering, lowered.output, labels, diagnostics);
  if (loss === undefined || !data || !optimizer || !schedule || !loop || groupsRefused || lbfgsRefused || ensemble === false) return undefined;
  const grads = differentiate(lowering.graph, loss);
  return {
    model: train.model.name,
    nodes: lowering.graph.nodes,
    input: lowered.input,
    labels,
    output: lowered.output,
    loss,
    paramGrads: grads.params,
    sideEffects: lowered.sideEffects,
    params: lowering.graph.params,
    state: lowering.graph.state,
    task: train.task,
    initialLoss: train.task === "classification" && typeof outShape[1] === "number" ? expectedInitialLoss(lossTerms, outShape[1], lowering) : undefined,
    optimizer,
    ...(extras.clip && { clip: extras.clip }),
    ...(extras.maxNorm && !overfit && { maxNorm: { value: extras.maxNorm.value, params: selected(extras.maxNorm.on, lowering) } }),
    schedule,
    data: overfit ? overfit.data : data,
    loop,
    ...(overfit && { overfit: { examples: train.overfit!, turnedOff: overfit.turnedOff } }),
    ...(ensemble && { ensemble }),
  };
}

/**
 * The notes' "overfit a tiny subset" check: the first `examples` training examples (after the fitted
 * transforms), with every regularizer off: penalty terms of the loss, weight decay, dropout and
 * DropConnect, max-norm and augmentation. What was turned off is listed for the note before training.
 */
function overfitMode(examples: number, data: DataSpec, terms: LossTerm[], optimizer: OptimizerSpec, extras: LoopExtras, model: ElaboratedTrain["model"]) {
  const turnedOff: string[] = [];
  const penalties = terms.filter((t) => lookupBuiltin(t.call.builtin, ["regularizer"]) !== undefined);
  if (penalties.length) turnedOff.push(...penalties.map((t) => `the \`${t.call.builtin}\` term of the loss`));
  const decay = "weightDecay" in optimizer ? optimizer.weightDecay : 0;
  if (decay) turnedOff.push(`weight decay ${decay}`);
  const groupDecay = (optimizer.groups ?? []).some((g) => g.weightDecay);
  if (groupDecay) turnedOff.push("the groups' weight decay");
  if (usesLayer(model, "dropout")) turnedOff.push("dropout");
  if (usesLayer(model, "dense", (call) => call.args.get("dropconnect") !== 0)) turnedOff.push("DropConnect");
  if (extras.maxNorm) turnedOff.push("max-norm");
  if (data.transforms.some((t) => t.kind === "augment")) turnedOff.push("augmentation");
  return {
    turnedOff,
    loss: terms.filter((t) => !penalties.includes(t)),
    optimizer: decay || groupDecay ? ({ ...optimizer, weightDecay: 0, ...(optimizer.groups && { groups: optimizer.groups.map(({ weightDecay: _, ...g }) => g) }) } as OptimizerSpec) : optimizer,
    data: { ...data, transforms: [...data.transforms.filter((t) => t.kind !== "augment"), { kind: "subset", n: examples }] } satisfies DataSpec,
  };
}

/** What the loop's settings and directives say beyond the LoopSpec: they change the training step. */
interface LoopExtras {
  clip?: ClipSpec;
  /** The parameters are selected once the model is lowered. */
  maxNorm?: { value: number; on: string };
}

/** The loop's settings and directives. Every setting of TRAIN_SETTINGS is read here or refused. */
function lowerLoop(train: ElaboratedTrain, run: RunLength, diagnostics: DiagnosticBag, extras: LoopExtras): LoopSpec | undefined {
  const read = new Set(["data", "loss", "optimizer", "schedule"]);
  const setting = (name: string): ArgValue => {
    read.add(name);
    return train.settings.get(name);
  };
  let ok = true;
  for (const [name, rule] of Object.entries(SETTINGS_NOT_YET)) {
    if (!rule.refused(setting(name))) continue;
    const value = train.settings.get(name);
    refuse(diagnostics, train.writtenSettings.get(name), isResolvedCall(value) ? `\`${value.builtin}\` (the \`${name}\` setting)` : `the setting \`${name}\` with \`${String(value)}\``, rule.reason);
    ok = false;
  }
  const clip = setting("clip");
  if (isResolvedCall(clip)) {
    const lowered = lowerCall(clip, "", diagnostics, (a): ClipSpec => ({ kind: a.call.builtin === "grad_norm" ? "norm" : "value", max: a.num("max") }));
    if (lowered) extras.clip = lowered;
    else ok = false;
  }
  let earlyStopping: EarlyStopping | undefined;
  let report: LoopSpec["report"];
  let checkpoint: LoopSpec["checkpoint"];
  for (const call of train.directives) {
    // support.ts lists every other directive (the checker keeps `stage` to `search`).
    const lowered = lowerCall(call, "", diagnostics, (a): true => {
      if (a.call.builtin === "max_norm") extras.maxNorm = { value: a.num("value"), on: a.str("on") };
      // The checker decided the mode's examples (the directive's, or `--overfit`'s): ElaboratedTrain.overfit.
      else if (a.call.builtin === "overfit") a.num("examples");
      else if (a.call.builtin === "report") report = { path: a.str("path") };
      else if (a.call.builtin === "checkpoint") {
        const every = a.duration("every")!;
        // A fraction of an epoch is a number of steps; the loop counts whole units.
        const whole = Number.isInteger(every.count) ? every : { unit: "steps" as const, count: Math.round(durationInSteps(every, run)) };
        checkpoint = { every: { unit: whole.unit, count: Math.max(1, whole.count) }, path: a.str("path"), keep: a.num("keep") };
      }
      else if (a.call.builtin === "early_stopping") earlyStopping = { monitor: a.str("monitor") as Metric, mode: a.str("mode") as "min" | "max", patience: a.num("patience"), minDelta: a.num("min_delta"), restoreBest: a.bool("restore_best") };
      else throw new Error(`internal: no lowering for the directive \`${a.call.builtin}\``);
      return true;
    });
    if (!lowered) ok = false;
  }
  const batch = setting("batch");
  const logEvery = setting("log_every");
  const evalEvery = setting("eval_every");
  // The run's length was worked out by the checker from these (check/train.ts).
  setting("compat"); // lowered with the optimizer and the model (compat.ts)
  setting("ensemble"); // lowered with the schedule, whose cycles a snapshot ensemble keeps (ensemble.ts)
  setting("epochs");
  setting("steps");
  const loop: LoopSpec = {
    epochs: run.epochs,
    steps: run.totalSteps,
    batch: batch === "full" ? "full" : (batch as number),
    seed: setting("seed") as number,
    shuffle: setting("shuffle") as boolean,
    dropLast: setting("drop_last") as boolean,
    earlyStopping,
    logEvery: isDuration(logEvery) ? Math.max(1, durationInSteps(logEvery, run)) : 1,
    evalEvery: isDuration(evalEvery) ? { unit: evalEvery.unit, count: Math.max(1, evalEvery.count) } : { unit: "epochs", count: 1 },
    monitor: setting("monitor") as Metric[],
    ...(report && { report }),
    ...(checkpoint && { checkpoint }),
  };
  const unread = TRAIN_SETTINGS.filter((s) => !read.has(s.name));
  if (unread.length) throw new Error(`internal: the lowering does not read the settings ${unread.map((s) => s.name).join(", ")}`);
  return ok ? loop : undefined;
}

/** Whether the model applies a layer `builtin` (matching `test`, if given) anywhere. */
function usesLayer(model: ElaboratedTrain["model"], builtin: string, test: (call: ResolvedCall) => boolean = () => true): boolean {
  const seen = new Set<TensorNode>();
  const visit = (node: TensorNode | number): boolean => {
    if (typeof node === "number" || seen.has(node)) return false;
    seen.add(node);
    switch (node.op) {
      case "layer":
        return (node.layer.call.builtin === builtin && test(node.layer.call)) || visit(node.input);
      case "arithmetic":
        return visit(node.left) || visit(node.right);
      case "negate":
        return visit(node.operand);
      case "concat":
        return node.inputs.some(visit);
      case "reduce":
        return visit(node.input);
      default:
        return false;
    }
  };
  return visit(model.output);
}
