// Checking model and block bodies: names, layers and their arguments, and shape inference through every
// statement. Blocks are checked where they are applied, with their symbols bound to the actual sizes.
import type * as A from "../../grammar/ast.js";
import { categoriesOf, lookupBuiltin, namesIn } from "../builtins/registry.js";
import { ShapeError, type ArgType, type ArgValue, type ArgValues, type BuiltinSpec, type ParamSpec } from "../builtins/types.js";
import { argumentName, checkArguments, checkValue, reportBareNameMissing, describeExpr, matchArguments, reportWrongBuiltin, type ArgScope } from "./args.js";
import { CONSTANTS, type CheckContext } from "./context.js";
import { evaluateConstant } from "./constants.js";
import { broadcast, formatShape, sameShape, type Dim, type Shape } from "./shapes.js";
import { readTensorType, substitute, unifyShape } from "./tensor-types.js";
import { suggestFix } from "./suggest.js";

export type ModelValue =
  | { k: "tensor"; shape: Shape; producer?: string }
  | { k: "layer"; name: string; apply: (input: Shape, at: A.Span, inputSpan: A.Span) => ModelValue }
  | { k: "const"; value: ArgValue }
  | { k: "error" };

const ERROR: ModelValue = { k: "error" };

interface Binding {
  value: ModelValue;
  span: A.Span;
  used: boolean;
  /** Model inputs and block parameters are not "unused values" when ignored. */
  isParameter: boolean;
}

export interface ModelSummary {
  inputs: { name: string; shape: Shape; span: A.Span }[];
  output?: Shape;
  /** The layer that produced the output (e.g. `softmax`), for loss lints. */
  outputProducer?: string;
  /** Layers named by assignment (`fc1 = dense(64)`), usable in parameter selections. */
  namedLayers: Set<string>;
  /** Builtin layers used anywhere in the model, blocks included. */
  layersUsed: Set<string>;
}

class BodyChecker {
  readonly env = new Map<string, Binding>();
  readonly namedLayers = new Set<string>();

  constructor(
    readonly ctx: CheckContext,
    readonly summary: ModelSummary,
    /** Blocks being instantiated, outermost first, to catch recursion. */
    readonly stack: string[],
    readonly symbols: Map<string, Dim>,
  ) {}

  lookupConst = (name: string): ArgValue | "unknown-name" => {
    const binding = this.env.get(name);
    if (binding) {
      binding.used = true;
      return binding.value.k === "const" ? binding.value.value : undefined;
    }
    const letValue = this.ctx.lets.get(name);
    if (letValue) return letValue.value;
    return "unknown-name";
  };

  scope(): ArgScope {
    return {
      lookup: this.lookupConst,
      layerNames: this.namedLayers,
      visibleNames: () => [...this.env.keys(), ...this.ctx.lets.keys()],
    };
  }

  bind(name: A.Identifier, value: ModelValue, isParameter: boolean): void {
    const previous = this.env.get(name.name);
    if (previous && !previous.used && !previous.isParameter) this.reportUnused(name.name, previous);
    this.env.set(name.name, { value, span: name.span, used: false, isParameter });
    if (value.k === "tensor") this.ctx.shapes.set(name, value.shape);
  }

  reportUnused(name: string, binding: Binding): void {
    this.ctx.report("W0001", binding.span, `\`${name}\` is computed but never used`, {
      label: "never used",
      help: `use it, or remove the line; if the result is meant to be kept for later, name it \`_${name}\``,
    });
  }

