// Checking a `train` block: its settings and directives, and how they fit the model: the data against the
// model's input, the loss against its output and the labels, and lints that catch wasted runs early.
import type * as A from "../../grammar/ast.js";
import { LOSS_TARGETS } from "../builtins/losses.js";
import { lookupBuiltin } from "../builtins/registry.js";
import { TRAIN_SETTINGS, type SettingSpec } from "../builtins/training.js";
import type { ArgValue, ArgValues } from "../builtins/types.js";
import { checkReference, checkValue, describeExpr, reportWrongBuiltin, type ArgScope } from "./args.js";
import type { CheckContext } from "./context.js";
import { checkData, type DataInfo } from "./data.js";
import { statementNoun, type ModelSummary } from "./model.js";
import { formatShape } from "./shapes.js";
import { suggestFix } from "./suggest.js";

export interface TrainSummary {
  model?: string;
  data?: DataInfo;
  epochs?: number;
  stepsPerEpoch?: number;
  totalSteps?: number;
}

interface Collected {
  settings: Map<string, { name: A.Identifier; value: A.Expr; statement: A.Statement }>;
  directives: { call: A.Call; spec: NonNullable<ReturnType<typeof lookupBuiltin>>; args: ArgValues }[];
}

function keywordSpan(decl: { span: A.Span }, length: number): A.Span {
  return { start: decl.span.start, end: decl.span.start + length };
}

/** Reads `name = value`, `name value` and directive lines of a settings block, reporting unknown and repeated ones. */
export function collectSettings(body: A.Statement[], specs: SettingSpec[], ctx: CheckContext, scope: ArgScope, where: string, allowSamples = false): Collected {
  const settings: Collected["settings"] = new Map();
  const directives: Collected["directives"] = [];
  for (const statement of body) {
    if (statement.kind === "Assign" || statement.kind === "Setting") {
      const name = statement.kind === "Assign" ? statement.target : statement.name;
      if (!specs.some((s) => s.name === name.name)) {
        const directive = lookupBuiltin(name.name, ["directive"]);
        const fix = suggestFix(name.name, specs.map((s) => s.name), name.span);
        ctx.report("E0108", name.span, `\`${name.name}\` is not a setting of \`${where}\``, {
          label: "unknown setting",
          fixes: directive ? [] : fix.fixes,
          help: directive
            ? `\`${name.name}\` is a directive: write \`${name.name}(…)\` on its own line`
            : (fix.help ?? `settings are ${specs.map((s) => `\`${s.name}\``).join(", ")}`),
        });
        continue;
      }
      const previous = settings.get(name.name);
      if (previous) {
        ctx.report("E0104", name.span, `\`${name.name}\` is set twice`, {
          label: "set again here",
          labels: [{ span: previous.name.span, message: "first set here" }],
          help: "keep one of them",
        });
        continue;
      }
      settings.set(name.name, { name, value: statement.value, statement });
    } else if (statement.kind === "Directive") {
      const call = statement.call;
      if (call.kind !== "Call") {
        ctx.report("E0405", statement.span, `${describeExpr(call)} on its own does nothing here`, { label: "no effect" });
        continue;
      }
      const spec = lookupBuiltin(call.callee.name, ["directive"]);
      if (!spec) {
        reportWrongBuiltin(call.callee, ["directive"], ctx);
        continue;
      }
      directives.push({ call, spec, args: checkReference(call, "directive", ctx, scope, call.callee.name)?.args ?? new Map() });
    } else if (!(allowSamples && statement.kind === "Sample")) {
      ctx.report("E0405", statement.span, `${statementNoun(statement)} cannot appear in \`${where}\``, {
        label: "not allowed here",
        help: `\`${where}\` holds settings such as \`epochs 10\` and directives such as \`early_stopping(patience: 5)\``,
      });
    }
  }
  return { settings, directives };
}

