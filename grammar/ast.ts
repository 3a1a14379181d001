// The abstract syntax of .dl files. Every node carries the source span it came from (byte offsets into the
// file, end exclusive) so that every later diagnostic can point at the exact text.

export interface Span {
  start: number;
  end: number;
}

export interface Identifier {
  kind: "Identifier";
  name: string;
  span: Span;
}

export type Unit = "steps" | "epochs";

export interface NumberLiteral {
  kind: "Number";
  value: number;
  /** The literal as written (`1e-3`, `0.10`), kept so the formatter never rewrites numbers. */
  raw: string;
  unit?: Unit;
  span: Span;
}

export interface StringLiteral {
  kind: "String";
  value: string;
  raw: string;
  span: Span;
}

export interface BoolLiteral {
  kind: "Bool";
  value: boolean;
  span: Span;
}

export interface NameRef {
  kind: "Name";
  name: string;
  span: Span;
}

export interface Argument {
  name?: Identifier;
  value: Expr;
  span: Span;
}

/** `dense(256, init: kaiming_normal)`; `args` is undefined for a bare name used as a call, e.g. `relu`. */
export interface Call {
  kind: "Call";
  callee: Identifier;
  args: Argument[];
  span: Span;
}

export interface Member {
  kind: "Member";
  object: Expr;
  property: Identifier;
  span: Span;
}

/** `x |> dense(10) |> relu`: stages[0] is the value fed in, the rest are applied in order. */
export interface Pipeline {
  kind: "Pipeline";
  stages: Expr[];
  span: Span;
}

/** `warmup(200 steps) then cosine()`: schedules run one after another. */
export interface Sequence {
  kind: "Sequence";
  parts: Expr[];
  span: Span;
}

export type BinaryOperator = "+" | "-" | "*" | "/" | "@" | "**";

export interface Binary {
  kind: "Binary";
  op: BinaryOperator;
  left: Expr;
  right: Expr;
  opSpan: Span;
  span: Span;
}

export interface Negate {
  kind: "Negate";
  operand: Expr;
  span: Span;
}

export interface List {
  kind: "List";
  items: Expr[];
  span: Span;
}

export interface Paren {
  kind: "Paren";
  inner: Expr;
  span: Span;
}

/** Stands where recovery left a hole; the parser has already reported it. */
export interface Missing {
  kind: "Missing";
  span: Span;
}

export type Expr =
  | NumberLiteral
  | StringLiteral
  | BoolLiteral
  | NameRef
  | Call
  | Member
  | Pipeline
  | Sequence
  | Binary
  | Negate
  | List
  | Paren
  | Missing;

/** `f32[N, 64]` has dims; `int` or `activation` has none. */
export interface TypeExpr {
  kind: "Type";
  name: Identifier;
  dims?: Expr[];
  span: Span;
}

export interface Param {
  name: Identifier;
  type?: TypeExpr;
  default?: Expr;
  span: Span;
}

export interface Assign {
  kind: "Assign";
  target: Identifier;
  value: Expr;
  span: Span;
}

/** `lr ~ loguniform(1e-4, 1e-1)` inside `search`. */
export interface Sample {
  kind: "Sample";
  target: Identifier;
  value: Expr;
  span: Span;
}

/** `epochs 20`: a setting written without `=`. */
export interface Setting {
  kind: "Setting";
  name: Identifier;
  value: Expr;
  span: Span;
}

/** A bare call such as `early_stopping(patience: 5)`. */
export interface Directive {
  kind: "Directive";
  call: Expr;
  span: Span;
}

export interface Return {
  kind: "Return";
  value: Expr;
  span: Span;
}

export type Statement = Assign | Sample | Setting | Directive | Return;

export interface ModelDecl {
  kind: "Model" | "Block";
  name: Identifier;
  params: Param[];
  output?: TypeExpr;
  body: Statement[];
  bodySpan: Span;
  span: Span;
}

export interface TrainDecl {
  kind: "Train";
  model?: Identifier;
  body: Statement[];
  bodySpan: Span;
  span: Span;
}

export interface SearchDecl {
  kind: "Search";
  body: Statement[];
  bodySpan: Span;
  span: Span;
}

export interface LetDecl {
  kind: "Let";
  name: Identifier;
  value: Expr;
  span: Span;
}

export type Item = ModelDecl | TrainDecl | SearchDecl | LetDecl;

export interface Comment {
  text: string;
  span: Span;
}

export interface DlFile {
  items: Item[];
  comments: Comment[];
  span: Span;
}
