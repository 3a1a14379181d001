// CST → AST. Kept apart from the grammar so the grammar stays declarative. Recovery can leave any child
// missing, so every accessor here tolerates holes and fills them with `Missing` nodes (already reported).
import type { CstElement, CstNode, IToken } from "chevrotain";
import type * as A from "./ast.js";

function isToken(element: CstElement): element is IToken {
  return (element as IToken).image !== undefined;
}

function node(cst: CstNode, key: string, index = 0): CstNode | undefined {
  const element = cst.children[key]?.[index];
  return element && !isToken(element) ? element : undefined;
}

function nodes(cst: CstNode, key: string): CstNode[] {
  return (cst.children[key] ?? []).filter((e): e is CstNode => !isToken(e));
}

function token(cst: CstNode, key: string, index = 0): IToken | undefined {
  const element = cst.children[key]?.[index];
  return element && isToken(element) && !Number.isNaN(element.startOffset) ? element : undefined;
}

function tokens(cst: CstNode, key: string): IToken[] {
  return (cst.children[key] ?? []).filter((e): e is IToken => isToken(e) && !Number.isNaN(e.startOffset));
}

export function spanOfNode(cst: CstNode | undefined, fallback: A.Span): A.Span {
  const start = cst?.location?.startOffset;
  const end = cst?.location?.endOffset;
  if (start === undefined || end === undefined || Number.isNaN(start) || Number.isNaN(end)) return fallback;
  return { start, end: end + 1 };
}

function spanOfToken(t: IToken): A.Span {
  return { start: t.startOffset, end: t.startOffset + t.image.length };
}

function join(a: A.Span, b: A.Span): A.Span {
  return { start: Math.min(a.start, b.start), end: Math.max(a.end, b.end) };
}

function identifier(t: IToken): A.Identifier {
  return { kind: "Identifier", name: t.image, span: spanOfToken(t) };
}

const NOWHERE: A.Span = { start: 0, end: 0 };

export function buildFile(cst: CstNode, comments: A.Comment[], length: number): A.DlFile {
  const items: A.Item[] = [];
  for (const item of nodes(cst, "item")) {
    const built = buildItem(item);
    if (built) items.push(built);
  }
  return { items, comments, span: { start: 0, end: length } };
}

function buildItem(cst: CstNode): A.Item | undefined {
  const model = node(cst, "modelDecl");
  if (model) return buildModel(model);
  const train = node(cst, "trainDecl");
  if (train) {
    const name = token(train, "Identifier");
    const body = node(train, "body");
    return {
      kind: "Train",
      model: name ? identifier(name) : undefined,
      body: buildBody(body),
      bodySpan: spanOfNode(body, spanOfNode(train, NOWHERE)),
      span: spanOfNode(train, NOWHERE),
    };
  }
  const search = node(cst, "searchDecl");
  if (search) {
    const body = node(search, "body");
    return {
      kind: "Search",
      body: buildBody(body),
      bodySpan: spanOfNode(body, spanOfNode(search, NOWHERE)),
      span: spanOfNode(search, NOWHERE),
    };
  }
  const letDecl = node(cst, "letDecl");
  if (letDecl) {
    const name = token(letDecl, "Identifier");
    if (!name) return undefined;
    const span = spanOfNode(letDecl, spanOfToken(name));
    return { kind: "Let", name: identifier(name), value: buildExpr(node(letDecl, "expression"), span), span };
  }
  return undefined;
}

function buildModel(cst: CstNode): A.ModelDecl | undefined {
  const name = token(cst, "Identifier");
  if (!name) return undefined;
  const span = spanOfNode(cst, spanOfToken(name));
  const output = node(cst, "typeExpr");
  const body = node(cst, "body");
  return {
    kind: token(cst, "Block") ? "Block" : "Model",
    name: identifier(name),
    params: nodes(cst, "param").flatMap((p) => buildParam(p) ?? []),
    output: output ? buildType(output) : undefined,
    body: buildBody(body),
    bodySpan: spanOfNode(body, span),
    span,
  };
}