export function checkTrain(decl: A.TrainDecl, ctx: CheckContext, models: Map<string, ModelSummary>): TrainSummary {
  const summary: TrainSummary = {};
  const modelName = resolveModel(decl, ctx);
  summary.model = modelName;
  const model = modelName ? models.get(modelName) : undefined;
  const scope: ArgScope = {
    lookup: (name) => (ctx.lets.has(name) ? ctx.lets.get(name)!.value : "unknown-name"),
    layerNames: model?.namedLayers ?? new Set(),
    visibleNames: () => ctx.lets.keys(),
  };
  const { settings, directives } = collectSettings(decl.body, TRAIN_SETTINGS, ctx, scope, "train");
  const values = new Map<string, ArgValue>();
  for (const [name, setting] of settings) {
    const spec = TRAIN_SETTINGS.find((s) => s.name === name)!;
    switch (spec.type) {
      case "data":
        summary.data = checkData(setting.value, ctx, scope);
        break;
      case "loss":
        checkLoss(setting.value, ctx, scope, model, summary);
        break;
      case "optimizer":
        checkOptimizer(setting.value, ctx, scope);
        break;
      case "schedule":
        break; // checked below, once the run length is known
      default:
        values.set(name, checkValue(setting.value, spec.type, ctx, scope, `\`${name}\``));
    }
  }
  for (const required of ["data", "loss", "optimizer"]) {
    if (!settings.has(required)) {
      const spec = TRAIN_SETTINGS.find((s) => s.name === required)!;
      ctx.report("E0403", keywordSpan(decl, 5), `this \`train\` block has no \`${required}\``, { label: `missing \`${required}\``, help: `add \`${required} = …\`: ${spec.doc}` });
    }
  }
  if (!settings.has("epochs") && !settings.has("steps")) {
    ctx.report("E0403", keywordSpan(decl, 5), "this `train` block says neither how many `epochs` nor how many `steps`", {
      label: "run length missing",
      help: "add e.g. `epochs 10`",
    });
  }
  computeRunLength(summary, values);
  if (model && summary.data) checkDataFitsModel(summary.data, model, ctx, modelName!);
  const batch = values.get("batch");
  if (batch === 1 && model?.layersUsed.has("batchnorm")) {
    const batchSetting = settings.get("batch")!;
    ctx.report("W0101", batchSetting.value.span, "batchnorm in training mode with batch size 1 normalizes every feature to β", {
      label: "batch of one",
      help: "use a batch of at least 8, or replace batchnorm with layernorm",
    });
  }
  const schedule = settings.get("schedule");
  if (schedule) checkSchedule(schedule.value, ctx, scope, summary);
  for (const { call, spec, args } of directives) {
    const patience = args.get("patience");
    if (spec.name === "early_stopping" && typeof patience === "number" && summary.epochs !== undefined && patience >= summary.epochs) {
      ctx.report("W0104", call.span, `early stopping waits ${patience} evaluations, but the run has only ${summary.epochs} epochs`, {
        label: "can never trigger",
        help: `lower \`patience\` below ${summary.epochs}, or train longer`,
      });
    }
  }
  return summary;
}

function resolveModel(decl: A.TrainDecl, ctx: CheckContext): string | undefined {
  if (decl.model) {
    if (ctx.models.has(decl.model.name)) return decl.model.name;
    const isBlock = ctx.blocks.has(decl.model.name);
    ctx.report("E0101", decl.model.span, isBlock ? `\`${decl.model.name}\` is a block; only a model can be trained` : `there is no model named \`${decl.model.name}\``, {
      label: isBlock ? "a block" : "unknown model",
      ...(isBlock ? { help: "declare it with `model`, or train a model that uses it" } : suggestFix(decl.model.name, ctx.models.keys(), decl.model.span)),
    });
    return undefined;
  }
  const names = [...ctx.models.keys()];
  if (names.length === 1) return names[0];
  ctx.report("E0404", keywordSpan(decl, 5), names.length === 0 ? "there is no model to train in this file" : `this file has ${names.length} models; which one does \`train\` train?`, {
    label: "which model?",
    labels: names.length ? names.map((n) => ({ span: ctx.models.get(n)!.name.span, message: "a candidate" })) : [],
    help: names.length ? `name it: \`train ${names[0]} { … }\`` : "declare one: `model Net(x: f32[N, 64]) -> f32[N, 10] { … }`",
  });
  return undefined;
}

function computeRunLength(summary: TrainSummary, values: Map<string, ArgValue>): void {
  const epochs = values.get("epochs");
  const steps = values.get("steps");
  const batch = values.get("batch");
  const data = summary.data;
  if (typeof epochs === "number") summary.epochs = epochs;
  if (data?.examples !== undefined) {
    const train = Math.max(1, Math.round(data.examples * (1 - data.heldOut)));
    const size = typeof batch === "number" ? batch : batch === "full" ? train : 32;
    summary.stepsPerEpoch = values.get("drop_last") === true ? Math.max(1, Math.floor(train / size)) : Math.ceil(train / size);
  }
  if (typeof steps === "number") summary.totalSteps = steps;
  else if (summary.epochs !== undefined && summary.stepsPerEpoch !== undefined) summary.totalSteps = summary.epochs * summary.stepsPerEpoch;
  if (summary.epochs === undefined && summary.totalSteps !== undefined && summary.stepsPerEpoch) summary.epochs = Math.ceil(summary.totalSteps / summary.stepsPerEpoch);
}

