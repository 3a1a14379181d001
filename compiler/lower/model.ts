// Lowering a checked model to the graph IR: every layer becomes graph nodes with their parameters, blocks
// are inlined with their arguments, and dropout and BatchNorm get both a training and an evaluation branch.
// Runs only on files that checked clean; what the backends cannot run yet is reported as E0601.
import type * as A from "../../grammar/ast.js";
import type { ArgValue } from "../builtins/types.js";
import { evaluateConstant } from "../check/constants.js";
import type { DiagnosticBag } from "../diagnostics/diagnostic.js";
import { Graph, type InitSpec } from "../graph/ir.js";
import { GraphBuilder } from "../graph/ops.js";
import { initSpec, pytorchDefault } from "./init.js";

type Value = { k: "tensor"; id: number } | { k: "layer"; name: string; apply: (input: number, at: A.Span) => number | undefined } | { k: "const"; value: number };

export interface LoweredModel {
  graph: Graph;
  input: number;
  output: number;
  /** Training-only side effects (BatchNorm running statistics), to run with each training step. */
  sideEffects: number[];
}

interface Scope {
  env: Map<string, Value>;
  /** Prefix for parameter names: `fc1`, `Residual_1.dense_0`. */
  prefix: string;
}

export class ModelLowering {
  readonly graph = new Graph();
  readonly b = new GraphBuilder(this.graph);
  readonly sideEffects: number[] = [];
  private counters = new Map<string, number>();
  private dropoutStreams = 0;

  constructor(
    private readonly file: A.DlFile,
    private readonly lets: Map<string, ArgValue>,
    private readonly diagnostics: DiagnosticBag,
  ) {}

  private unsupported(span: A.Span, what: string): undefined {
    this.diagnostics.add("E0601", span, `${what} is not supported by the training backends yet`, {
      label: "not supported yet",
      help: "`dslc check` accepts it; training it needs the op in the backends. Supported now: dense, relu, leaky_relu, tanh, sigmoid, softmax, identity, dropout, batchnorm over features, flatten, param, + - * / **",
    });
    return undefined;
  }

  private fresh(kind: string, prefix: string): string {
    const key = `${prefix}/${kind}`;
    const n = this.counters.get(key) ?? 0;
    this.counters.set(key, n + 1);
    return `${prefix ? prefix + "." : ""}${kind}_${n}`;
  }

  param(name: string, shape: number[], init: InitSpec, role: "weight" | "bias" | "norm", fanIn: number, fanOut: number): number {
    const id = this.b.add("param", [], shape, { shape }, name);
    this.graph.params.push({ node: id, name, shape, init, role, fanIn, fanOut });
    return id;
  }

  private state(name: string, shape: number[], fill: number): number {
    const id = this.b.add("state", [], shape, { shape }, name);
    this.graph.state.push({ node: id, name, shape, fill });
    return id;
  }

  lower(model: A.ModelDecl): LoweredModel | undefined {
    const param = model.params.find((p) => p.type?.dims)!;
    const shape = this.check_shape(param);
    const input = this.b.add("input", [], shape, { shape }, param.name.name);
    const scope: Scope = { env: new Map([[param.name.name, { k: "tensor", id: input }]]), prefix: "" };
    const output = this.body(model.body, scope);
    if (output?.k !== "tensor") return undefined;
    return { graph: this.graph, input, output: output.id, sideEffects: this.sideEffects };
  }

  private check_shape(param: A.Param): (number | "N")[] {
    return param.type!.dims!.map((d, i) => (i === 0 ? "N" : this.constant(d) ?? 1));
  }

  /** A numeric compile-time constant (`4`, `2 * width`, `-pi`), evaluated as the checker does. */
  private constant(expr: A.Expr): number | undefined {
    const value = evaluateConstant(expr, (name) => (this.lets.has(name) ? this.lets.get(name) : "unknown-name"));
    return typeof value === "number" ? value : undefined;
  }

  private body(statements: A.Statement[], scope: Scope): Value | undefined {
    for (const s of statements) {
      if (s.kind === "Assign") {
        const value = this.value(s.value, { ...scope, prefix: scope.prefix }, s.target.name);
        if (!value) return undefined;
        scope.env.set(s.target.name, value);
      } else if (s.kind === "Return") return this.value(s.value, scope);
    }
    return undefined;
  }

  private value(expr: A.Expr, scope: Scope, assignedTo?: string): Value | undefined {
    switch (expr.kind) {
      case "Number":
        return { k: "const", value: expr.value };
      case "Paren":
        return this.value(expr.inner, scope, assignedTo);
      case "Name": {
        const bound = scope.env.get(expr.name);
        if (bound) return bound;
        const c = this.constant(expr);
        if (c !== undefined) return { k: "const", value: c };
        return this.layer(expr.name, [], expr.span, scope, assignedTo);
      }
      case "Call":
        if (expr.callee.name === "param") return this.paramCall(expr, scope, assignedTo);
        return this.layer(expr.callee.name, expr.args, expr.span, scope, assignedTo);
      case "Pipeline": {
        let current = this.value(expr.stages[0]!, scope);
        for (const stage of expr.stages.slice(1)) {
          if (current?.k !== "tensor") return undefined;
          const layer = this.value(stage, scope);
          if (layer?.k !== "layer") return undefined;
          const out = layer.apply(current.id, stage.span);
          current = out === undefined ? undefined : { k: "tensor", id: out };
        }
        return current;
      }
      case "Negate": {
        const v = this.value(expr.operand, scope);
        if (v?.k === "const") return { k: "const", value: -v.value };
        return v?.k === "tensor" ? { k: "tensor", id: this.b.scale(v.id, -1) } : undefined;
      }
      case "Binary":
        return this.binary(expr, scope);
      default:
        return this.unsupported(expr.span, "this expression");
    }
  }

