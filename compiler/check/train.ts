// Checking a `train` block: its settings and directives, and how they fit the model: the data against the
// model's input, the loss against its output and the labels, and lints that catch wasted runs early. The
// result includes the block elaborated (elaborated.ts): every setting with its value or default, every call
// resolved, the run's length in steps.
import type * as A from "../../grammar/ast.js";
import { lookupBuiltin } from "../builtins/registry.js";
import { TRAIN_SETTINGS, type SettingSpec } from "../builtins/training.js";
import type { ArgValue, ResolvedCall } from "../builtins/types.js";
import { splitSizes } from "../../runtime/data/pipeline.js";
import { checkReference, checkValue, defaultValue, describeExpr, reportWrongBuiltin, type ArgScope } from "./args.js";
import type { CheckContext } from "./context.js";
import { checkData, type DataInfo } from "./data.js";
import { applyCompat } from "./compat.js";
import type { ElaboratedTrain, RunLength } from "./elaborated.js";
import { checkLoss } from "./loss.js";
import { statementNoun, type ModelSummary } from "./model.js";
import { checkOptimizer, checkSchedule } from "./optimization.js";
import { formatShape } from "./shapes.js";
import { suggestFix } from "./suggest.js";

export interface TrainSummary {
  model?: string;
  data?: DataInfo;
  epochs?: number;
  stepsPerEpoch?: number;
  totalSteps?: number;
  /** The block as lowering consumes it; present when every part of it could be resolved. */
  elaborated?: ElaboratedTrain;
}

/** Settings given on the command line (`--epochs`, `--seed`) that replace the file's. */
export interface TrainOverrides {
  epochs?: number;
  seed?: number;
  /** `--overfit N`: as if the file had `overfit(examples: N)`. */
  overfit?: number;
  /** `--set name=value` and a search trial's sampled values: replace the top-level `let`s' own values. */
  lets?: Record<string, number | string | boolean>;
}

interface Collected {
  settings: Map<string, { name: A.Identifier; value: A.Expr; statement: A.Statement }>;
  directives: { call: A.Call; resolved?: ResolvedCall }[];
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
        ctx.report("E0405", statement.span, `${describeExpr(call)} on its own does nothing here`, { label: "no effect", help: "assign it to a setting (`data = …`, `loss = …`) or remove it" });
        continue;
      }
      const spec = lookupBuiltin(call.callee.name, ["directive"]);
      if (!spec) {
        reportWrongBuiltin(call.callee, ["directive"], ctx);
        continue;
      }
      // `stage(…)` shapes a search; the others shape one training run.
      if ((spec.name === "stage") !== (where === "search")) {
        ctx.report("E0405", statement.span, `\`${spec.name}(…)\` cannot appear in \`${where}\``, {
          label: "not allowed here",
          help: spec.name === "stage" ? "search stages go in `search { … }`" : "training directives go in `train { … }`",
        });
        continue;
      }
      directives.push({ call, resolved: checkReference(call, "directive", ctx, scope, call.callee.name) });
    } else if (!(allowSamples && statement.kind === "Sample")) {
      ctx.report("E0405", statement.span, `${statementNoun(statement)} cannot appear in \`${where}\``, {
        label: "not allowed here",
        help: `\`${where}\` holds settings such as \`epochs 10\` and directives such as \`early_stopping(patience: 5)\``,
      });
    }
  }
  return { settings, directives };
}