function checkDataFitsModel(data: DataInfo, model: ModelSummary, ctx: CheckContext, modelName: string): void {
  const input = model.inputs[0];
  if (!input || !data.features || model.inputs.length !== 1) return;
  const perExample = input.shape.slice(1);
  const agrees = perExample.length === data.features.length && perExample.every((d, i) => typeof d !== "number" || d === data.features![i]);
  if (!agrees) {
    const expected = formatShape(["N", ...data.features]);
    ctx.report("E0305", input.span, `model \`${modelName}\` takes ${formatShape(input.shape)}, but the data gives ${expected}`, {
      label: `declared as ${formatShape(input.shape)}`,
      labels: [{ span: data.span, message: `this yields ${expected}` }],
      help: data.features.length === 1 && perExample.length > 1 ? `give the data a shape, e.g. \`csv(…, shape: [${perExample.join(", ")}])\`` : `declare the input as \`${input.name}: ${expected}\``,
    });
  }
}

/** The terms of `loss = a + λ * b + …`: each a loss or a regularizer, regularizers scaled by constants. */
function lossTerms(expr: A.Expr, ctx: CheckContext, scope: ArgScope, out: { call: A.Expr; name: string }[]): void {
  switch (expr.kind) {
    case "Paren":
      return lossTerms(expr.inner, ctx, scope, out);
    case "Binary":
      if (expr.op === "+" || expr.op === "-") {
        lossTerms(expr.left, ctx, scope, out);
        lossTerms(expr.right, ctx, scope, out);
        return;
      }
      if (expr.op === "*" || expr.op === "/") {
        const constant = expr.op === "*" && isConstant(expr.left, scope) ? expr.left : isConstant(expr.right, scope) ? expr.right : undefined;
        if (!constant) {
          ctx.report("E0201", expr.opSpan, "loss terms can only be scaled by constants, e.g. `1e-4 * l2(weights)`", { label: "neither side is a constant" });
          return;
        }
        checkValue(constant, { t: "number", min: 0 }, ctx, scope, "a loss weight");
        lossTerms(constant === expr.left ? expr.right : expr.left, ctx, scope, out);
        return;
      }
      break;
    case "Call":
    case "Name": {
      const callee = expr.kind === "Call" ? expr.callee : { kind: "Identifier" as const, name: expr.name, span: expr.span };
      const spec = lookupBuiltin(callee.name, ["loss", "regularizer"]);
      if (!spec) {
        reportWrongBuiltin(callee, ["loss", "regularizer"], ctx);
        return;
      }
      checkReference(expr, spec.category, ctx, scope, callee.name);
      out.push({ call: expr, name: spec.name });
      return;
    }
    case "Missing":
      return;
  }
  ctx.report("E0201", expr.span, `expected a loss such as \`cross_entropy()\` or a weighted regularizer, found ${describeExpr(expr)}`, { label: "not a loss" });
}

function isConstant(expr: A.Expr, scope: ArgScope): boolean {
  if (expr.kind === "Number" || expr.kind === "Negate") return true;
  if (expr.kind === "Name") return typeof scope.lookup(expr.name) === "number";
  if (expr.kind === "Paren") return isConstant(expr.inner, scope);
  return expr.kind === "Binary" && isConstant(expr.left, scope) && isConstant(expr.right, scope);
}

