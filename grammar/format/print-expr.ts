// Printing expressions in the canonical style: one space around binary operators and `|>`, none inside
// brackets, numbers exactly as written. Long pipelines and schedule sequences break before `|>` / `then`.
import type * as A from "../ast.js";

export const MAX_WIDTH = 100;

export function printType(type: A.TypeExpr): string {
  return type.dims ? `${type.name.name}[${type.dims.map((d) => printExpr(d)).join(", ")}]` : type.name.name;
}

function printArgs(args: A.Argument[]): string {
  return args.map((a) => (a.name ? `${a.name.name}: ${printExpr(a.value)}` : printExpr(a.value))).join(", ");
}

/** Prints on one line. */
export function printExpr(expr: A.Expr): string {
  switch (expr.kind) {
    case "Number":
      return expr.unit ? `${expr.raw} ${expr.unit}` : expr.raw;
    case "String":
      return expr.raw;
    case "Bool":
      return String(expr.value);
    case "Name":
      return expr.name;
    case "Call":
      return `${expr.callee.name}(${printArgs(expr.args)})`;
    case "Member":
      return `${printExpr(expr.object)}.${expr.property.name}`;
    case "Pipeline":
      return expr.stages.map(printExpr).join(" |> ");
    case "Sequence":
      return expr.parts.map(printExpr).join(" then ");
    case "Binary":
      return `${printExpr(expr.left)} ${expr.op} ${printExpr(expr.right)}`;
    case "Negate":
      return `-${printExpr(expr.operand)}`;
    case "List":
      return `[${expr.items.map(printExpr).join(", ")}]`;
    case "Paren":
      return `(${printExpr(expr.inner)})`;
    case "Missing":
      return "";
  }
}

/**
 * Prints an expression that starts after `prefix` on a line indented by `indent`; breaks a top-level
 * pipeline or sequence across lines when the one-line form would not fit.
 */
export function printExprAt(expr: A.Expr, indent: string, prefixLength: number): string {
  const flat = printExpr(expr);
  if (indent.length + prefixLength + flat.length <= MAX_WIDTH) return flat;
  const continuation = `\n${indent}  `;
  if (expr.kind === "Pipeline") return expr.stages.map(printExpr).join(`${continuation}|> `);
  if (expr.kind === "Sequence") return expr.parts.map((p) => printExprAt(p, indent + "  ", 5)).join(`${continuation}then `);
  return flat;
}