function buildParam(cst: CstNode): A.Param | undefined {
  const name = token(cst, "Identifier");
  if (!name) return undefined;
  const span = spanOfNode(cst, spanOfToken(name));
  const type = node(cst, "typeExpr");
  const defaultValue = node(cst, "expression");
  return {
    name: identifier(name),
    type: type ? buildType(type) : undefined,
    default: defaultValue ? buildExpr(defaultValue, span) : undefined,
    span,
  };
}

function buildType(cst: CstNode): A.TypeExpr | undefined {
  const name = token(cst, "Identifier");
  if (!name) return undefined;
  const span = spanOfNode(cst, spanOfToken(name));
  const hasDims = token(cst, "LBracket") !== undefined;
  return {
    kind: "Type",
    name: identifier(name),
    dims: hasDims ? nodes(cst, "expression").map((d) => buildExpr(d, span)) : undefined,
    span,
  };
}

function buildBody(cst: CstNode | undefined): A.Statement[] {
  if (!cst) return [];
  return nodes(cst, "statement").flatMap((s) => buildStatement(s) ?? []);
}

function buildStatement(cst: CstNode): A.Statement | undefined {
  const span = spanOfNode(cst, NOWHERE);
  const expression = node(cst, "expression");
  if (token(cst, "Return")) return { kind: "Return", value: buildExpr(expression, span), span };
  const name = token(cst, "Identifier");
  const setting = token(cst, "Identifier", 0) ?? undefined;
  if (name && token(cst, "Equals")) return { kind: "Assign", target: identifier(name), value: buildExpr(expression, span), span };
  if (name && token(cst, "Tilde")) return { kind: "Sample", target: identifier(name), value: buildExpr(expression, span), span };
  if (setting && expression) return { kind: "Setting", name: identifier(setting), value: buildExpr(expression, span), span };
  if (expression) return { kind: "Directive", call: buildExpr(expression, span), span };
  return undefined;
}

function missing(span: A.Span): A.Missing {
  return { kind: "Missing", span };
}

/** Operator precedence, loosest first (docs/language.md §3); `**` is right-associative. */
const PRECEDENCE: Record<string, number> = { then: 1, "|>": 2, "+": 3, "-": 3, "*": 4, "/": 4, "@": 4, "**": 6 };

interface Operand {
  expr: A.Expr;
  negated: boolean;
  /** Where the leading minus starts, for the span of the negation. */
  start: number;
}

/** Precedence climbing over the flat `operand (operator operand)*` sequence the grammar reads. */
class ExpressionBuilder {
  private position = 0;

  constructor(
    private readonly operands: Operand[],
    private readonly operators: IToken[],
  ) {}

  build(): A.Expr {
    return this.climb(1);
  }

