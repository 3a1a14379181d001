// Lowering a checked file's `train` block to a Program: the model graph plus loss, its gradients (autodiff),
// the optimizer, the schedule resolved to steps, the data pipeline and the loop settings.
import * as path from "node:path";
import type * as A from "../../grammar/ast.js";
import type { ArgValue } from "../builtins/types.js";
import type { CheckResult } from "../check/check.js";
import { evaluateConstant } from "../check/constants.js";
import type { DiagnosticBag } from "../diagnostics/diagnostic.js";
import { differentiate } from "../graph/autodiff.js";
import { ModelLowering } from "./model.js";
import { optimizerDefaults, type OptimizerSpec } from "../../runtime/cpu/optimizers.js";
import type { ScheduleSpec } from "../../runtime/schedules.js";
import type { DataSpec, EarlyStopping, Program } from "../../runtime/program.js";

type Args = Map<string, A.Expr>;

function callOf(expr: A.Expr): { name: string; args: A.Argument[]; span: A.Span } | undefined {
  if (expr.kind === "Call") return { name: expr.callee.name, args: expr.args, span: expr.span };
  if (expr.kind === "Name") return { name: expr.name, args: [], span: expr.span };
  return undefined;
}

class TrainLowering {
  constructor(
    private readonly file: A.DlFile,
    private readonly check: CheckResult,
    private readonly diagnostics: DiagnosticBag,
    private readonly baseDir: string,
    private readonly overrides: { epochs?: number },
  ) {}

  private unsupported(span: A.Span, what: string): undefined {
    this.diagnostics.add("E0601", span, `${what} is not supported by the training backends yet`, {
      label: "not supported yet",
      help: "`dslc check` accepts it; training it needs support in the backends (see the issue tracker)",
    });
    return undefined;
  }

  /** A constant argument; a bare word that is no `let` (an option such as `sum`) stands for itself. */
  private constant(expr: A.Expr | undefined): ArgValue {
    if (!expr) return undefined;
    const value = evaluateConstant(expr, (name) => (this.check.lets.has(name) ? this.check.lets.get(name) : "unknown-name"));
    return value === "unknown-name" ? (expr.kind === "Name" ? expr.name : undefined) : value;
  }

  private args(args: A.Argument[], names: string[]): Args {
    const out: Args = new Map();
    let position = 0;
    for (const arg of args) out.set(arg.name?.name ?? names[position++] ?? `_${position}`, arg.value);
    return out;
  }

  private num(args: Args, name: string, fallback: number): number {
    const v = this.constant(args.get(name));
    return typeof v === "number" ? v : fallback;
  }

  private bool(args: Args, name: string, fallback: boolean): boolean {
    const v = this.constant(args.get(name));
    return typeof v === "boolean" ? v : fallback;
  }

  private str(args: Args, name: string, fallback: string): string {
    const v = this.constant(args.get(name));
    return typeof v === "string" ? v : fallback;
  }

