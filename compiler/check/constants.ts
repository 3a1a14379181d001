// Compile-time evaluation of the constant expressions found in arguments: `2 * width`, `-pi`, `1e-3`.
import type * as A from "../../grammar/ast.js";
import type { ArgValue } from "../builtins/types.js";
import { CONSTANTS } from "./context.js";

export type Lookup = (name: string) => ArgValue | "unknown-name";

/** The value of `expr`, `undefined` when it is not a compile-time constant, or "unknown-name" for a bad name. */
export function evaluateConstant(expr: A.Expr, lookup: Lookup): ArgValue | "unknown-name" {
  switch (expr.kind) {
    case "Number":
      return expr.unit ? { unit: expr.unit, count: expr.value } : expr.value;
    case "String":
      return expr.value;
    case "Bool":
      return expr.value;
    case "Paren":
      return evaluateConstant(expr.inner, lookup);
    case "Name":
      if (expr.name in CONSTANTS) return CONSTANTS[expr.name];
      return lookup(expr.name);
    case "Negate": {
      const value = evaluateConstant(expr.operand, lookup);
      return typeof value === "number" ? -value : value === "unknown-name" ? value : undefined;
    }
    case "Binary": {
      const left = evaluateConstant(expr.left, lookup);
      const right = evaluateConstant(expr.right, lookup);
      if (left === "unknown-name" || right === "unknown-name") return "unknown-name";
      if (typeof left !== "number" || typeof right !== "number") return undefined;
      return arithmetic(expr.op, left, right);
    }
    case "List": {
      const items: ArgValue[] = [];
      for (const item of expr.items) {
        const value = evaluateConstant(item, lookup);
        if (value === "unknown-name") return value;
        items.push(value);
      }
      return items;
    }
    default:
      return undefined;
  }
}

function arithmetic(op: A.BinaryOperator, a: number, b: number): number | undefined {
  switch (op) {
    case "+":
      return a + b;
    case "-":
      return a - b;
    case "*":
      return a * b;
    case "/":
      return b === 0 ? undefined : a / b;
    case "**":
      return a ** b;
    default:
      return undefined;
  }
}
