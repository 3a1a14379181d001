// Lowering an elaborated model (check/elaborated.ts) to the graph IR: every layer application becomes graph
// nodes, a layer object's parameters are created once and shared by all its applications, and dropout and
// BatchNorm get both a training and an evaluation branch. It reads only the elaboration, never the syntax;
// what the backends cannot run yet is reported as E0601.
import type { ElaboratedModel, LayerInstance, ParamInstance, TensorNode } from "../check/elaborated.js";
import type { DiagnosticBag, Span } from "../diagnostics/diagnostic.js";
import { Graph, type InitSpec } from "../graph/ir.js";
import { GraphBuilder } from "../graph/ops.js";
import { fans, initSpec } from "./init.js";
import { lowerCall, refuse, type ArgReader } from "./reader.js";
import { NOT_YET } from "./support.js";

export interface LoweredModel {
  graph: Graph;
  input: number;
  output: number;
  /** Training-only side effects (BatchNorm running statistics), to run with each training step. */
  sideEffects: number[];
}

/** A layer object's lowering: applies it to an input node, creating its parameters on first use. */
type Applied = (input: number) => number | undefined;

/** The tensors a node is computed from. */
function inputsOf(node: TensorNode): TensorNode[] {
  switch (node.op) {
    case "input":
    case "param":
      return [];
    case "layer":
      return [node.input];
    case "negate":
      return [node.operand];
    case "arithmetic":
      return [node.left, node.right].filter((side): side is TensorNode => typeof side !== "number");
    case "concat":
      return node.inputs;
    case "reduce":
      return [node.input];
  }
}

export class ModelLowering {
  readonly graph = new Graph();
  readonly b = new GraphBuilder(this.graph);
  readonly sideEffects: number[] = [];
  private readonly values = new Map<TensorNode, number>();
  private readonly layers = new Map<LayerInstance, Applied | undefined>();
  private readonly params = new Map<ParamInstance, number | undefined>();
  private dropoutStreams = 0;
  private failed = false;
  /** The source of each graph node the model creates (the layer or expression), for diagnostics about it. */
  readonly spans = new Map<number, Span>();

  constructor(private readonly diagnostics: DiagnosticBag) {}

  param(name: string, shape: number[], init: InitSpec, role: "weight" | "bias" | "norm", layerFanIn?: number): number {
    const id = this.b.add("param", [], shape, { shape }, name);
    const { fanIn, fanOut } = fans(shape);
    this.graph.params.push({ node: id, name, shape, init, role, fanIn: layerFanIn ?? fanIn, fanOut });
    return id;
  }

  private state(name: string, shape: number[], fill: number): number {
    const id = this.b.add("state", [], shape, { shape }, name);
    this.graph.state.push({ node: id, name, shape, fill });
    return id;
  }

  lower(model: ElaboratedModel): LoweredModel | undefined {
    if (model.inputs.length !== 1) {
      return refuse(this.diagnostics, model.span, `a model with ${model.inputs.length} tensor inputs`, "a data source gives one input per example; give the model one input, and use blocks for several");
    }
    const input = model.inputs[0]!;
    if (input.dtype !== "f32") return refuse(this.diagnostics, model.span, `\`${input.dtype}\` inputs`, "declare the input as `f32`; mixed precision is not implemented yet");
    const dims = input.shape.slice(1);
    if (!dims.every((d): d is number => typeof d === "number")) {
      return refuse(this.diagnostics, model.span, `an input with a symbolic feature size (\`${input.name}: [${input.shape.join(", ")}]\`)`, "write the feature sizes as numbers, e.g. `f32[N, 64]`");
    }
    const shape = ["N" as const, ...dims];
    this.values.set(input, this.b.add("input", [], shape, { shape }, input.name));
    const output = this.lowerAll(model.output);
    return output === undefined ? undefined : { graph: this.graph, input: this.values.get(input)!, output, sideEffects: this.sideEffects };
  }