  lower(decl: A.TrainDecl): Program | undefined {
    const modelName = this.check.train?.model;
    const model = this.file.items.find((i): i is A.ModelDecl => i.kind === "Model" && i.name.name === modelName);
    if (!model) return undefined;
    const settings = new Map<string, A.Expr>();
    let earlyStopping: EarlyStopping | undefined;
    for (const s of decl.body) {
      if (s.kind === "Assign") settings.set(s.target.name, s.value);
      else if (s.kind === "Setting") settings.set(s.name.name, s.value);
      else if (s.kind === "Directive") {
        const call = callOf(s.call)!;
        if (call.name !== "early_stopping") {
          this.unsupported(call.span, `\`${call.name}\``);
          continue;
        }
        const a = this.args(call.args, ["monitor", "patience"]);
        const monitor = this.str(a, "monitor", "val_loss") as EarlyStopping["monitor"];
        if (!["val_loss", "val_accuracy", "train_loss", "train_accuracy"].includes(monitor)) this.unsupported(a.get("monitor")!.span, `monitoring \`${monitor}\``);
        earlyStopping = { monitor, mode: this.str(a, "mode", "min") as "min" | "max", patience: this.num(a, "patience", 10), minDelta: this.num(a, "min_delta", 0), restoreBest: this.bool(a, "restore_best", true) };
      }
    }
    for (const name of ["clip", "ensemble", "compat", "precision", "steps"]) if (settings.has(name)) this.unsupported(settings.get(name)!.span, `\`${name}\``);
    const lowering = new ModelLowering(this.file, this.check.lets, this.diagnostics);
    const lowered = lowering.lower(model);
    if (!lowered) return undefined;
    const g = lowering.b;
    const data = this.data(settings.get("data")!);
    const task = this.check.train?.data?.target.kind === "regression" ? "regression" : "classification";
    const outShape = g.shape(lowered.output);
    const labels = g.add("input", [], task === "classification" ? ["N"] : outShape, { shape: task === "classification" ? ["N"] : outShape }, "labels");
    const loss = this.loss(settings.get("loss")!, lowering, lowered.output, labels);
    const optimizer = this.optimizer(settings.get("optimizer")!);
    if (loss === undefined || !optimizer || !data) return undefined;
    const grads = differentiate(lowering.graph, loss);
    const spe = this.check.train?.stepsPerEpoch ?? 1;
    const epochs = this.overrides.epochs ?? this.num(new Map([["epochs", settings.get("epochs")!]]), "epochs", 1);
    const schedule = settings.has("schedule") ? this.schedule(settings.get("schedule")!, spe, epochs) : { spec: { kind: "constant" as const }, per: "step" as const };
    if (!schedule) return undefined;
    const batchValue = this.constant(settings.get("batch"));
    return {
      model: model.name.name,
      nodes: lowering.graph.nodes,
      input: lowered.input,
      labels,
      output: lowered.output,
      loss,
      paramGrads: grads.params,
      sideEffects: lowered.sideEffects,
      params: lowering.graph.params,
      state: lowering.graph.state,
      task,
      optimizer,
      schedule,
      data,
      loop: {
        epochs,
        batch: batchValue === "full" ? "full" : typeof batchValue === "number" ? batchValue : 32,
        seed: this.num(new Map([["seed", settings.get("seed")!]]), "seed", 0),
        shuffle: this.bool(new Map([["shuffle", settings.get("shuffle")!]]), "shuffle", true),
        dropLast: this.bool(new Map([["drop_last", settings.get("drop_last")!]]), "drop_last", false),
        earlyStopping,
      },
    };
  }

  private data(expr: A.Expr): DataSpec | undefined {
    const stages = expr.kind === "Pipeline" ? expr.stages : [expr];
    const source = callOf(stages[0]!)!;
    const spec: DataSpec = { source: { kind: "xor", n: 4, noise: 0 }, val: 0, test: 0, standardize: false };
    const a = this.args(source.args, ["path", "label", "shape"]);
    switch (source.name) {
      case "csv": {
        const shape = this.constant(a.get("shape"));
        spec.source = { kind: "csv", path: path.resolve(this.baseDir, this.str(a, "path", "")), label: this.str(a, "label", "label"), shape: Array.isArray(shape) ? (shape as number[]) : undefined };
        break;
      }
      case "sine":
        spec.source = { kind: "sine", n: this.num(a, "n", 2000), from: this.num(a, "from", -Math.PI), to: this.num(a, "to", Math.PI), noise: this.num(a, "noise", 0) };
        break;
      case "xor":
        spec.source = { kind: "xor", n: this.num(a, "n", 4), noise: this.num(a, "noise", 0) };
        break;
      case "spirals":
        spec.source = { kind: "spirals", n: this.num(a, "n", 300), classes: this.num(a, "classes", 3), noise: this.num(a, "noise", 0) };
        break;
      case "blobs":
        spec.source = { kind: "blobs", n: this.num(a, "n", 500), classes: this.num(a, "classes", 3), features: this.num(a, "features", 2), std: this.num(a, "std", 1) };
        break;
      default:
        return this.unsupported(source.span, `the data source \`${source.name}\``);
    }
    for (const stage of stages.slice(1)) {
      const call = callOf(stage)!;
      const t = this.args(call.args, ["val", "test"]);
      if (call.name === "split") {
        spec.val = this.num(t, "val", 0.2);
        spec.test = this.num(t, "test", 0);
      } else if (call.name === "standardize" && this.str(this.args(call.args, ["per"]), "per", "feature") === "feature") spec.standardize = true;
      else return this.unsupported(call.span, `the data transform \`${call.name}\``);
    }
    return spec;
  }

