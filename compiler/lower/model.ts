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
import type { Applied, LayerLowering, LayerScope } from "./layer-scope.js";
import { ACTIVATION_LAYERS } from "./layers/activation.js";
import { CONV_LAYERS } from "./layers/conv.js";
import { DENSE_LAYERS } from "./layers/dense.js";
import { NORM_LAYERS } from "./layers/norm.js";
import { REPVGG_LAYERS } from "./layers/repvgg.js";
import { SPATIAL_LAYERS } from "./layers/spatial.js";

export interface LoweredModel {
  graph: Graph;
  input: number;
  output: number;
  /** Training-only side effects (BatchNorm running statistics), to run with each training step. */
  sideEffects: number[];
}

/** Every layer lowered outside this file, by family. */
const LAYER_LOWERINGS: Record<string, LayerLowering> = { ...DENSE_LAYERS, ...CONV_LAYERS, ...NORM_LAYERS, ...REPVGG_LAYERS, ...SPATIAL_LAYERS, ...ACTIVATION_LAYERS };

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

export class ModelLowering implements LayerScope {
  readonly graph = new Graph();
  readonly b = new GraphBuilder(this.graph);
  readonly sideEffects: number[] = [];
  private readonly values = new Map<TensorNode, number>();
  private readonly layers = new Map<LayerInstance, Applied | undefined>();
  private readonly params = new Map<ParamInstance, number | undefined>();
  private randomStreams = 0;
  private failed = false;
  /** The source of each graph node the model creates (the layer or expression), for diagnostics about it. */
  readonly spans = new Map<number, Span>();

  constructor(
    readonly diagnostics: DiagnosticBag,
    readonly regularization = true,
  ) {}

  param(name: string, shape: number[], init: InitSpec, role: "weight" | "bias" | "norm", layerFanIn?: number): number {
    const id = this.b.add("param", [], shape, { shape }, name);
    const { fanIn, fanOut } = fans(shape);
    this.graph.params.push({ node: id, name, shape, init, role, fanIn: layerFanIn ?? fanIn, fanOut });
    return id;
  }

  randomStream(): number {
    return this.randomStreams++;
  }

  sideEffect(node: number): void {
    this.sideEffects.push(node);
  }

  state(name: string, shape: number[], fill: number): number {
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
        if (node.operator === "@") return this.matrixProduct(node, value(node.left), value(node.right));
        if (node.operator === "**") return this.b.unary("pow", this.values.get(node.left as TensorNode)!, { p: node.right as number });
        const op = ({ "+": "add", "-": "sub", "*": "mul", "/": "div" } as const)[node.operator];
        return this.b.binary(op, value(node.left), value(node.right));
      }
      case "concat":
        return this.concat(node, node.inputs.map((n) => this.values.get(n)!));
      case "reduce":
        return this.reduce(node, this.values.get(node.input)!);
    }
  }

  /**
   * `concat([a, b, …], axis)`. A kernel binds at most 7 inputs besides its output, so longer lists are
   * joined in stages (each stage's result is the first input of the next).
   */
  private concat(node: Extract<TensorNode, { op: "concat" }>, inputs: number[]): number | undefined {
    const size = this.graph.shape(inputs[0]!)[node.axis];
    if (typeof size !== "number") return refuse(this.diagnostics, node.span, "`concat` along the batch axis", "join along a feature axis (axis 1 or later)");
    if (inputs.length === 1) return inputs[0];
    let joined = this.b.add("concat", inputs.slice(0, 7), undefined, { axis: node.axis });
    for (let k = 7; k < inputs.length; k += 6) joined = this.b.add("concat", [joined, ...inputs.slice(k, k + 6)], undefined, { axis: node.axis });
    return joined;
  }

  /** `sum`/`mean` over one axis (torch.sum(x, dim, keepdim)), or over every axis but the first when none is given. */
  private reduce(node: Extract<TensorNode, { op: "reduce" }>, x: number): number {
    const shape = this.graph.shape(x);
    const attrs = { mean: node.reduction === "mean" };
    if (node.axis === undefined) {
      const rest = shape.slice(1).reduce<number>((p, d) => p * (d as number), 1);
      const reduced = this.b.add("reduce_axis", [this.b.reshape(x, [shape[0]!, rest])], undefined, { ...attrs, axis: 1 });
      return node.keepdim ? this.b.reshape(reduced, shape.map((d, i) => (i === 0 ? d : 1))) : reduced;
    }
    const reduced = this.b.add("reduce_axis", [x], undefined, { ...attrs, axis: node.axis });
    return node.keepdim ? this.b.reshape(reduced, shape.map((d, i) => (i === node.axis ? 1 : d))) : reduced;
  }

  /**
   * `a @ w` for `[…, n, k] @ [k, m]` (or `[k]`) as one `matmul` over reshape views: leading axes fold into
   * the rows when their sizes are known; a vector on either side is a matrix of one row or column.
   */
  private matrixProduct(node: TensorNode & { span: Span }, left: number, right: number): number | undefined {
    const sa = this.graph.shape(left);
    const sb = this.graph.shape(right);
    if (sb.includes("N")) return refuse(this.diagnostics, node.span, "`@` with the batch axis on its right side", "put the batched tensor on the left: `x @ w`");
    const lead = sa.slice(0, -1);
    const k = sa[sa.length - 1] as number;
    if (sa.length > 2 && lead.includes("N")) {
      return refuse(this.diagnostics, node.span, `\`@\` of a batched tensor of rank ${sa.length} (\`[N, …, n, k] @ [k, m]\`)`, "flatten the left side to `[N, k]` first, or use `dense`");
    }
    const rows: number | "N" = lead.length === 0 ? 1 : lead.length === 1 ? lead[0]! : (lead as number[]).reduce((p, d) => p * d, 1);
    const m = sb.length === 2 ? (sb[1] as number) : 1;
    // The WGSL matmul reads the inner size from the shape of its left operand's buffer, which a reshape
    // view shares with a tensor of another shape. So a left side that needs a view is copied into a
    // [rows, k] matrix, and a product that needs one is copied before it, so that its gradient (the left
    // operand of a backward matmul) is a matrix of its own too.
    const view = this.b.reshape(left, [rows, k]);
    const matrix = view === left ? left : this.b.add("materialize", [view]);
    const product = this.b.matmul(matrix, this.b.reshape(right, [k, m]), false, false);
    const shape = [...lead, ...(sb.length === 2 ? [m] : [])];
    const same = shape.length === 2 && shape[0] === rows && shape[1] === m;
    return same ? product : this.b.reshape(this.b.add("materialize", [product]), shape);
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
      case "dropout": {
        const keep = a.num("keep", true);
        const rate = keep !== undefined ? 1 - keep : a.num("p");
        const p = this.regularization ? rate : 0;
        // Each application draws its own mask (a stream per dropout node), as a PyTorch Dropout called twice does.
        return (x) => (p === 0 ? x : this.b.unary("dropout", x, { p, stream: this.randomStream() }));
      }
      default: {
        const family = LAYER_LOWERINGS[a.call.builtin];
        if (!family) throw new Error(`internal: no lowering for the layer \`${a.call.builtin}\``);
        return family(this, layer, a);
      }
    }
  }
}