  private tensorOf(v: Value): number | undefined {
    if (v.k === "tensor") return v.id;
    if (v.k === "const") return this.b.add("constant", [], [], { value: v.value });
    return undefined;
  }

  private binary(expr: A.Binary, scope: Scope): Value | undefined {
    const left = this.value(expr.left, scope);
    const right = this.value(expr.right, scope);
    if (!left || !right) return undefined;
    if (expr.op === "**") {
      if (right.k !== "const") return undefined;
      if (left.k === "const") return { k: "const", value: left.value ** right.value };
      return { k: "tensor", id: this.b.unary("pow", this.tensorOf(left)!, { p: right.value }) };
    }
    if (expr.op === "@") return this.unsupported(expr.opSpan, "`@` (matrix product of two values)");
    const ops = { "+": "add", "-": "sub", "*": "mul", "/": "div" } as const;
    if (left.k === "const" && right.k === "const") {
      const f = { "+": (a: number, c: number) => a + c, "-": (a: number, c: number) => a - c, "*": (a: number, c: number) => a * c, "/": (a: number, c: number) => a / c }[expr.op];
      return { k: "const", value: f(left.value, right.value) };
    }
    const a = this.tensorOf(left);
    const c = this.tensorOf(right);
    if (a === undefined || c === undefined) return undefined;
    return { k: "tensor", id: this.b.binary(ops[expr.op], a, c) };
  }

  private paramCall(expr: A.Call, scope: Scope, assignedTo?: string): Value | undefined {
    const shapeArg = expr.args.find((a) => a.name?.name === "shape") ?? expr.args.find((a) => !a.name);
    const initArg = expr.args.find((a) => a.name?.name === "init");
    const shape = shapeArg?.value.kind === "List" ? shapeArg.value.items.map((i) => this.constant(i) ?? 1) : [1];
    const init = initSpec(initArg?.value, shape[shape.length - 1] ?? 1, { kind: "normal", mean: 0, std: 1 });
    if (!init) return this.unsupported(initArg!.value.span, "this initializer");
    const name = assignedTo ? `${scope.prefix ? scope.prefix + "." : ""}${assignedTo}` : this.fresh("param", scope.prefix);
    return { k: "tensor", id: this.param(name, shape, init, "weight", shape[shape.length - 1] ?? 1, shape[0] ?? 1) };
  }

  private argsOf(args: A.Argument[], names: string[]): Map<string, A.Expr> {
    const out = new Map<string, A.Expr>();
    let position = 0;
    for (const arg of args) out.set(arg.name?.name ?? names[position++]!, arg.value);
    return out;
  }

  private num(args: Map<string, A.Expr>, name: string, fallback: number): number {
    const expr = args.get(name);
    return expr ? (this.constant(expr) ?? fallback) : fallback;
  }

  /** A layer value: applied later to its input. Named layers (`fc = dense(3)`) share their parameters. */
  private layer(name: string, args: A.Argument[], span: A.Span, scope: Scope, assignedTo?: string): Value | undefined {
    const block = this.file.items.find((i): i is A.ModelDecl => i.kind === "Block" && i.name.name === name);
    if (block) return this.blockLayer(block, args, scope);
    const activation = (op: string, attrs = {}): Value => ({ k: "layer", name, apply: (x) => this.b.unary(op, x, attrs) });
    switch (name) {
      case "relu":
      case "tanh":
      case "sigmoid":
      case "softmax":
        return activation(name);
      case "leaky_relu":
        return activation("leaky_relu", { alpha: this.num(this.argsOf(args, ["alpha"]), "alpha", 0.01) });
      case "identity":
        return { k: "layer", name, apply: (x) => x };
      case "flatten":
        return { k: "layer", name, apply: (x, at) => (this.graph.shape(x).length === 2 ? x : this.unsupported(at, "`flatten` of images")) };
      case "dropout": {
        const a = this.argsOf(args, ["p", "keep"]);
        const p = a.has("keep") ? 1 - this.num(a, "keep", 0.5) : this.num(a, "p", 0.5);
        const stream = this.dropoutStreams++;
        // The kernel is the identity outside training; no separate evaluation branch is needed.
        return { k: "layer", name, apply: (x) => (p === 0 ? x : this.b.unary("dropout", x, { p, stream })) };
      }
      case "dense":
      case "linear":
        return this.dense(this.argsOf(args, ["units", "bias", "init", "bias_init", "weight_norm", "dropconnect"]), span, scope, assignedTo);
      case "batchnorm":
        return this.batchnorm(this.argsOf(args, ["eps", "affine", "momentum", "track_running_stats"]), scope, assignedTo);
      default:
        return this.unsupported(span, `\`${name}\``);
    }
  }

