// Operator precedence for the flat `operand (operator operand)*` sequences the grammar reads
// (docs/language.md §3): loosest first `then`, `|>`, `+ -`, `* / @`, unary `-`, `**` (right-associative).
// The tree is built with two explicit stacks (shunting-yard) rather than by recursion, so a chain of
// 100,000 operators costs heap, not call stack; nesting.ts then bounds how deep the result may be.
import type { IToken } from "chevrotain";
import type * as A from "./ast.js";

const PRECEDENCE: Record<string, number> = { then: 1, "|>": 2, "+": 3, "-": 3, "*": 4, "/": 4, "@": 4, "**": 6 };
/** A leading minus binds tighter than `*` but looser than `**`, so `-x ** 2` is `-(x ** 2)`. */
const NEGATION = 5;

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

/** An operator still waiting for its right-hand side: a binary operator, or the leading minus of `operand`. */
type Pending = { precedence: number } & ({ op: IToken } | { negates: Operand });

/** Builds the tree; `operators[i]` sits between `operands[i]` and `operands[i + 1]`. */
export function applyPrecedence(operands: Operand[], operators: IToken[]): A.Expr {
  const values: A.Expr[] = [];
  const pending: Pending[] = [];
  const reduce = () => {
    const top = pending.pop()!;
    if ("negates" in top) values.push(negate(top.negates, values.pop()!));
    else {
      const right = values.pop()!;
      values.push(combine(top.op, values.pop()!, right));
    }
  };
  operands.forEach((operand, i) => {
    if (operand.negated) pending.push({ precedence: NEGATION, negates: operand });
    values.push(operand.expr);
    const op = operators[i];
    if (!op) return;
    const precedence = PRECEDENCE[op.image]!;
    const rightAssociative = op.image === "**";
    while (pending.length > 0) {
      const top = pending[pending.length - 1]!.precedence;
      if (top < precedence || (top === precedence && rightAssociative)) break;
      reduce();
    }
    pending.push({ precedence, op });
  });
  while (pending.length > 0) reduce();
  return values[0]!;
}

function negate(operand: Operand, inner: A.Expr): A.Expr {
  const span = { start: operand.start, end: inner.span.end };
  // Fold `-3` into a literal so the checker sees a number, as a reader does.
  if (inner === operand.expr && inner.kind === "Number") return { ...inner, value: -inner.value, raw: "-" + inner.raw, span };
  return { kind: "Negate", operand: inner, span };
}

function combine(op: IToken, left: A.Expr, right: A.Expr): A.Expr {
  const span = join(left.span, right.span);
  // A pipeline or sequence on the left was built by this very expression (operands are never one), so it
  // can grow in place: copying its stages at every `|>` made long pipelines quadratic.
  if (op.image === "|>" && left.kind === "Pipeline") {
    left.stages.push(right);
    left.span = span;
    return left;
  }
  if (op.image === "then" && left.kind === "Sequence") {
    left.parts.push(right);
    left.span = span;
    return left;
  }
  if (op.image === "|>") return { kind: "Pipeline", stages: [left, right], span };
  if (op.image === "then") return { kind: "Sequence", parts: [left, right], span };
  return { kind: "Binary", op: op.image as A.BinaryOperator, left, right, opSpan: spanOfToken(op), span };
}
