// A bound on how deeply expressions nest, enforced at the front so that no later phase (the parser's own
// recursive descent, the checker, lowering, the formatter, the language server's walkers, all recursive)
// can run out of stack on any input. Two passes around the parser:
//   - before it, a bracket group opened deeper than the parser may recurse becomes one TooDeep token, which
//     the parser reads as a `Missing` expression;
//   - after it, every expression deeper than MAX_NESTING is reported (E0004) and its too-deep part replaced
//     by a `Missing` node, which later phases treat as already reported.
import { createTokenInstance, type IToken } from "chevrotain";
import { diagnostic, type Diagnostic } from "../compiler/diagnostics/diagnostic.js";
import type * as A from "./ast.js";
import * as T from "./tokens.js";

/**
 * Levels of expression nesting allowed; every Binary, Paren, List, Call, Negate, Pipeline, Sequence and
 * Member node is one level. Real model files use a handful; a sum of N terms uses N - 1. The cost that
 * bounds it is the parser's: from a cold start it overflows Node's default stack at about 480 nested calls
 * or lists and 650 nested parentheses, so at 256 it uses a little over half of it.
 */
export const MAX_NESTING = 256;

/**
 * Bracket levels the parser reads before the token pass takes over. Two more than MAX_NESTING because a
 * parameter list and a tensor type (`model M(x: f32[N, …`) are brackets but not expressions; so, unless
 * recovery dropped brackets around it, a collapsed group lies inside an expression already deeper than
 * MAX_NESTING, which the tree pass reports.
 */
const PARSED_BRACKET_DEPTH = MAX_NESTING + 2;

const OPENING = new Set([T.LParen, T.LBracket]);
const CLOSING = new Set([T.RParen, T.RBracket]);
/** Never inside an expression, so an unclosed group ends before them rather than swallowing the file. */
const OUTSIDE_EXPRESSIONS = new Set([T.LBrace, T.RBrace]);

export interface CollapsedTokens {
  tokens: IToken[];
  /** For each collapsed group, by its start offset: how many bracket levels it held. */
  levels: Map<number, number>;
}

/** Replaces each bracket group opened deeper than PARSED_BRACKET_DEPTH by one TooDeep token spanning it. */
export function collapseDeepBrackets(tokens: IToken[], text: string): CollapsedTokens {
  const out: IToken[] = [];
  const levels = new Map<number, number>();
  let depth = 0;
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!;
    if (!(OPENING.has(token.tokenType) && depth === PARSED_BRACKET_DEPTH)) {
      if (OPENING.has(token.tokenType)) depth++;
      // Like layout.ts, a stray closing bracket does not make the depth negative.
      if (CLOSING.has(token.tokenType) && depth > 0) depth--;
      out.push(token);
      continue;
    }
    // The name of a call belongs to its group: `f` followed by a Missing operand would be a syntax error.
    const first = token.tokenType === T.LParen && out[out.length - 1]?.tokenType === T.Identifier ? out.pop()! : token;
    let last = i;
    let inner = 0;
    let deepest = 0;
    for (let j = i; j < tokens.length && !OUTSIDE_EXPRESSIONS.has(tokens[j]!.tokenType); j++) {
      last = j;
      if (OPENING.has(tokens[j]!.tokenType)) deepest = Math.max(deepest, ++inner);
      else if (CLOSING.has(tokens[j]!.tokenType) && --inner === 0) break;
    }
    const end = tokens[last]!.startOffset + tokens[last]!.image.length;
    out.push(createTokenInstance(T.TooDeep, text.slice(first.startOffset, end), first.startOffset, end - 1, NaN, NaN, NaN, NaN));
    levels.set(first.startOffset, deepest);
    i = last;
  }
  return { tokens: out, levels };
}

/** Reports every expression nested deeper than MAX_NESTING and cuts it down to that depth, in place. */
export function limitNesting(items: A.Item[], collapsed: Map<number, number>): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  for (const root of items.flatMap(expressionsOf)) {
    const { depths, atLeast } = depthsBelow(root, collapsed);
    const depth = depths.get(root)!;
    if (depth <= MAX_NESTING) continue;
    const cut = cutBelow(root, depths);
    const sum = cut.kind === "Binary" && (cut.op === "+" || cut.op === "-");
    diagnostics.push(
      diagnostic("E0004", root.span, `this expression is nested too deeply (${atLeast ? "at least " : ""}${depth} levels; the limit is ${MAX_NESTING})`, {
        label: `deeper than ${MAX_NESTING} levels`,
        help: sum ? "name parts of the sum as intermediate values, then add up the names" : "split it into named intermediate values",
      }),
    );
  }
  return diagnostics;
}