  private climb(minimum: number): A.Expr {
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
  if (op.image === "|>") {
    const stages = left.kind === "Pipeline" ? [...left.stages, right] : [left, right];
    return { kind: "Pipeline", stages, span };
  }
  if (op.image === "then") {
    const parts = left.kind === "Sequence" ? [...left.parts, right] : [left, right];
    return { kind: "Sequence", parts, span };
  }
  return { kind: "Binary", op: op.image as A.BinaryOperator, left, right, opSpan: spanOfToken(op), span };
}

function buildExpr(cst: CstNode | undefined, fallback: A.Span): A.Expr {
  if (!cst) return missing(fallback);
  const span = spanOfNode(cst, fallback);
  // An expression's children are its operands and the operator tokens between them.
  const operands: Operand[] = [];
  const operators: IToken[] = [];
  for (const key in cst.children) {
    for (const element of cst.children[key]!) {
      if (!isToken(element)) operands.push(buildOperand(element, span));
      else if (!Number.isNaN(element.startOffset)) operators.push(element);
    }
  }
  if (operands.length === 0) return missing(span);
  if (operands.length === 1 && !operands[0]!.negated) return operands[0]!.expr;
  if (operators.length > 1) operators.sort((a, b) => a.startOffset - b.startOffset);
  // Recovery may drop an operand; keep only operators that sit between two operands.
  return new ExpressionBuilder(operands, operators.slice(0, operands.length - 1)).build();
}

function buildOperand(cst: CstNode, fallback: A.Span): Operand {
  const span = spanOfNode(cst, fallback);
  const minus = token(cst, "Minus");
  const identifiers = tokens(cst, "Identifier");
  const number = token(cst, "NumberLiteral");
  let members = identifiers;
  let expr: A.Expr;
  const dot = token(cst, "Dot");
  const beforeMembers = (t: IToken) => dot === undefined || t.startOffset < dot.startOffset;
  const bodyStart = minus ? (number ?? identifiers[0] ?? token(cst, "LParen") ?? token(cst, "LBracket") ?? minus).startOffset : span.start;
  if (number) {
    const unitToken = identifiers[0] && beforeMembers(identifiers[0]) ? identifiers[0] : undefined;
    if (unitToken) members = identifiers.slice(1);
    const unit = unitToken ? (unitToken.image.startsWith("step") ? "steps" : "epochs") : undefined;
    const end = (unitToken ?? number).startOffset + (unitToken ?? number).image.length;
    expr = { kind: "Number", value: Number(number.image), raw: number.image, unit, span: { start: number.startOffset, end } };
  } else if (token(cst, "StringLiteral")) {
    const t = token(cst, "StringLiteral")!;
    expr = { kind: "String", value: unescape(t.image), raw: t.image, span: spanOfToken(t) };
  } else if (token(cst, "True") || token(cst, "False")) {
    const t = (token(cst, "True") ?? token(cst, "False"))!;
    expr = { kind: "Bool", value: t.image === "true", span: spanOfToken(t) };
  } else if (identifiers[0] && beforeMembers(identifiers[0]) && !token(cst, "LParen") && !token(cst, "LBracket")) {
    const name = identifiers[0];
    members = identifiers.slice(1);
    const args = node(cst, "callArgs");
    if (!args) expr = { kind: "Name", name: name.image, span: spanOfToken(name) };
    else {
      const callSpan = { start: name.startOffset, end: spanOfNode(args, spanOfToken(name)).end };
      expr = { kind: "Call", callee: identifier(name), args: nodes(args, "argument").map((a) => buildArgument(a, callSpan)), span: callSpan };
    }
  } else if (token(cst, "LParen")) {
    const open = token(cst, "LParen")!;
    const close = token(cst, "RParen");
    const parenSpan = { start: open.startOffset, end: close ? close.startOffset + 1 : span.end };
    expr = { kind: "Paren", inner: buildExpr(node(cst, "expression"), parenSpan), span: parenSpan };
  } else if (token(cst, "LBracket")) {
    const open = token(cst, "LBracket")!;
    const close = token(cst, "RBracket");
    const listSpan = { start: open.startOffset, end: close ? close.startOffset + 1 : span.end };
    expr = { kind: "List", items: nodes(cst, "expression").map((e) => buildExpr(e, listSpan)), span: listSpan };
  } else {
    expr = missing({ start: bodyStart, end: span.end });
  }
  for (const property of members) {
    const prop = identifier(property);
    expr = { kind: "Member", object: expr, property: prop, span: join(expr.span, prop.span) };
  }
  return { expr, negated: minus !== undefined, start: minus?.startOffset ?? expr.span.start };
}

function buildArgument(cst: CstNode, fallback: A.Span): A.Argument {
  const span = spanOfNode(cst, fallback);
  const name = token(cst, "Identifier");
  return { name: name ? identifier(name) : undefined, value: buildExpr(node(cst, "expression"), span), span };
}

function unescape(raw: string): string {
  return raw.slice(1, -1).replace(/\\(.)/g, (_, c: string) => (c === "n" ? "\n" : c === "t" ? "\t" : c));
}
