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

/** All elements of a node in source order (Chevrotain groups children by kind, not by position). */
function ordered(cst: CstNode): CstElement[] {
  const all = Object.values(cst.children).flat();
  return all.sort((a, b) => startOf(a) - startOf(b));
}

function startOf(element: CstElement): number {
  const value = isToken(element) ? element.startOffset : element.location?.startOffset;
  return value === undefined || Number.isNaN(value) ? Number.MAX_SAFE_INTEGER : value;
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
    dims: hasDims ? nodes(cst, "additive").map((d) => buildAdditive(d, span)) : undefined,
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

function buildExpr(cst: CstNode | undefined, fallback: A.Span): A.Expr {
  if (!cst) return missing(fallback);
  const span = spanOfNode(cst, fallback);
  const parts = nodes(cst, "pipeline").map((p) => buildPipeline(p, span));
  if (parts.length === 0) return missing(span);
  if (parts.length === 1) return parts[0]!;
  return { kind: "Sequence", parts, span };
}

function buildPipeline(cst: CstNode, fallback: A.Span): A.Expr {
  const span = spanOfNode(cst, fallback);
  const stages = nodes(cst, "additive").map((a) => buildAdditive(a, span));
  if (stages.length === 0) return missing(span);
  if (stages.length === 1) return stages[0]!;
  return { kind: "Pipeline", stages, span };
}

/** Left-associative chains: operands and operators come back grouped, so re-interleave them by offset. */
function buildChain(cst: CstNode, operandKey: string, fallback: A.Span, operand: (c: CstNode, s: A.Span) => A.Expr): A.Expr {
  const span = spanOfNode(cst, fallback);
  let result: A.Expr | undefined;
  let pendingOp: IToken | undefined;
  for (const element of ordered(cst)) {
    if (isToken(element)) {
      pendingOp = element;
      continue;
    }
    if (element.name !== operandKey) continue;
    const right = operand(element, span);
    if (result === undefined) result = right;
    else if (pendingOp && !Number.isNaN(pendingOp.startOffset)) {
      result = {
        kind: "Binary",
        op: pendingOp.image as A.BinaryOperator,
        left: result,
        right,
        opSpan: spanOfToken(pendingOp),
        span: join(result.span, right.span),
      };
    }
    pendingOp = undefined;
  }
  return result ?? missing(span);
}

function buildAdditive(cst: CstNode, fallback: A.Span): A.Expr {
  return buildChain(cst, "multiplicative", fallback, (m, s) =>
    buildChain(m, "unary", s, (u, s2) => buildUnary(u, s2)),
  );
}

function buildUnary(cst: CstNode, fallback: A.Span): A.Expr {
  const span = spanOfNode(cst, fallback);
  const power = node(cst, "power");
  const operand = power ? buildPower(power, span) : missing(span);
  if (token(cst, "Minus")) {
    // Fold `-3` into a literal so the checker sees a number, as a reader does.
    if (operand.kind === "Number") return { ...operand, value: -operand.value, raw: "-" + operand.raw, span };
    return { kind: "Negate", operand, span };
  }
  return operand;
}

function buildPower(cst: CstNode, fallback: A.Span): A.Expr {
  const span = spanOfNode(cst, fallback);
  const postfix = node(cst, "postfix");
  const base = postfix ? buildPostfix(postfix, span) : missing(span);
  const exponentNode = node(cst, "unary");
  const op = token(cst, "Power");
  if (!exponentNode || !op) return base;
  const exponent = buildUnary(exponentNode, span);
  return { kind: "Binary", op: "**", left: base, right: exponent, opSpan: spanOfToken(op), span };
}

function buildPostfix(cst: CstNode, fallback: A.Span): A.Expr {
  const span = spanOfNode(cst, fallback);
  const primary = node(cst, "primary");
  let result = primary ? buildPrimary(primary, span) : missing(span);
  for (const property of tokens(cst, "Identifier")) {
    const prop = identifier(property);
    result = { kind: "Member", object: result, property: prop, span: join(result.span, prop.span) };
  }
  return result;
}

function buildPrimary(cst: CstNode, fallback: A.Span): A.Expr {
  const span = spanOfNode(cst, fallback);
  const number = token(cst, "NumberLiteral");
  if (number) {
    const unitToken = token(cst, "Identifier");
    const unit = unitToken ? (unitToken.image.startsWith("step") ? "steps" : "epochs") : undefined;
    return { kind: "Number", value: Number(number.image), raw: number.image, unit, span };
  }
  const string = token(cst, "StringLiteral");
  if (string) return { kind: "String", value: unescape(string.image), raw: string.image, span };
  if (token(cst, "True")) return { kind: "Bool", value: true, span };
  if (token(cst, "False")) return { kind: "Bool", value: false, span };
  const name = token(cst, "Identifier");
  if (name) {
    const args = node(cst, "callArgs");
    if (!args) return { kind: "Name", name: name.image, span: spanOfToken(name) };
    return {
      kind: "Call",
      callee: identifier(name),
      args: nodes(args, "argument").map((a) => buildArgument(a, span)),
      span,
    };
  }
  if (token(cst, "LParen")) return { kind: "Paren", inner: buildExpr(node(cst, "expression"), span), span };
  if (token(cst, "LBracket")) {
    return { kind: "List", items: nodes(cst, "expression").map((e) => buildExpr(e, span)), span };
  }
  return missing(span);
}

function buildArgument(cst: CstNode, fallback: A.Span): A.Argument {
  const span = spanOfNode(cst, fallback);
  const name = token(cst, "Identifier");
  return { name: name ? identifier(name) : undefined, value: buildExpr(node(cst, "expression"), span), span };
}

function unescape(raw: string): string {
  return raw.slice(1, -1).replace(/\\(.)/g, (_, c: string) => (c === "n" ? "\n" : c === "t" ? "\t" : c));
}