/** The outermost expressions of an item: values of statements and `let`s, parameter defaults, type dimensions. */
function expressionsOf(item: A.Item): A.Expr[] {
  const dims = (type: A.TypeExpr | undefined) => type?.dims ?? [];
  const statements = (body: A.Statement[]) => body.map((s) => (s.kind === "Directive" ? s.call : s.value));
  switch (item.kind) {
    case "Let":
      return [item.value];
    case "Model":
    case "Block":
      return [...item.params.flatMap((p) => [...dims(p.type), ...(p.default ? [p.default] : [])]), ...dims(item.output), ...statements(item.body)];
    case "Train":
    case "Search":
      return statements(item.body);
  }
}

const LEVELS = new Set<A.Expr["kind"]>(["Binary", "Paren", "List", "Call", "Negate", "Pipeline", "Sequence", "Member"]);

/**
 * The nesting depth of every expression under `root`, computed without recursion (the tree may be 100,000
 * deep). A collapsed group counts its brackets only, so with one inside, the depth is a lower bound.
 */
function depthsBelow(root: A.Expr, collapsed: Map<number, number>): { depths: Map<A.Expr, number>; atLeast: boolean } {
  const parentsFirst: A.Expr[] = [];
  const pending = [root];
  while (pending.length > 0) {
    const expr = pending.pop()!;
    parentsFirst.push(expr);
    replaceSubexpressions(expr, (child) => (pending.push(child), child));
  }
  const depths = new Map<A.Expr, number>();
  let atLeast = false;
  for (let i = parentsFirst.length - 1; i >= 0; i--) {
    const expr = parentsFirst[i]!;
    let deepest = 0;
    replaceSubexpressions(expr, (child) => ((deepest = Math.max(deepest, depths.get(child)!)), child));
    const group = expr.kind === "Missing" ? collapsed.get(expr.span.start) : undefined;
    atLeast ||= group !== undefined;
    depths.set(expr, group ?? (LEVELS.has(expr.kind) ? deepest + 1 : 0));
  }
  return { depths, atLeast };
}

/**
 * Replaces every part of `root` that starts below level MAX_NESTING by `Missing`; returns the first such
 * part (the root itself when it is a collapsed group).
 */
function cutBelow(root: A.Expr, depths: Map<A.Expr, number>): A.Expr {
  const cuts: A.Expr[] = [];
  const pending: [A.Expr, number][] = [[root, 1]];
  while (pending.length > 0) {
    const [expr, level] = pending.pop()!;
    replaceSubexpressions(expr, (child) => {
      if (level + depths.get(child)! <= MAX_NESTING) return child;
      // A collapsed group can sit higher than the brackets before it suggest, where recovery dropped some.
      if (level < MAX_NESTING && child.kind !== "Missing") {
        pending.push([child, level + 1]);
        return child;
      }
      cuts.push(child);
      return { kind: "Missing", span: child.span };
    });
  }
  return cuts.reduce((first, cut) => (cut.span.start < first.span.start ? cut : first), cuts[0] ?? root);
}

/** Puts `replace(child)` in place of each direct sub-expression of `expr`. */
function replaceSubexpressions(expr: A.Expr, replace: (child: A.Expr) => A.Expr): void {
  const all = (list: A.Expr[]) => list.forEach((child, i) => (list[i] = replace(child)));
  switch (expr.kind) {
    case "Binary":
      expr.left = replace(expr.left);
      expr.right = replace(expr.right);
      return;
    case "Paren":
      expr.inner = replace(expr.inner);
      return;
    case "Negate":
      expr.operand = replace(expr.operand);
      return;
    case "Member":
      expr.object = replace(expr.object);
      return;
    case "Call":
      for (const arg of expr.args) arg.value = replace(arg.value);
      return;
    case "List":
      return all(expr.items);
    case "Pipeline":
      return all(expr.stages);
    case "Sequence":
      return all(expr.parts);
  }
}