  /** Lowers a node after everything it depends on, without recursion (a model may be thousands of layers deep). */
  private lowerAll(root: TensorNode): number | undefined {
    const stack: { node: TensorNode; expanded: boolean }[] = [{ node: root, expanded: false }];
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      if (this.values.has(top.node)) {
        stack.pop();
        continue;
      }
      const pending = inputsOf(top.node).filter((n) => !this.values.has(n));
      if (!top.expanded && pending.length > 0) {
        top.expanded = true;
        // Pushed last-first so inputs are lowered left to right: parameters are created (and their
        // initial values drawn) in the order the file writes them.
        for (const node of pending.reverse()) stack.push({ node, expanded: false });
        continue;
      }
      stack.pop();
      const first = this.graph.nodes.length;
      this.values.set(top.node, this.lowerNode(top.node) ?? this.placeholder(top.node));
      if (top.node.op !== "input") for (let id = first; id < this.graph.nodes.length; id++) this.spans.set(id, top.node.span);
    }
    return this.failed ? undefined : this.values.get(root);
  }

  /**
   * Stands for a tensor whose lowering was refused, with its checked shape, so that lowering goes on and
   * reports every other construct the backends cannot run in the same pass. The graph is then discarded.
   */
  private placeholder(node: TensorNode): number {
    this.failed = true;
    const shape = node.shape.map((d, i) => (i === 0 ? ("N" as const) : typeof d === "number" ? d : 1));
    return this.b.add("input", [], shape, { shape });
  }

  private lowerNode(node: TensorNode): number | undefined {
    const value = (n: TensorNode | number) => (typeof n === "number" ? this.b.add("constant", [], [], { value: n }) : this.values.get(n)!);
    switch (node.op) {
      case "input":
        throw new Error("internal: a second model input");
      case "param":
        return this.paramNode(node.param);
      case "layer": {
        if (!this.layers.has(node.layer)) this.layers.set(node.layer, this.layerObject(node.layer));
        return this.layers.get(node.layer)?.(this.values.get(node.input)!);
      }
      case "negate":
        return this.b.scale(this.values.get(node.operand)!, -1);
      case "arithmetic": {
        if (node.operator === "@") return refuse(this.diagnostics, node.span, "`@` (the matrix product of two tensors)", "use `dense` for a learned projection");
        if (node.operator === "**") return this.b.unary("pow", this.values.get(node.left as TensorNode)!, { p: node.right as number });
        const op = ({ "+": "add", "-": "sub", "*": "mul", "/": "div" } as const)[node.operator];
        return this.b.binary(op, value(node.left), value(node.right));
      }
      case "concat":
      case "reduce": {
        const name = node.op === "concat" ? "concat" : node.reduction;
        return refuse(this.diagnostics, node.span, `\`${name}\``, NOT_YET[name]);
      }
    }
  }

  private paramNode(param: ParamInstance): number | undefined {
    if (!this.params.has(param)) {
      const init = initSpec(param.init, fans(param.shape).fanIn, this.diagnostics);
      this.params.set(param, init && this.param(param.name, param.shape, init, "weight"));
    }
    return this.params.get(param);
  }

  /** The lowering of a layer object; undefined (with E0601 reported) when the backends cannot run it. */
  private layerObject(layer: LayerInstance): Applied | undefined {
    return lowerCall(layer.call, "", this.diagnostics, (a) => this.layerKind(layer, a));
  }

  private layerKind(layer: LayerInstance, a: ArgReader): Applied | undefined {
    const unary = (op: string, attrs = {}): Applied => (x) => this.b.unary(op, x, attrs);
    switch (a.call.builtin) {
      case "identity":
        return (x) => x;
      case "relu":
      case "tanh":
      case "sigmoid":
        return unary(a.call.builtin);
      case "leaky_relu":
        return unary("leaky_relu", { alpha: a.num("alpha") });
      case "softmax": {
        const axis = a.num("axis");
        return (x) => {
          const rank = this.graph.shape(x).length;
          return this.b.unary("softmax", x, { axis: axis < 0 ? rank + axis : axis });
        };
      }
      case "flatten":
        return (x) => (this.graph.shape(x).length === 2 ? x : refuse(this.diagnostics, a.call.span, "`flatten` of images", NOT_YET["reshape"]));
      case "dropout": {
        const keep = a.num("keep", true);
        const p = keep !== undefined ? 1 - keep : a.num("p");
        // Each application draws its own mask (a stream per dropout node), as a PyTorch Dropout called twice does.
        return (x) => (p === 0 ? x : this.b.unary("dropout", x, { p, stream: this.dropoutStreams++ }));
      }
      case "dense":
        return this.dense(layer, a);
      case "batchnorm":
        return this.batchnorm(layer, a);
      default:
        throw new Error(`internal: no lowering for the layer \`${a.call.builtin}\``);
    }
  }

  private dense(layer: LayerInstance, a: ArgReader): Applied {
    const units = a.num("units");
    const useBias = a.bool("bias");
    const weightInit = a.resolved("init");
    const biasInit = a.resolved("bias_init");
    let weights: { w: number; bias?: number } | undefined;
    return (x) => {
      const fanIn = this.graph.shape(x)[1] as number;
      if (!weights) {
        const wInit = initSpec(weightInit, fanIn, this.diagnostics);
        const bInit = useBias ? initSpec(biasInit, fanIn, this.diagnostics) : undefined;
        if (!wInit || (useBias && !bInit)) return undefined;
        weights = { w: this.param(`${layer.name}.weight`, [units, fanIn], wInit, "weight"), bias: bInit && this.param(`${layer.name}.bias`, [units], bInit, "bias", fanIn) };
      }
      const y = this.b.matmul(x, weights.w, false, true);
      return weights.bias === undefined ? y : this.b.binary("add", y, weights.bias);
    };
  }

  /**
   * BatchNorm over features, as torch.nn.BatchNorm1d: training normalizes with the batch mean and biased
   * variance; with `track_running_stats` the running estimates (unbiased variance, weight `momentum` for the
   * new batch) are what evaluation uses, without them evaluation uses the batch statistics too.
   */
  private batchnorm(layer: LayerInstance, a: ArgReader): Applied {
    const eps = a.num("eps");
    const momentum = a.num("momentum");
    const affine = a.bool("affine");
    const track = a.bool("track_running_stats");
    let owned: { gamma?: number; beta?: number; runningMean?: number; runningVar?: number } | undefined;
    return (x) => {
      const shape = this.graph.shape(x);
      if (shape.length !== 2) return refuse(this.diagnostics, a.call.span, "`batchnorm` over channels ([N, C, H, W])", "BatchNorm over images is not implemented in the backends yet");
      const f = shape[1] as number;
      owned ??= {
        gamma: affine ? this.param(`${layer.name}.gamma`, [f], { kind: "ones" }, "norm") : undefined,
        beta: affine ? this.param(`${layer.name}.beta`, [f], { kind: "zeros" }, "norm") : undefined,
        runningMean: track ? this.state(`${layer.name}.running_mean`, [f], 0) : undefined,
        runningVar: track ? this.state(`${layer.name}.running_var`, [f], 1) : undefined,
      };
      const mean = this.b.unary("mean_batch", x);
      const centered = this.b.binary("sub", x, mean);
      const variance = this.b.unary("mean_batch", this.b.binary("mul", centered, centered));
      let normalized = this.b.binary("mul", centered, this.b.unary("rsqrt", variance, { eps }));
      if (owned.runningMean !== undefined && owned.runningVar !== undefined) {
        this.sideEffects.push(this.b.add("batchnorm_running_update", [mean, variance, owned.runningMean, owned.runningVar], [], { momentum }));
        const evaluation = this.b.binary("mul", this.b.binary("sub", x, owned.runningMean), this.b.unary("rsqrt", owned.runningVar, { eps }));
        normalized = this.b.add("select_mode", [normalized, evaluation], shape);
      }
      if (owned.gamma === undefined || owned.beta === undefined) return normalized;
      return this.b.binary("add", this.b.binary("mul", normalized, owned.gamma), owned.beta);
    };
  }
}
