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
 * Prints an expression that starts at column `column` (0-based); breaks a top-level pipeline or sequence
 * across lines, continuation lines indented by two more spaces than the statement, when it would not fit.
 * The returned lines are relative to the statement's own indentation (`statementIndent` columns).
 */
export function printExprAt(expr: A.Expr, column: number, statementIndent: number): string {
  const flat = printExpr(expr);
  if (column + flat.length <= MAX_WIDTH) return flat;
  const continuation = "\n  ";
  if (expr.kind === "Pipeline") return expr.stages.map(printExpr).join(`${continuation}|> `);
  if (expr.kind === "Sequence") return expr.parts.map((p) => printExprAt(p, statementIndent + 7, statementIndent + 2).replace(/\n/g, "\n  ")).join(`${continuation}then `);
  return flat;
}