export function checkTrain(decl: A.TrainDecl, ctx: CheckContext, models: Map<string, ModelSummary>, overrides: TrainOverrides = {}): TrainSummary {
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
  const dataSetting = settings.get("data");
  if (dataSetting) summary.data = checkData(dataSetting.value, ctx, scope);
  const values = settingValues(settings, ctx, scope, overrides);
  for (const required of ["data", "loss", "optimizer"]) {
    if (!settings.has(required)) {
      const spec = TRAIN_SETTINGS.find((s) => s.name === required)!;
      ctx.report("E0403", keywordSpan(decl, 5), `this \`train\` block has no \`${required}\``, { label: `missing \`${required}\``, help: `add \`${required} = …\`: ${spec.doc}` });
    }
  }
  if (!settings.has("epochs") && !settings.has("steps") && overrides.epochs === undefined) {
    ctx.report("E0403", keywordSpan(decl, 5), "this `train` block says neither how many `epochs` nor how many `steps`", {
      label: "run length missing",
      help: "add e.g. `epochs 10`",
    });
  }
  // `overfit(examples: k)` trains on the first k training examples, so the run is counted in those.
  const overfit = overrides.overfit ?? directives.flatMap((d) => (d.resolved?.builtin === "overfit" ? [d.resolved.args.get("examples")] : [])).find((k): k is number => typeof k === "number");
  const run = runLength(summary, values, settings, ctx, overfit);
  if (model && summary.data) checkDataFitsModel(summary.data, model, ctx, modelName!);
  const loss = settings.has("loss") ? checkLoss(settings.get("loss")!.value, ctx, scope, model, summary.data) : [];
  const optimizer = settings.has("optimizer") ? checkOptimizer(settings.get("optimizer")!.value, ctx, scope) : { groups: [] };
  const schedule = settings.has("schedule") ? checkSchedule(settings.get("schedule")!.value, ctx, scope, run, optimizer.call) : [];
  const resolvedDirectives = directives.flatMap((d) => d.resolved ?? []);
  lintSettings(values, settings, model, summary.data, resolvedDirectives, schedule, directives, ctx);
  if (model?.elaborated && summary.data && optimizer.call && loss.length > 0) {
    summary.elaborated = applyCompat({
      model: model.elaborated,
      task: summary.data.target.kind === "regression" ? "regression" : "classification",
      data: { source: summary.data.source, transforms: summary.data.transforms },
      loss,
      optimizer: optimizer.call,
      optimizerGroups: optimizer.groups,
      schedule,
      settings: values,
      writtenSettings: new Map([...settings].map(([name, s]) => [name, s.statement.span])),
      directives: resolvedDirectives,
      ...(overfit !== undefined && { overfit }),
      run,
      span: decl.span,
    }, ctx);
  }
  return summary;
}

/** Every setting's value: as written, else from the command line, else the registry's default. */
function settingValues(settings: Collected["settings"], ctx: CheckContext, scope: ArgScope, overrides: TrainOverrides): Map<string, ArgValue> {
  const values = new Map<string, ArgValue>();
  for (const spec of TRAIN_SETTINGS) {
    if (typeof spec.type === "string") continue;
    const setting = settings.get(spec.name);
    values.set(spec.name, setting ? checkValue(setting.value, spec.type, ctx, scope, `\`${spec.name}\``) : spec.default === undefined ? undefined : defaultValue(spec.default, spec.type));
  }
  if (overrides.epochs !== undefined) {
    values.set("epochs", overrides.epochs);
    values.set("steps", undefined);
  }
  if (overrides.seed !== undefined) values.set("seed", overrides.seed);
  return values;
}

/** Epochs, steps per epoch and total steps, with the split arithmetic the runtime uses. */
function runLength(summary: TrainSummary, values: Map<string, ArgValue>, settings: Collected["settings"], ctx: CheckContext, overfit?: number): RunLength | undefined {
  const epochs = values.get("epochs");
  const steps = values.get("steps");
  const batch = values.get("batch");
  const data = summary.data;
  if (typeof epochs === "number") summary.epochs = epochs;
  if (data?.examples === undefined) return undefined;
  const split = splitSizes(data.examples, data.validation, data.heldOut - data.validation);
  // Each `subset(n)` keeps the first n examples of the training split (runtime/data/pipeline.ts).
  const subsets = data.transforms.flatMap((t) => (t.builtin === "subset" && typeof t.args.get("n") === "number" ? [t.args.get("n") as number] : []));
  const trainExamples = Math.min(split.train, ...subsets, overfit ?? Infinity);
  if (trainExamples < 1) {
    // Training on nothing would divide a zero loss sum by zero examples: a NaN blamed on the learning rate.
    ctx.report("E0705", settings.get("data")?.value.span, `the training split is empty: the data has ${data.examples} example${data.examples === 1 ? "" : "s"} and the held-out shares take ${data.examples - split.train}`, {
      label: "no training example",
      help: "lower the `val`/`test` shares of `split`, or use more data",
    });
    return undefined;
  }
  const size = typeof batch === "number" ? batch : trainExamples;
  const dropLast = values.get("drop_last") === true;
  summary.stepsPerEpoch = dropLast ? Math.floor(trainExamples / size) : Math.ceil(trainExamples / size);
  if (summary.stepsPerEpoch === 0) {
    const at = settings.get("drop_last") ?? settings.get("batch");
    ctx.report("E0202", at?.value.span, `with \`drop_last\`, a batch of ${size} leaves no batch: the training split has ${trainExamples} examples`, {
      label: "no complete batch",
      help: `use a batch of at most ${trainExamples}, or \`drop_last false\``,
    });
    return undefined;
  }
  if (typeof steps === "number") summary.totalSteps = steps;
  else if (summary.epochs !== undefined) summary.totalSteps = summary.epochs * summary.stepsPerEpoch;
  if (summary.epochs === undefined && summary.totalSteps !== undefined) summary.epochs = Math.ceil(summary.totalSteps / summary.stepsPerEpoch);
  if (summary.epochs === undefined || summary.totalSteps === undefined) return undefined;
  return { epochs: summary.epochs, stepsPerEpoch: summary.stepsPerEpoch, totalSteps: summary.totalSteps, trainExamples };
}