  /** Runs the statements of a body; returns the value of its `return`. */
  run(body: A.Statement[], declSpan: A.Span, what: string): ModelValue | undefined {
    let result: ModelValue | undefined;
    let returned = false;
    for (const statement of body) {
      if (returned) {
        this.ctx.report("E0402", statement.span, `this line comes after \`return\` and never runs`, {
          label: "unreachable",
          help: "move it above the `return`, or delete it",
        });
        break;
      }
      switch (statement.kind) {
        case "Assign": {
          const value = this.evaluate(statement.value);
          if (value.k === "layer") this.namedLayers.add(statement.target.name);
          this.bind(statement.target, value.k === "layer" ? this.shared(statement.target.name, value) : value, false);
          break;
        }
        case "Return":
          result = this.evaluate(statement.value);
          returned = true;
          break;
        default:
          this.ctx.report("E0405", statement.span, `${statementNoun(statement)} cannot appear in a ${what}`, {
            label: "not allowed here",
            help: `a ${what} holds assignments like \`h = x |> dense(64)\` and ends with \`return\`; training settings go in \`train { … }\``,
          });
      }
    }
    if (!returned) {
      this.ctx.report("E0401", declSpan, `this ${what} does not return anything`, {
        label: "no `return`",
        help: "end the body with `return <expression>`",
      });
    }
    for (const [name, binding] of this.env) {
      if (!binding.used && !binding.isParameter && !name.startsWith("_") && binding.value.k !== "layer") this.reportUnused(name, binding);
    }
    return result;
  }

  /** A named layer shares its weights: every use must see the same input shape. */
  shared(name: string, layer: Extract<ModelValue, { k: "layer" }>): ModelValue {
    let first: { shape: Shape; span: A.Span } | undefined;
    return {
      k: "layer",
      name,
      apply: (input, at, inputSpan) => {
        if (first && !sameShape(first.shape.slice(1), input.slice(1))) {
          this.ctx.report("E0302", at, `layer \`${name}\` is shared, but this use gives it ${formatShape(input)} instead of ${formatShape(first.shape)}`, {
            label: `input is ${formatShape(input)}`,
            labels: [{ span: first.span, message: `first applied to ${formatShape(first.shape)} here` }],
            help: `a named layer keeps one set of weights; write a second \`${layer.name}(…)\` for a separate layer`,
          });
          return ERROR;
        }
        first ??= { shape: input, span: at };
        return layer.apply(input, at, inputSpan);
      },
    };
  }

  evaluate(expr: A.Expr): ModelValue {
    const value = this.evaluateInner(expr);
    if (value.k === "tensor") this.ctx.shapes.set(expr, value.shape);
    return value;
  }

  private evaluateInner(expr: A.Expr): ModelValue {
    switch (expr.kind) {
      case "Missing":
        return ERROR;
      case "Number":
        if (expr.unit) {
          this.ctx.report("E0201", expr.span, `a duration (\`${expr.raw} ${expr.unit}\`) has no meaning inside a model`, { label: "remove the unit" });
          return ERROR;
        }
        return { k: "const", value: expr.value };
      case "Paren":
        return this.evaluate(expr.inner);
      case "Name":
        return this.name(expr);
      case "Call":
        return this.call(expr);
      case "Pipeline":
        return this.pipeline(expr);
      case "Binary":
        return this.binary(expr);
      case "Negate": {
        const operand = this.evaluate(expr.operand);
        if (operand.k === "const" && typeof operand.value === "number") return { k: "const", value: -operand.value };
        if (operand.k === "tensor") return { k: "tensor", shape: operand.shape };
        if (operand.k !== "error") this.notATensor(expr.operand, operand);
        return ERROR;
      }
      default:
        this.ctx.report("E0201", expr.span, `expected a tensor or a layer, found ${describeExpr(expr)}`, { label: "not a tensor" });
        return ERROR;
    }
  }

  private name(expr: A.NameRef): ModelValue {
    const binding = this.env.get(expr.name);
    if (binding) {
      binding.used = true;
      return binding.value;
    }
    const block = this.ctx.blocks.get(expr.name);
    if (block) return this.blockLayer(block, { kind: "Identifier", name: expr.name, span: expr.span }, []);
    const spec = lookupBuiltin(expr.name, ["layer"]);
    if (spec) {
      if (spec.params.some((p) => p.required)) {
        reportBareNameMissing({ kind: "Identifier", name: expr.name, span: expr.span }, spec, this.ctx);
        return { k: "layer", name: spec.name, apply: () => ERROR };
      }
      return this.builtinLayer(spec, new Map(), expr.span);
    }
    const letValue = this.ctx.lets.get(expr.name);
    if (letValue) return { k: "const", value: letValue.value };
    if (expr.name in CONSTANTS) return { k: "const", value: CONSTANTS[expr.name] };
    if (categoriesOf(expr.name).length > 0) {
      reportWrongBuiltin({ kind: "Identifier", name: expr.name, span: expr.span }, ["layer", "tensor_fn"], this.ctx);
      return ERROR;
    }
    const candidates = [...this.env.keys(), ...this.ctx.lets.keys(), ...this.ctx.blocks.keys(), ...namesIn(["layer"])];
    this.ctx.report("E0101", expr.span, `cannot find \`${expr.name}\` in this scope`, {
      label: "not found",
      ...suggestFix(expr.name, candidates, expr.span),
    });
    return ERROR;
  }