function checkLoss(expr: A.Expr, ctx: CheckContext, scope: ArgScope, model: ModelSummary | undefined, summary: TrainSummary): void {
  const terms: { call: A.Expr; name: string }[] = [];
  lossTerms(expr, ctx, scope, terms);
  const losses = terms.filter((t) => LOSS_TARGETS[t.name] !== undefined);
  if (terms.length > 0 && losses.length === 0) {
    ctx.report("E0201", expr.span, "the loss has regularizers but no loss function", {
      label: "only penalties",
      help: "add a data term, e.g. `cross_entropy() + 1e-4 * l2(weights)`",
    });
  }
  const output = model?.output;
  if (!output) return;
  for (const loss of losses) {
    const target = LOSS_TARGETS[loss.name]!;
    const data = summary.data?.target;
    const fail = (message: string, help: string) =>
      ctx.report("E0304", loss.call.span, message, { label: `\`${loss.name}\` needs this`, labels: [], help });
    const width = output[output.length - 1];
    if (target === "classes") {
      if (output.length !== 2) fail(`\`${loss.name}\` needs logits shaped [N, classes], but the model returns ${formatShape(output)}`, "end the model with `dense(classes)`");
      else if (data?.kind === "regression") fail(`\`${loss.name}\` needs class labels, but the data's targets are continuous`, "use `mse` or `huber` for regression");
      else if (data?.kind === "classes" && data.count !== undefined && typeof width === "number" && width !== data.count) {
        fail(`the model returns ${width} scores per example, but the data has ${data.count} classes`, `end the model with \`dense(${data.count})\``);
      }
      if (loss.name === "cross_entropy" && model.outputProducer === "softmax") {
        ctx.report("W0105", loss.call.span, "`cross_entropy` takes logits, but the model already ends in `softmax`", {
          label: "applies softmax again",
          help: "remove the final `softmax` from the model (keep it for inference only)",
        });
      }
    } else if (target === "same_shape") {
      if (data?.kind === "regression" && (output.length !== 2 || width !== data.width)) {
        fail(`\`${loss.name}\` compares the output with targets of shape [N, ${data.width}], but the model returns ${formatShape(output)}`, `end the model with \`dense(${data.width})\``);
      }
    } else if (target === "binary") {
      if (width !== 1) fail(`\`${loss.name}\` needs one probability or logit per example, but the model returns ${formatShape(output)}`, "end the model with `dense(1)`, or use `cross_entropy` for several classes");
      else if (data?.kind === "classes" && data.count !== undefined && data.count > 2) fail(`\`${loss.name}\` is for two classes, but the data has ${data.count}`, "use `cross_entropy` with `dense(classes)`");
    }
  }
}

function checkOptimizer(expr: A.Expr, ctx: CheckContext, scope: ArgScope): void {
  const stages = expr.kind === "Pipeline" ? expr.stages : [expr];
  const optimizer = checkReference(stages[0]!, "optimizer", ctx, scope, "optimizer");
  if (optimizer?.spec.name === "sgd" && optimizer.args.get("nesterov") === true) {
    const momentum = optimizer.args.get("momentum");
    const dampening = optimizer.args.get("dampening");
    if (momentum === undefined || momentum === 0 || (typeof dampening === "number" && dampening !== 0)) {
      ctx.report("E0202", stages[0]!.span, "Nesterov momentum needs `momentum` > 0 and `dampening` 0", {
        label: "nesterov without momentum",
        help: "add `momentum: 0.9`",
      });
    }
  }
  for (const stage of stages.slice(1)) checkReference(stage, "optimizer_modifier", ctx, scope, "optimizer option");
}

function stepsOf(value: ArgValue, summary: TrainSummary): number | undefined {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return undefined;
  return value.unit === "steps" ? value.count : summary.stepsPerEpoch === undefined ? undefined : value.count * summary.stepsPerEpoch;
}

function checkSchedule(expr: A.Expr, ctx: CheckContext, scope: ArgScope, summary: TrainSummary): void {
  const parts = expr.kind === "Sequence" ? expr.parts : [expr];
  for (const part of parts) {
    const checked = checkReference(part, "schedule", ctx, scope, "schedule");
    if (!checked) continue;
    const total = summary.totalSteps;
    if (checked.spec.name === "warmup") {
      const steps = stepsOf(checked.args.get("duration"), summary);
      if (steps !== undefined && total !== undefined && steps >= total) {
        ctx.report("W0102", part.span, `the warmup lasts ${steps} steps, but the whole run is ${total} steps`, {
          label: "longer than the run",
          help: `shorten it to about 5% of the run (${Math.max(1, Math.round(total / 20))} steps)`,
        });
      }
    }
    if (checked.spec.name === "sgdr") {
      const t0 = checked.args.get("t0");
      const steps = stepsOf(t0, summary);
      if (steps !== undefined && total !== undefined && steps >= total) {
        ctx.report("W0103", part.span, `the first restart period (${typeof t0 === "object" && t0 && !Array.isArray(t0) ? `${t0.count} ${t0.unit}` : ""}) is as long as the whole run`, {
          label: "never restarts",
          help: "choose t0 so that several cycles fit in the run",
        });
      }
    }
    if (checked.spec.name === "plateau") {
      const patience = checked.args.get("patience") ?? 10;
      if (typeof patience === "number" && summary.epochs !== undefined && patience >= summary.epochs) {
        ctx.report("W0104", part.span, `plateau patience is ${patience} epochs, but the run has only ${summary.epochs}`, {
          label: "can never trigger",
          help: `lower \`patience\` below ${summary.epochs}`,
        });
      }
    }
  }
}