  private dense(a: Map<string, A.Expr>, span: A.Span, scope: Scope, assignedTo?: string): Value | undefined {
    if (a.has("weight_norm") && a.get("weight_norm")!.kind === "Bool" && (a.get("weight_norm") as A.BoolLiteral).value) return this.unsupported(span, "`weight_norm`");
    if (a.has("dropconnect") && this.num(a, "dropconnect", 0) > 0) return this.unsupported(span, "`dropconnect`");
    const units = this.num(a, "units", 1);
    const useBias = !(a.get("bias")?.kind === "Bool" && !(a.get("bias") as A.BoolLiteral).value);
    const name = assignedTo && !scope.env.has(assignedTo) ? `${scope.prefix ? scope.prefix + "." : ""}${assignedTo}` : this.fresh("dense", scope.prefix);
    let weights: { w: number; bias?: number } | undefined;
    return {
      k: "layer",
      name: "dense",
      apply: (x, at) => {
        const fanIn = this.graph.shape(x)[1] as number;
        if (!weights) {
          const wInit = initSpec(a.get("init"), fanIn, pytorchDefault(fanIn));
          const bInit = initSpec(a.get("bias_init"), fanIn, pytorchDefault(fanIn));
          if (!wInit || !bInit) return this.unsupported(at, "this initializer");
          weights = {
            w: this.param(`${name}.weight`, [units, fanIn], wInit, "weight", fanIn, units),
            bias: useBias ? this.param(`${name}.bias`, [units], bInit, "bias", fanIn, units) : undefined,
          };
        }
        const y = this.b.matmul(x, weights.w, false, true);
        return weights.bias === undefined ? y : this.b.binary("add", y, weights.bias);
      },
    };
  }

  private batchnorm(a: Map<string, A.Expr>, scope: Scope, assignedTo?: string): Value {
    const eps = this.num(a, "eps", 1e-5);
    const momentum = this.num(a, "momentum", 0.1);
    const name = assignedTo && !scope.env.has(assignedTo) ? `${scope.prefix ? scope.prefix + "." : ""}${assignedTo}` : this.fresh("batchnorm", scope.prefix);
    return {
      k: "layer",
      name: "batchnorm",
      apply: (x, at) => {
        const shape = this.graph.shape(x);
        if (shape.length !== 2) return this.unsupported(at, "`batchnorm` over channels");
        const f = shape[1] as number;
        const gamma = this.param(`${name}.gamma`, [f], { kind: "ones" }, "norm", f, f);
        const beta = this.param(`${name}.beta`, [f], { kind: "zeros" }, "norm", f, f);
        const runningMean = this.state(`${name}.running_mean`, [f], 0);
        const runningVar = this.state(`${name}.running_var`, [f], 1);
        // Training: batch mean and biased batch variance (PyTorch's BatchNorm1d).
        const mean = this.b.unary("mean_batch", x);
        const centered = this.b.binary("sub", x, mean);
        const variance = this.b.unary("mean_batch", this.b.binary("mul", centered, centered));
        const train = this.b.binary("mul", centered, this.b.unary("rsqrt", variance, { eps }));
        this.sideEffects.push(this.b.add("batchnorm_running_update", [mean, variance, runningMean, runningVar], [], { momentum }));
        // Evaluation: the running estimates.
        const evaluation = this.b.binary("mul", this.b.binary("sub", x, runningMean), this.b.unary("rsqrt", runningVar, { eps }));
        const normalized = this.b.add("select_mode", [train, evaluation], shape);
        return this.b.binary("add", this.b.binary("mul", normalized, gamma), beta);
      },
    };
  }

  private blockLayer(block: A.ModelDecl, args: A.Argument[], scope: Scope): Value {
    const config = block.params.filter((p) => !p.type?.dims);
    const given = this.argsOf(args, config.map((p) => p.name.name));
    const prefix = this.fresh(block.name.name, scope.prefix);
    return {
      k: "layer",
      name: block.name.name,
      apply: (x) => {
        const tensorParam = block.params.find((p) => p.type?.dims)!;
        const env = new Map<string, Value>([[tensorParam.name.name, { k: "tensor", id: x }]]);
        // Symbols in the block's tensor type (`D` in `f32[N, D]`) take the sizes of the input.
        tensorParam.type!.dims!.forEach((d, i) => {
          if (d.kind === "Name" && i > 0) env.set(d.name, { k: "const", value: this.graph.shape(x)[i] as number });
        });
        for (const p of config) {
          const expr = given.get(p.name.name) ?? p.default;
          const value = expr ? this.value(expr, scope) : undefined;
          if (value) env.set(p.name.name, value);
        }
        const inner: Scope = { env, prefix };
        const result = this.body(block.body, inner);
        return result?.k === "tensor" ? result.id : undefined;
      },
    };
  }
}