  private call(expr: A.Call): ModelValue {
    const name = expr.callee.name;
    const block = this.ctx.blocks.get(name);
    if (block) return this.blockCall(block, expr);
    const layer = lookupBuiltin(name, ["layer"]);
    if (layer) {
      const before = this.ctx.diagnostics.items.length;
      const args = checkArguments(expr, layer, this.ctx, this.scope());
      // A layer whose arguments are wrong has no trustworthy output shape: stop here rather than cascade.
      const failed = this.ctx.diagnostics.items.slice(before).some((d) => d.severity === "error");
      return failed ? { k: "layer", name, apply: () => ERROR } : this.builtinLayer(layer, args, expr.span);
    }
    const fn = lookupBuiltin(name, ["tensor_fn"]);
    if (fn) return this.tensorFunction(fn, expr);
    reportWrongBuiltin(expr.callee, ["layer", "tensor_fn"], this.ctx, this.ctx.blocks.keys());
    return ERROR;
  }

  builtinLayer(spec: BuiltinSpec, args: ArgValues, span: A.Span): ModelValue {
    if (spec.name === "dropout" && args.has("p") && args.has("keep")) {
      this.ctx.report("E0107", span, "dropout takes `p` (probability of dropping) or `keep` (probability of keeping), not both", {
        label: "both given",
        help: "keep one: `p` = 1 − `keep`",
      });
    }
    return {
      k: "layer",
      name: spec.name,
      apply: (input, at, inputSpan) => {
        this.summary.layersUsed.add(spec.name);
        try {
          return { k: "tensor", shape: spec.shape!(input, args), producer: spec.name };
        } catch (error) {
          if (!(error instanceof ShapeError)) throw error;
          this.ctx.report(error.code, at, error.message, {
            label: `\`${spec.name}\` cannot take this input`,
            labels: [{ span: inputSpan, message: `this is ${formatShape(input)}` }],
            help: error.help,
            fixes: error.insertBefore ? [{ title: `insert \`${error.insertBefore.replace(/ \|> $/, "")}\` before \`${spec.name}\``, span: { start: at.start, end: at.start }, replacement: error.insertBefore }] : [],
          });
          return ERROR;
        }
      },
    };
  }

  private pipeline(expr: A.Pipeline): ModelValue {
    let value = this.evaluate(expr.stages[0]!);
    let inputSpan = expr.stages[0]!.span;
    if (value.k === "layer") {
      this.ctx.report("E0205", expr.stages[0]!.span, `a pipeline must start from a tensor, but \`${value.name}\` is a layer`, {
        label: "a layer, not a tensor",
        help: "start from a model input or a value computed above, e.g. `x |> …`",
      });
      return ERROR;
    }
    for (const stage of expr.stages.slice(1)) {
      const layer = this.evaluate(stage);
      if (layer.k === "error" || value.k === "error") {
        value = ERROR;
        continue;
      }
      if (layer.k !== "layer") {
        this.ctx.report("E0205", stage.span, `only layers and blocks can follow \`|>\`, but this is ${layer.k === "tensor" ? `a tensor (${formatShape(layer.shape)})` : "a constant"}`, {
          label: "not a layer",
          help: layer.k === "tensor" ? "to combine two tensors use `+`, `*` or `concat([a, b])`" : undefined,
        });
        value = ERROR;
        continue;
      }
      if (value.k !== "tensor") {
        this.notATensor(expr.stages[0]!, value);
        return ERROR;
      }
      value = layer.apply(value.shape, stage.span, inputSpan);
      if (value.k === "tensor") this.ctx.shapes.set(stage, value.shape);
      inputSpan = { start: expr.stages[0]!.span.start, end: stage.span.end };
    }
    return value;
  }