  private selected(selector: string, lowering: ModelLowering): number[] {
    const params = lowering.graph.params;
    const pick = (p: (typeof params)[number]) =>
      selector === "all" || (selector === "weights" && p.role === "weight") || (selector === "biases" && p.role === "bias") || (selector === "norms" && p.role === "norm") || p.name.startsWith(`${selector}.`);
    return params.filter(pick).map((p) => p.node);
  }

  private loss(expr: A.Expr, lowering: ModelLowering, output: number, labels: number): number | undefined {
    const g = lowering.b;
    switch (expr.kind) {
      case "Paren":
        return this.loss(expr.inner, lowering, output, labels);
      case "Binary": {
        if (expr.op === "*" || expr.op === "/") {
          const leftConst = this.constant(expr.left);
          const weight = typeof leftConst === "number" && expr.op === "*" ? leftConst : (this.constant(expr.right) as number);
          const term = this.loss(typeof leftConst === "number" && expr.op === "*" ? expr.right : expr.left, lowering, output, labels);
          return term === undefined ? undefined : g.scale(term, expr.op === "/" ? 1 / weight : weight);
        }
        const left = this.loss(expr.left, lowering, output, labels);
        const right = this.loss(expr.right, lowering, output, labels);
        if (left === undefined || right === undefined) return undefined;
        return g.binary(expr.op === "-" ? "sub" : "add", left, right);
      }
      default: {
        const call = callOf(expr);
        if (!call) return undefined;
        const a = this.args(call.args, call.name === "l2" ? ["on", "half"] : ["label_smoothing", "reduction"]);
        const reduction = this.str(a, "reduction", "mean");
        switch (call.name) {
          case "cross_entropy":
            return g.add("softmax_cross_entropy", [output, labels], [], { smoothing: this.num(a, "label_smoothing", 0), reduction });
          case "mse": {
            if (g.shape(labels).length === 1) return this.unsupported(call.span, "`mse` against class labels (one-hot targets)");
            const d = g.binary("sub", output, labels);
            return g.unary(reduction === "sum" ? "sum_all" : "mean_all", g.binary("mul", d, d));
          }
          case "l2": {
            const params = this.selected(this.str(a, "on", "weights"), lowering);
            const squares = params.map((p) => g.unary("sum_all", g.binary("mul", p, p)));
            const total = squares.reduce((acc, s) => g.binary("add", acc, s), g.add("constant", [], [], { value: 0 }));
            return this.bool(a, "half", false) ? g.scale(total, 0.5) : total;
          }
          default:
            return this.unsupported(call.span, `\`${call.name}\``);
        }
      }
    }
  }

  private optimizer(expr: A.Expr): OptimizerSpec | undefined {
    if (expr.kind === "Pipeline") return this.unsupported(expr.stages[1]!.span, "parameter groups");
    const call = callOf(expr)!;
    const kind = call.name as OptimizerSpec["kind"];
    if (!["sgd", "adam", "adamw", "adagrad", "rmsprop", "adadelta", "adamax", "nadam"].includes(kind)) return this.unsupported(call.span, `the optimizer \`${call.name}\``);
    const spec = optimizerDefaults(kind) as OptimizerSpec & Record<string, unknown>;
    const names: Record<string, string> = { weight_decay: "weightDecay", lr_decay: "lrDecay", initial_accumulator_value: "initialAccumulatorValue", momentum_decay: "momentumDecay" };
    const a = this.args(call.args, ["lr"]);
    for (const [name, value] of a) {
      const v = this.constant(value);
      if (name === "betas" && Array.isArray(v)) {
        spec["beta1"] = v[0];
        spec["beta2"] = v[1];
      } else spec[names[name] ?? name] = v;
    }
    return spec;
  }

  /** Resolves a duration to scheduler steps of the given cadence. */
  private steps(value: ArgValue, per: "step" | "epoch", spe: number, defaultUnit: "steps" | "epochs"): number {
    const d = typeof value === "number" ? { unit: defaultUnit, count: value } : (value as { unit: "steps" | "epochs"; count: number });
    if (per === "step") return d.unit === "steps" ? d.count : d.count * spe;
    return d.unit === "epochs" ? d.count : Math.max(1, Math.round(d.count / spe));
  }

