// Shapes of arithmetic on tensors (`+ - * / **` with broadcasting, `@`) and of the tensor functions
// `param`, `concat`, `sum` and `mean`.
import type * as A from "../../grammar/ast.js";
import type { BuiltinSpec } from "../builtins/types.js";
import { argumentName, checkValue, matchArguments } from "./args.js";
import { evaluateConstant } from "./constants.js";
import type { BodyChecker } from "./model.js";
import { ERROR, type ModelValue } from "./model-value.js";
import { broadcast, formatShape, sameShape, type Dim, type Shape } from "./shapes.js";

export function binaryShape(checker: BodyChecker, expr: A.Binary): ModelValue {
  const left = checker.evaluate(expr.left);
  const right = checker.evaluate(expr.right);
  if (left.k === "error" || right.k === "error") return ERROR;
  if (left.k === "const" && right.k === "const") {
    const value = evaluateConstant(expr, checker.lookupConst);
    return { k: "const", value: value === "unknown-name" ? undefined : value };
  }
  for (const [side, value] of [[expr.left, left], [expr.right, right]] as const) {
    if (value.k === "layer") {
      checker.notATensor(side, value);
      return ERROR;
    }
  }
  if (expr.op === "**") {
    if (right.k !== "const") {
      checker.ctx.report("E0201", expr.right.span, "the exponent of `**` must be a constant number", { label: "not a constant" });
      return ERROR;
    }
    return left;
  }
  if (left.k === "const") return right;
  if (right.k === "const") return left;
  if (left.k !== "tensor" || right.k !== "tensor") return ERROR;
  if (expr.op === "@") return matmul(checker, expr, left.shape, right.shape);
  const shape = broadcast(left.shape, right.shape);
  if (!shape) {
    checker.ctx.report("E0301", expr.opSpan, `cannot combine ${formatShape(left.shape)} and ${formatShape(right.shape)} with \`${expr.op}\``, {
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

function matmul(checker: BodyChecker, expr: A.Binary, a: Shape, b: Shape): ModelValue {
  const fail = (why: string) => {
    checker.ctx.report("E0301", expr.opSpan, `cannot multiply ${formatShape(a)} by ${formatShape(b)}: ${why}`, {
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

export function tensorFunction(checker: BodyChecker, spec: BuiltinSpec, expr: A.Call): ModelValue {
  const tensors: Shape[] = [];
  let failed = false;
  const args = matchArguments(expr.callee, expr.args, spec.params, checker.ctx, (param, arg) => {
    if (param.name === "x" || param.name === "tensors") {
      const items = param.name === "tensors" && arg.value.kind === "List" ? arg.value.items : [arg.value];
      for (const item of items) {
        const value = checker.evaluate(item);
        if (value.k === "tensor") tensors.push(value.shape);
        else {
          checker.notATensor(item, value);
          failed = true;
        }
      }
      if (param.name === "tensors" && arg.value.kind !== "List") {
        checker.ctx.report("E0201", arg.value.span, "concat takes a list of tensors", { label: "not a list", help: "write `concat([a, b])`" });
        failed = true;
      }
      return undefined;
    }
    return checkValue(arg.value, param.type, checker.ctx, checker.scope(), argumentName(param.name, spec.name));
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
          checker.ctx.report("E0301", expr.callee.span, `concat needs all axes but ${axis} to agree: ${tensors.map((s) => formatShape(s)).join(" and ")}`, {
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
        checker.ctx.report("E0202", expr.span, `axis ${args.get("axis")} is out of range for ${formatShape(shape)}`, { label: "no such axis" });
        return ERROR;
      }
      return { k: "tensor", shape: args.get("keepdim") === true ? shape.map((d, i) => (i === axis ? 1 : d)) : shape.filter((_, i) => i !== axis) };
    }
  }
}