  private notATensor(expr: A.Expr, value: ModelValue): void {
    if (value.k === "error") return;
    this.ctx.report("E0201", expr.span, `expected a tensor, found ${value.k === "layer" ? `the layer \`${value.name}\`` : "a constant"}`, {
      label: "not a tensor",
      help: value.k === "layer" ? `apply it to a tensor: \`x |> ${value.name}\`` : undefined,
    });
  }

  private binary(expr: A.Binary): ModelValue {
    const left = this.evaluate(expr.left);
    const right = this.evaluate(expr.right);
    if (left.k === "error" || right.k === "error") return ERROR;
    if (left.k === "const" && right.k === "const") {
      const value = evaluateConstant(expr, this.lookupConst);
      return { k: "const", value: value === "unknown-name" ? undefined : value };
    }
    for (const [side, value] of [[expr.left, left], [expr.right, right]] as const) {
      if (value.k === "layer") {
        this.notATensor(side, value);
        return ERROR;
      }
    }
    if (expr.op === "**") {
      if (right.k !== "const") {
        this.ctx.report("E0201", expr.right.span, "the exponent of `**` must be a constant number", { label: "not a constant" });
        return ERROR;
      }
      return left;
    }
    if (left.k === "const") return right;
    if (right.k === "const") return left;
    if (left.k !== "tensor" || right.k !== "tensor") return ERROR;
    if (expr.op === "@") return this.matmul(expr, left.shape, right.shape);
    const shape = broadcast(left.shape, right.shape);
    if (!shape) {
      this.ctx.report("E0301", expr.opSpan, `cannot combine ${formatShape(left.shape)} and ${formatShape(right.shape)} with \`${expr.op}\``, {
        label: "shapes do not broadcast",
        labels: [
          { span: expr.left.span, message: `this is ${formatShape(left.shape)}` },
          { span: expr.right.span, message: `this is ${formatShape(right.shape)}` },
        ],
        help: "sizes must match from the right, or be 1; project one side with `dense` to the other's width",
      });
      return ERROR;
    }
    return { k: "tensor", shape };
  }

  private matmul(expr: A.Binary, a: Shape, b: Shape): ModelValue {
    const fail = (why: string) => {
      this.ctx.report("E0301", expr.opSpan, `cannot multiply ${formatShape(a)} by ${formatShape(b)}: ${why}`, {
        label: "matrix product",
        labels: [
          { span: expr.left.span, message: `this is ${formatShape(a)}` },
          { span: expr.right.span, message: `this is ${formatShape(b)}` },
        ],
      });
      return ERROR;
    };
    if (a.length < 1 || b.length < 1) return fail("both sides need at least one axis");
    if (b.length > 2) return fail("the right side must be a vector or a matrix");
    const inner = b.length === 2 ? b[0]! : b[0]!;
    if (a[a.length - 1] !== inner) return fail(`inner sizes ${a[a.length - 1]} and ${inner} differ`);
    return { k: "tensor", shape: [...a.slice(0, -1), ...(b.length === 2 ? [b[1]!] : [])] };
  }

  private tensorFunction(spec: BuiltinSpec, expr: A.Call): ModelValue {
    const tensors: Shape[] = [];
    let failed = false;
    const args = matchArguments(expr.callee, expr.args, spec.params, this.ctx, this.scope(), (param, arg) => {
      if (param.name === "x" || param.name === "tensors") {
        const items = param.name === "tensors" && arg.value.kind === "List" ? arg.value.items : [arg.value];
        for (const item of items) {
          const value = this.evaluate(item);
          if (value.k === "tensor") tensors.push(value.shape);
          else {
            this.notATensor(item, value);
            failed = true;
          }
        }
        if (param.name === "tensors" && arg.value.kind !== "List") {
          this.ctx.report("E0201", arg.value.span, "concat takes a list of tensors", { label: "not a list", help: "write `concat([a, b])`" });
          failed = true;
        }
        return undefined;
      }
      return checkValue(arg.value, param.type, this.ctx, this.scope(), argumentName(param.name, spec.name));
    });
    if (failed) return ERROR;
    const axisOf = (rank: number) => {
      const axis = args.get("axis");
      return typeof axis === "number" ? (axis < 0 ? rank + axis : axis) : undefined;
    };
    switch (spec.name) {
      case "param": {
        const shape = args.get("shape");
        return Array.isArray(shape) && shape.every((d) => typeof d === "number") ? { k: "tensor", shape: shape as number[] } : ERROR;
      }
      case "concat": {
        if (tensors.length === 0) return ERROR;
        const first = tensors[0]!;
        const axis = axisOf(first.length) ?? first.length - 1;
        let total: Dim = 0;
        for (const shape of tensors) {
          const others = (s: Shape) => s.filter((_, i) => i !== axis);
          if (shape.length !== first.length || !sameShape(others(shape), others(first))) {
            this.ctx.report("E0301", expr.callee.span, `concat needs all axes but ${axis} to agree: ${tensors.map((s) => formatShape(s)).join(" and ")}`, {
              label: "mismatched inputs",
            });
            return ERROR;
          }
          const size = shape[axis]!;
          total = typeof total === "number" && typeof size === "number" ? total + size : `${total}+${size}`;
        }
        return { k: "tensor", shape: first.map((d, i) => (i === axis ? total : d)) };
      }
      default: {
        const shape = tensors[0];
        if (!shape) return ERROR;
        const axis = axisOf(shape.length);
        if (axis === undefined) return { k: "tensor", shape: args.get("keepdim") === true ? shape.map((d, i) => (i === 0 ? d : 1)) : [shape[0]!] };
        if (axis < 0 || axis >= shape.length) {
          this.ctx.report("E0202", expr.span, `axis ${args.get("axis")} is out of range for ${formatShape(shape)}`, { label: "no such axis" });
          return ERROR;
        }
        return { k: "tensor", shape: args.get("keepdim") === true ? shape.map((d, i) => (i === axis ? 1 : d)) : shape.filter((_, i) => i !== axis) };
      }
    }
  }

  private blockCall(block: A.ModelDecl, expr: A.Call): ModelValue {
    const tensorParams = block.params.filter((p) => p.type?.dims);
    const positional = expr.args.filter((a) => !a.name);
    // `B(a, b)` with every tensor input given applies the block now; `x |> B(64)` leaves the first input to the pipe.
    const givesTensors = tensorParams.length > 0 && positional.length >= tensorParams.length && expr.args.slice(0, tensorParams.length).every((a) => !a.name);
    if (givesTensors) {
      const inputs = expr.args.slice(0, tensorParams.length).map((a) => this.evaluate(a.value));
      if (inputs.some((v) => v.k !== "tensor")) {
        inputs.forEach((v, i) => this.notATensor(expr.args[i]!.value, v));
        return ERROR;
      }
      const layer = this.blockLayer(block, expr.callee, expr.args.slice(tensorParams.length));
      if (layer.k !== "layer") return layer;
      return this.applyBlock(block, inputs.map((v) => (v as { shape: Shape }).shape), expr.span, expr.args[0]!.span, layer);
    }
    return this.blockLayer(block, expr.callee, expr.args);
  }

  private configArgs = new WeakMap<ModelValue, Map<string, ModelValue>>();

  /** A block with its configuration arguments bound, waiting for its tensor input. */
  blockLayer(block: A.ModelDecl, callee: A.Identifier, args: A.Argument[]): ModelValue {
    this.ctx.usedBlocks.add(block.name.name);
    const config = block.params.filter((p) => !p.type?.dims);
    const specs: ParamSpec[] = config.map((p) => ({ name: p.name.name, type: configType(p), required: p.default === undefined, doc: `parameter of block ${block.name.name}` }));
    const bound = new Map<string, ModelValue>();
    matchArguments(callee, args, specs, this.ctx, this.scope(), (param, arg) => {
      const decl = config.find((p) => p.name.name === param.name)!;
      if (isLayerTyped(decl)) {
        const value = this.evaluate(arg.value);
        if (value.k !== "layer" && value.k !== "error") {
          this.ctx.report("E0201", arg.value.span, `\`${param.name}\` of block \`${block.name.name}\` expects a layer such as \`relu\`, found ${describeExpr(arg.value)}`, { label: "not a layer" });
        }
        bound.set(param.name, value);
        return undefined;
      }
      const value = checkValue(arg.value, param.type, this.ctx, this.scope(), argumentName(param.name, block.name.name));
      bound.set(param.name, { k: "const", value });
      return value;
    });
    const layer: ModelValue = {
      k: "layer",
      name: block.name.name,
      apply: (input, at, inputSpan) => this.applyBlock(block, [input], at, inputSpan, layer),
    };
    this.configArgs.set(layer, bound);
    return layer;
  }

  private applyBlock(block: A.ModelDecl, inputs: Shape[], at: A.Span, inputSpan: A.Span, layer: ModelValue): ModelValue {
    const name = block.name.name;
    if (this.stack.includes(name)) {
      this.ctx.report("E0406", at, `block \`${name}\` applies itself${this.stack.length > 1 ? ` (through ${this.stack.join(" → ")})` : ""}`, {
        label: "recursive use",
        labels: [{ span: block.name.span, message: `\`${name}\` is defined here` }],
        help: "a block cannot contain itself; repeat it explicitly instead",
      });
      return ERROR;
    }
    const inner = new BodyChecker(this.ctx, this.summary, [...this.stack, name], new Map());
    const tensorParams = block.params.filter((p) => p.type?.dims);
    if (tensorParams.length !== inputs.length) {
      this.ctx.report("E0302", at, `block \`${name}\` takes ${tensorParams.length} tensor input${tensorParams.length === 1 ? "" : "s"}, but ${inputs.length} ${inputs.length === 1 ? "is" : "are"} given here`, {
        label: "wrong number of inputs",
        labels: [{ span: block.name.span, message: "defined here" }],
      });
      return ERROR;
    }
    for (let i = 0; i < tensorParams.length; i++) {
      const param = tensorParams[i]!;
      const declared = readTensorType(param.type!, this.ctx, inner.lookupConst);
      if (!declared) return ERROR;
      const problem = unifyShape(declared.shape, inputs[i]!, inner.symbols);
      if (problem) {
        this.ctx.report("E0302", at, `block \`${name}\` cannot take ${formatShape(inputs[i]!)} as \`${param.name.name}\`: ${problem}`, {
          label: `input is ${formatShape(inputs[i]!)}`,
          labels: [{ span: param.type!.span, message: `\`${param.name.name}\` is declared here` }],
          help: "change the block's parameter type, or reshape the input",
        });
        return ERROR;
      }
      inner.bind(param.name, { k: "tensor", shape: inputs[i]! }, true);
    }
    const bound = this.configArgs.get(layer) ?? new Map<string, ModelValue>();
    for (const param of block.params.filter((p) => !p.type?.dims)) {
      const value = bound.get(param.name.name) ?? (param.default ? this.evaluate(param.default) : ERROR);
      inner.bind(param.name, value, true);
    }
    for (const [symbol, dim] of inner.symbols) inner.env.set(symbol, { value: { k: "const", value: typeof dim === "number" ? dim : undefined }, span: block.name.span, used: true, isParameter: true });
    const result = inner.run(block.body, block.name.span, "block");
    if (!result || result.k !== "tensor") return result ?? ERROR;
    if (block.output) {
      const declared = readTensorType(block.output, this.ctx, inner.lookupConst);
      if (declared) {
        const expected = substitute(declared.shape, inner.symbols);
        const problem = unifyShape(expected, result.shape, new Map(inner.symbols));
        if (problem) {
          this.ctx.report("E0303", block.output.span, `block \`${name}\` returns ${formatShape(result.shape)}, not ${formatShape(expected)}`, {
            label: "declared output",
            labels: [{ span: at, message: "when applied here" }],
          });
          return ERROR;
        }
      }
    }
    return result;
  }
}