  private schedule(expr: A.Expr, spe: number, epochs: number): Program["schedule"] | undefined {
    const parts = expr.kind === "Sequence" ? expr.parts : [expr];
    const sequence = parts.length > 1;
    const calls = parts.map((p) => callOf(p)!);
    const perOf = (c: { name: string; args: A.Argument[] }) =>
      sequence || ["warmup", "cyclic", "one_cycle"].includes(c.name) ? "step" : (this.str(this.args(c.args, []), "per", "epoch") as "step" | "epoch");
    const per = perOf(calls[0]!);
    const total = per === "step" ? epochs * spe : epochs;
    const specs: { schedule: ScheduleSpec; length: number }[] = [];
    let used = 0;
    for (const call of calls) {
      const rest = Math.max(1, total - used);
      const spec = this.scheduleSpec(call, per, spe, rest, total);
      if (!spec) return undefined;
      const length = spec.kind === "warmup" ? spec.duration : rest;
      specs.push({ schedule: spec, length });
      used += length;
    }
    return { spec: sequence ? { kind: "sequence", parts: specs } : specs[0]!.schedule, per };
  }

  private scheduleSpec(call: { name: string; args: A.Argument[]; span: A.Span }, per: "step" | "epoch", spe: number, rest: number, total: number): ScheduleSpec | undefined {
    const positional: Record<string, string[]> = { step: ["step_size", "gamma"], warmup: ["duration", "from"], sgdr: ["t0", "t_mult", "eta_min"], multistep: ["milestones", "gamma"] };
    const a = this.args(call.args, positional[call.name] ?? []);
    const dur = (name: string, unit: "steps" | "epochs", fallback: number) => (a.has(name) ? this.steps(this.constant(a.get(name)), per, spe, unit) : fallback);
    switch (call.name) {
      case "constant":
        return { kind: "constant" };
      case "step":
        return { kind: "step", stepSize: dur("step_size", "epochs", 1), gamma: this.num(a, "gamma", 0.1) };
      case "multistep":
        return { kind: "multistep", milestones: (this.constant(a.get("milestones")) as number[]) ?? [], gamma: this.num(a, "gamma", 0.1) };
      case "exponential":
        return a.has("k") ? { kind: "exponential_k", k: this.num(a, "k", 0) } : { kind: "exponential", gamma: this.num(a, "gamma", 0.95) };
      case "inverse_time":
        return { kind: "inverse_time", k: this.num(a, "k", 0) };
      case "inv":
        return { kind: "inv", gamma: this.num(a, "gamma", 0), power: this.num(a, "power", 1) };
      case "poly":
        return { kind: "poly", power: this.num(a, "power", 1), total: dur("over", "epochs", rest) };
      case "linear":
        return { kind: "linear", to: this.num(a, "to", 0), total: dur("over", "epochs", rest) };
      case "cosine":
        return { kind: "cosine", etaMin: this.num(a, "to", this.num(a, "eta_min", 0)), tMax: dur("t_max", "epochs", rest) };
      case "sgdr":
        return { kind: "sgdr", t0: dur("t0", "epochs", rest), tMult: this.num(a, "t_mult", 1), etaMin: this.num(a, "eta_min", 0) };
      case "warmup":
        return { kind: "warmup", duration: Math.min(dur("duration", "steps", 1), total), from: this.num(a, "from", 0) };
      case "one_cycle":
        return { kind: "one_cycle", maxLr: this.num(a, "max_lr", 0.1), total, pctStart: this.num(a, "pct_start", 0.3), divFactor: this.num(a, "div_factor", 25), finalDivFactor: this.num(a, "final_div_factor", 1e4), anneal: this.str(a, "anneal", "cos") === "linear" ? "linear" : "cos" };
      case "cyclic":
        return { kind: "cyclic", baseLr: this.num(a, "base_lr", 1e-3), maxLr: this.num(a, "max_lr", 1e-2), stepSizeUp: dur("step_size_up", "steps", 2000), mode: this.str(a, "mode", "triangular") as "triangular", gamma: this.num(a, "gamma", 1) };
      default:
        return this.unsupported(call.span, `the schedule \`${call.name}\``);
    }
  }
}

/** Lowers the file's `train` block; reports what the backends cannot run as E0601. */
export function lowerProgram(file: A.DlFile, check: CheckResult, diagnostics: DiagnosticBag, filePath: string, overrides: { epochs?: number } = {}): Program | undefined {
  const decl = file.items.find((i): i is A.TrainDecl => i.kind === "Train");
  if (!decl) return undefined;
  return new TrainLowering(file, check, diagnostics, path.dirname(path.resolve(filePath)), overrides).lower(decl);
}
