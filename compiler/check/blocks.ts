// Blocks: binding a block's configuration arguments, and checking its body where it is applied, with the
// symbols of its tensor types (`D` in `f32[N, D]`) bound to the sizes it receives.
import type * as A from "../../grammar/ast.js";
import type { ArgType, ParamSpec } from "../builtins/types.js";
import { argumentName, checkValue, describeExpr, matchArguments } from "./args.js";
import type { BodyChecker } from "./model.js";
import { ERROR, type ModelValue } from "./model-value.js";
import { formatShape, type Shape } from "./shapes.js";
import { readTensorType, substitute, unifyShape } from "./tensor-types.js";

export function blockCall(checker: BodyChecker, block: A.ModelDecl, expr: A.Call): ModelValue {
  const tensorParams = block.params.filter((p) => p.type?.dims);
  const positional = expr.args.filter((a) => !a.name);
  // `B(a, b)` with every tensor input given applies the block now; `x |> B(64)` leaves the first input to the pipe.
  const givesTensors = tensorParams.length > 0 && positional.length >= tensorParams.length && expr.args.slice(0, tensorParams.length).every((a) => !a.name);
  if (givesTensors) {
    const inputs = expr.args.slice(0, tensorParams.length).map((a) => checker.evaluate(a.value));
    if (inputs.some((v) => v.k !== "tensor")) {
      inputs.forEach((v, i) => checker.notATensor(expr.args[i]!.value, v));
      return ERROR;
    }
    const layer = blockLayer(checker, block, expr.callee, expr.args.slice(tensorParams.length));
    if (layer.k !== "layer") return layer;
    return applyBlock(checker, block, inputs.map((v) => (v as { shape: Shape }).shape), expr.span, layer);
  }
  return blockLayer(checker, block, expr.callee, expr.args);
}

/** The configuration arguments a block layer was created with, until it is applied. */
const configArgs = new WeakMap<ModelValue, Map<string, ModelValue>>();

/** A block with its configuration arguments bound, waiting for its tensor input. */
export function blockLayer(checker: BodyChecker, block: A.ModelDecl, callee: A.Identifier, args: A.Argument[]): ModelValue {
  checker.ctx.usedBlocks.add(block.name.name);
  const config = block.params.filter((p) => !p.type?.dims);
  const specs: ParamSpec[] = config.map((p) => ({ name: p.name.name, type: configType(p), required: p.default === undefined, doc: `parameter of block ${block.name.name}` }));
  const bound = new Map<string, ModelValue>();
  matchArguments(callee, args, specs, checker.ctx, (param, arg) => {
    const decl = config.find((p) => p.name.name === param.name)!;
    if (isLayerTyped(decl)) {
      const value = checker.evaluate(arg.value);
      if (value.k !== "layer" && value.k !== "error") {
        checker.ctx.report("E0201", arg.value.span, `\`${param.name}\` of block \`${block.name.name}\` expects a layer such as \`relu\`, found ${describeExpr(arg.value)}`, { label: "not a layer" });
      }
      bound.set(param.name, value);
      return undefined;
    }
    const value = checkValue(arg.value, param.type, checker.ctx, checker.scope(), argumentName(param.name, block.name.name));
    bound.set(param.name, { k: "const", value });
    return value;
  });
  const layer: ModelValue = {
    k: "layer",
    name: block.name.name,
    apply: (input, at) => applyBlock(checker, block, [input], at, layer),
  };
  configArgs.set(layer, bound);
  return layer;
}

function applyBlock(checker: BodyChecker, block: A.ModelDecl, inputs: Shape[], at: A.Span, layer: ModelValue): ModelValue {
  const name = block.name.name;
  if (checker.stack.includes(name)) {
    checker.ctx.report("E0406", at, `block \`${name}\` applies itself${checker.stack.length > 1 ? ` (through ${checker.stack.join(" → ")})` : ""}`, {
      label: "recursive use",
      labels: [{ span: block.name.span, message: `\`${name}\` is defined here` }],
      help: "a block cannot contain itself; repeat it explicitly instead",
    });
    return ERROR;
  }
  const inner = checker.child(name);
  const tensorParams = block.params.filter((p) => p.type?.dims);
  if (tensorParams.length !== inputs.length) {
    checker.ctx.report("E0302", at, `block \`${name}\` takes ${tensorParams.length} tensor input${tensorParams.length === 1 ? "" : "s"}, but ${inputs.length} ${inputs.length === 1 ? "is" : "are"} given here`, {
      label: "wrong number of inputs",
      labels: [{ span: block.name.span, message: "defined here" }],
    });
    return ERROR;
  }
  for (let i = 0; i < tensorParams.length; i++) {
    const param = tensorParams[i]!;
    const declared = readTensorType(param.type!, checker.ctx, inner.lookupConst);
    if (!declared) return ERROR;
    const problem = unifyShape(declared.shape, inputs[i]!, inner.symbols);
    if (problem) {
      checker.ctx.report("E0302", at, `block \`${name}\` cannot take ${formatShape(inputs[i]!)} as \`${param.name.name}\`: ${problem}`, {
        label: `input is ${formatShape(inputs[i]!)}`,
        labels: [{ span: param.type!.span, message: `\`${param.name.name}\` is declared here` }],
        help: "change the block's parameter type, or reshape the input",
      });
      return ERROR;
    }
    inner.bind(param.name, { k: "tensor", shape: inputs[i]! }, true);
  }
  const bound = configArgs.get(layer) ?? new Map<string, ModelValue>();
  for (const param of block.params.filter((p) => !p.type?.dims)) {
    const value = bound.get(param.name.name) ?? (param.default ? checker.evaluate(param.default) : ERROR);
    inner.bind(param.name, value, true);
  }
  for (const [symbol, dim] of inner.symbols) inner.env.set(symbol, { value: { k: "const", value: typeof dim === "number" ? dim : undefined }, span: block.name.span, used: true, isParameter: true });
  const result = inner.run(block.body, block.name.span, "block");
  if (!result || result.k !== "tensor") return result ?? ERROR;
  if (block.output) {
    const declared = readTensorType(block.output, checker.ctx, inner.lookupConst);
    if (declared) {
      const expected = substitute(declared.shape, inner.symbols);
      const problem = unifyShape(expected, result.shape, new Map(inner.symbols));
      if (problem) {
        checker.ctx.report("E0303", block.output.span, `block \`${name}\` returns ${formatShape(result.shape)}, not ${formatShape(expected)}`, {
          label: "declared output",
          labels: [{ span: at, message: "when applied here" }],
        });
        return ERROR;
      }
    }
  }
  return result;
}

export function isLayerTyped(param: A.Param): boolean {
  return param.type?.name.name === "layer" || param.type?.name.name === "activation";
}

export function configType(param: A.Param): ArgType {
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