const VALIDATION_METRICS = new Set(["val_loss", "val_accuracy", "val_top5"]);
const EPOCH_METRICS = new Set(["train_loss", "val_loss", "train_accuracy", "val_accuracy", "train_top5", "val_top5"]);

/** Lints of settings against the model, the data and each other. */
function lintSettings(
  values: Map<string, ArgValue>,
  settings: Collected["settings"],
  model: ModelSummary | undefined,
  data: DataInfo | undefined,
  directives: ResolvedCall[],
  schedule: ResolvedCall[],
  written: Collected["directives"],
  ctx: CheckContext,
): void {
  const batch = values.get("batch");
  if (batch === 1 && model?.layersUsed.has("batchnorm")) {
    ctx.report("W0101", settings.get("batch")!.value.span, "batchnorm in training mode with batch size 1 normalizes every feature to β", {
      label: "batch of one",
      help: "use a batch of at least 8, or replace batchnorm with layernorm",
    });
  }
  const epochs = values.get("epochs");
  for (const { call, resolved } of written) {
    const patience = resolved?.args.get("patience");
    if (resolved?.builtin === "early_stopping" && typeof patience === "number" && typeof epochs === "number" && patience >= epochs) {
      ctx.report("W0104", call.span, `early stopping waits ${patience} evaluations, but the run has only ${epochs} epochs`, {
        label: "can never trigger",
        help: `lower \`patience\` below ${epochs}, or train longer`,
      });
    }
  }
  // Early stopping and plateau watch what an evaluation measures, not per-step quantities.
  for (const call of [...directives, ...schedule]) {
    const monitor = call.args.get("monitor");
    if ((call.builtin === "early_stopping" || call.builtin === "plateau") && typeof monitor === "string" && !EPOCH_METRICS.has(monitor)) {
      ctx.report("E0204", call.written.get("monitor") ?? call.span, `\`${call.builtin}\` cannot watch \`${monitor}\`, which is not measured by an evaluation`, {
        label: "not an evaluation metric",
        help: `watch one of ${[...EPOCH_METRICS].map((m) => `\`${m}\``).join(", ")}`,
      });
    }
  }
  // A validation metric needs a validation split; without one, early stopping would never stop.
  if (data && data.validation === 0) {
    for (const call of [...directives, ...schedule]) {
      const monitor = call.args.get("monitor");
      if ((call.builtin === "early_stopping" || call.builtin === "plateau") && typeof monitor === "string" && VALIDATION_METRICS.has(monitor)) {
        ctx.report("E0408", call.written.get("monitor") ?? call.span, `\`${call.builtin}\` watches \`${monitor}\`, but the data has no validation split`, {
          label: "never measured",
          labels: [{ span: data.span, message: "no `split(val: …)` here" }],
          help: `hold out validation data with \`|> split(val: 0.2)\`, or watch \`${monitor.replace("val_", "train_")}\``,
        });
      }
    }
    const monitor = settings.get("monitor");
    const listed = values.get("monitor");
    if (monitor && Array.isArray(listed)) {
      for (const metric of listed) {
        if (typeof metric === "string" && VALIDATION_METRICS.has(metric)) {
          ctx.report("W0106", monitor.value.span, `\`${metric}\` is monitored, but the data has no validation split`, {
            label: "never measured",
            help: "hold out validation data with `|> split(val: 0.2)`",
          });
        }
      }
    }
  }
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