function isLayerTyped(param: A.Param): boolean {
  return param.type?.name.name === "layer" || param.type?.name.name === "activation";
}

function configType(param: A.Param): ArgType {
  switch (param.type?.name.name) {
    case "int":
      return { t: "number", integer: true };
    case "float":
      return { t: "number" };
    case "bool":
      return { t: "bool" };
    case "string":
      return { t: "string" };
    case "layer":
    case "activation":
      return { t: "ref", category: "layer" };
    default:
      if (param.default?.kind === "Bool") return { t: "bool" };
      if (param.default?.kind === "String") return { t: "string" };
      return { t: "number" };
  }
}

function statementNoun(statement: A.Statement): string {
  switch (statement.kind) {
    case "Setting":
      return `the setting \`${statement.name.name}\``;
    case "Sample":
      return "a search range (`~`)";
    case "Directive":
      return "a directive";
    case "Return":
      return "`return`";
    default:
      return "this statement";
  }
}

export { statementNoun };

const CONFIG_TYPES = ["int", "float", "bool", "string", "layer", "activation"];

/** Checks a model (or, when unused, a block on its own) and returns what the training checks need to know. */
export function checkModel(decl: A.ModelDecl, ctx: CheckContext): ModelSummary {
  const summary: ModelSummary = { inputs: [], namedLayers: new Set(), layersUsed: new Set() };
  const checker = new BodyChecker(ctx, summary, decl.kind === "Block" ? [decl.name.name] : [], new Map());
  let hasInput = false;
  for (const param of decl.params) {
    if (param.type?.dims) {
      const type = readTensorType(param.type, ctx, checker.lookupConst);
      if (!type) {
        hasInput = true;
        checker.bind(param.name, ERROR, true);
        continue;
      }
      hasInput = true;
      for (const dim of type.shape) if (typeof dim === "string") checker.env.set(dim, { value: { k: "const", value: undefined }, span: param.type.span, used: true, isParameter: true });
      summary.inputs.push({ name: param.name.name, shape: type.shape, span: param.type.span });
      checker.bind(param.name, { k: "tensor", shape: type.shape }, true);
    } else if (param.type && !CONFIG_TYPES.includes(param.type.name.name)) {
      ctx.report("E0309", param.type.span, `\`${param.type.name.name}\` is not a parameter type`, {
        label: "unknown type",
        help: `tensor inputs are written like \`f32[N, 64]\`; settings are ${CONFIG_TYPES.map((t) => `\`${t}\``).join(", ")}`,
      });
      checker.bind(param.name, ERROR, true);
    } else if (isLayerTyped(param)) {
      checker.bind(param.name, param.default ? checker.evaluate(param.default) : { k: "layer", name: param.name.name, apply: (input) => ({ k: "tensor", shape: input }) }, true);
    } else {
      const value = param.default ? checkValue(param.default, configType(param), ctx, checker.scope(), `\`${param.name.name}\``) : undefined;
      checker.bind(param.name, { k: "const", value }, true);
    }
  }
  if (decl.kind === "Model" && !hasInput) {
    ctx.report("E0309", decl.name.span, `model \`${decl.name.name}\` has no tensor input`, {
      label: "no input",
      help: `declare one, e.g. \`model ${decl.name.name}(x: f32[N, 64])\``,
    });
  }
  const result = checker.run(decl.body, decl.name.span, decl.kind === "Model" ? "model" : "block");
  for (const name of checker.namedLayers) summary.namedLayers.add(name);
  if (result?.k === "tensor") {
    summary.output = result.shape;
    summary.outputProducer = result.producer;
    if (decl.output && decl.kind === "Model") {
      const declared = readTensorType(decl.output, ctx, checker.lookupConst);
      if (declared && !sameShape(declared.shape, result.shape)) {
        const returned = decl.body.find((s) => s.kind === "Return");
        ctx.report("E0303", returned?.span ?? decl.name.span, `model \`${decl.name.name}\` returns ${formatShape(result.shape)}, but its declared output is ${formatShape(declared.shape)}`, {
          label: `this is ${formatShape(result.shape)}`,
          labels: [{ span: decl.output.span, message: "declared here" }],
          help: "change the last layer's size or the declared output type",
        });
      }
    }
  } else if (result && result.k !== "error") {
    const returned = decl.body.find((s) => s.kind === "Return")!;
    ctx.report("E0201", returned.span, `a ${decl.kind === "Model" ? "model" : "block"} must return a tensor`, { label: "not a tensor" });
  }
  return summary;
}
