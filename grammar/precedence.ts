// Operator precedence for the flat `operand (operator operand)*` sequences the grammar reads
// (docs/language.md §3): loosest first `then`, `|>`, `+ -`, `* / @`, unary `-`, `**` (right-associative).
import type { IToken } from "chevrotain";
import type * as A from "./ast.js";

const PRECEDENCE: Record<string, number> = { then: 1, "|>": 2, "+": 3, "-": 3, "*": 4, "/": 4, "@": 4, "**": 6 };

export interface Operand {
  expr: A.Expr;
  negated: boolean;
  /** Where the leading minus starts, for the span of the negation. */
  start: number;
}

export function spanOfToken(t: IToken): A.Span {
  return { start: t.startOffset, end: t.startOffset + t.image.length };
}

export function join(a: A.Span, b: A.Span): A.Span {
  return { start: Math.min(a.start, b.start), end: Math.max(a.end, b.end) };
}

/** Builds the tree; `operators[i]` sits between `operands[i]` and `operands[i + 1]`. */
export function applyPrecedence(operands: Operand[], operators: IToken[]): A.Expr {
  if (operands.length === 1 && !operands[0]!.negated) return operands[0]!.expr;
  return new Climber(operands, operators).climb(1);
}

class Climber {
  private position = 0;

  constructor(
    private readonly operands: Operand[],
    private readonly operators: IToken[],
  ) {}

  climb(minimum: number): A.Expr {
    let left = this.unary();
    for (;;) {
      const op = this.operators[this.position - 1];
      const precedence = op ? PRECEDENCE[op.image] : undefined;
      if (!op || precedence === undefined || precedence < minimum || this.position >= this.operands.length) return left;
      const right = this.climb(op.image === "**" ? precedence : precedence + 1);
      left = combine(op, left, right);
    }
  }

  /** An operand; a leading minus applies to its whole `**` chain, so `-x ** 2` is `-(x ** 2)`. */
  private unary(): A.Expr {
    const operand = this.operands[this.position++]!;
    if (!operand.negated) return operand.expr;
    let inner = operand.expr;
    while (this.operators[this.position - 1]?.image === "**" && this.position < this.operands.length) {
      const op = this.operators[this.position - 1]!;
      inner = combine(op, inner, this.climb(PRECEDENCE["**"]!));
    }
    const span = { start: operand.start, end: inner.span.end };
    // Fold `-3` into a literal so the checker sees a number, as a reader does.
    if (inner === operand.expr && inner.kind === "Number") return { ...inner, value: -inner.value, raw: "-" + inner.raw, span };
    return { kind: "Negate", operand: inner, span };
  }
}

function combine(op: IToken, left: A.Expr, right: A.Expr): A.Expr {
  const span = join(left.span, right.span);
  if (op.image === "|>") return { kind: "Pipeline", stages: left.kind === "Pipeline" ? [...left.stages, right] : [left, right], span };
  if (op.image === "then") return { kind: "Sequence", parts: left.kind === "Sequence" ? [...left.parts, right] : [left, right], span };
  return { kind: "Binary", op: op.image as A.BinaryOperator, left, right, opSpan: spanOfToken(op), span };
}
