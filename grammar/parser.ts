// The Chevrotain grammar of .dl files, with embedded actions that build the typed AST (grammar/ast.ts)
// directly. Recovery is on, so one pass reports several syntax errors and still yields a partial tree; the
// actions therefore accept missing pieces (undefined results, tokens inserted by recovery). Recovery is
// bounded (the limits below) so that no input, however broken, overflows the stack or takes minutes.
//
// Design note: style.md suggests a CST and a separate visitor. Building the AST in the actions instead
// halves parse time and memory on large files (bench/check-speed.ts), which the language server needs;
// the grammar stays readable because every action is one small constructor call.
import { EmbeddedActionsParser, type IToken, type ITokenGrammarPath, type TokenType } from "chevrotain";
import type * as A from "./ast.js";
import { applyPrecedence, join, spanOfToken, type Operand } from "./precedence.js";
import * as T from "./tokens.js";

const UNITS = new Set(["step", "steps", "epoch", "epochs"]);
const OPERATORS: TokenType[] = [T.Then, T.PipeOp, T.Plus, T.Minus, T.Star, T.Slash, T.At, T.Power];

/** A token actually read from the source (recovery inserts tokens with no position). */
function real(t: IToken | undefined): t is IToken {
  return t !== undefined && !Number.isNaN(t.startOffset);
}

function identifier(t: IToken): A.Identifier {
  return { kind: "Identifier", name: t.image, span: spanOfToken(t) };
}

function unescape(raw: string): string {
  return raw.slice(1, -1).replace(/\\(.)/g, (_, c: string) => (c === "n" ? "\n" : c === "t" ? "\t" : c));
}

/**
 * Syntax errors after which the parser stops reading (clang stops at 20). Each costs Chevrotain's recovery
 * about 75 µs, so a 5 MB file of nothing but errors took a minute, and nobody reads the thousandth.
 */
export const MAX_SYNTAX_ERRORS = 1000;
/** How many in-repetition re-syncs may be nested; see boundRepetitionRecovery. */
const MAX_NESTED_RESYNCS = 20;
/** How deep in rules single-token recovery may look for what comes next; see getNextPossibleTokenTypes. */
const MAX_RULES_FOR_TOKEN_RECOVERY = 64;

class DlParser extends EmbeddedActionsParser {
  constructor() {
    super(T.allTokens, { recoveryEnabled: true, maxLookahead: 3 });
    this.performSelfAnalysis();
    this.boundRepetitionRecovery();
  }

  /**
   * After an error inside a repetition (the items of a file, the statements of a body, the arguments of a
   * call), Chevrotain skips to where the next iteration can start and re-enters the repetition
   * *recursively*, so N consecutive errors cost N levels of stack: a few thousand lines of prose, or a
   * Python file opened as .dl, overflowed it. Each re-entry also scans ahead for a token to re-sync on, at
   * the top level to the end of the file, so their number bounds the time as well (20: 4 s for a 5 MB file
   * of prose; 100 took 20 s). Past MAX_NESTED_RESYNCS nested re-entries this declines; the error then goes
   * to rule-level recovery, which skips ahead by unwinding (at the top level: the rest of the file is
   * reported as one error and not read).
   */
  private boundRepetitionRecovery(): void {
    // Not public API: Chevrotain installs this per instance when recovery is enabled (recoverable.js).
    const parser = this as unknown as { attemptInRepetitionRecovery: (...args: unknown[]) => void };
    const attempt = parser.attemptInRepetitionRecovery;
    let nested = 0;
    parser.attemptInRepetitionRecovery = function (this: unknown, ...args: unknown[]) {
      if (nested >= MAX_NESTED_RESYNCS) return;
      nested++;
      try {
        attempt.apply(this, args);
      } finally {
        nested--;
      }
    };
  }

  /**
   * Single-token recovery (insert a missing `)`, drop a stray token) asks which tokens may come next by
   * walking the grammar along the whole rule stack, recursively and at several times the stack cost of
   * parsing: an error 220 nested calls deep overflowed the stack. Deeper than a real file nests, answer
   * "none", so the error goes to rule-level recovery instead, which skips ahead without that walk.
   */
  protected override getNextPossibleTokenTypes(grammarPath: ITokenGrammarPath): TokenType[] {
    return grammarPath.ruleStack.length > MAX_RULES_FOR_TOKEN_RECOVERY ? [] : super.getNextPossibleTokenTypes(grammarPath);
  }

  /** Offset where the next token starts. */
  private here(): number {
    const t = this.LA(1);
    return real(t) ? t.startOffset : this.end();
  }

  /** Offset just after the last token read. */
  private end(): number {
    for (let k = 0; k > -3; k--) {
      const t = this.LA(k);
      if (real(t)) return t.startOffset + t.image.length;
    }
    return 0;
  }

  private span(start: number): A.Span {
    return { start, end: Math.max(start, this.end()) };
  }

  /**
   * Items read so far. Kept on the parser rather than returned, so that when recovery abandons the `file`
   * rule (skipping junk to the end), the items before the junk survive.
   */
  items: A.Item[] = [];

  /** Set once MAX_SYNTAX_ERRORS are reported: the loops over items and statements then stop reading. */
  private stopped = false;

  private readOn(): boolean {
    // `errors` is a copy made on each read, so the answer is kept once it is no.
    this.stopped ||= this.errors.length >= MAX_SYNTAX_ERRORS;
    return !this.stopped;
  }

  file = this.RULE("file", () => {
    this.MANY({
      GATE: () => this.readOn(),
      DEF: () =>
        this.OR([
          { ALT: () => this.SUBRULE(this.separator) },
          {
            ALT: () => {
              const item = this.SUBRULE(this.item);
              this.ACTION(() => item && this.items.push(item));
            },
          },
        ]),
    });
  });

  /** Parses the tokens of one file. */
  parseFile(tokens: IToken[]): A.Item[] {
    this.input = tokens;
    this.items = [];
    this.stopped = false;
    this.file();
    return this.items;
  }

  separator = this.RULE("separator", () => {
    this.OR([{ ALT: () => this.CONSUME(T.Newline) }, { ALT: () => this.CONSUME(T.Semicolon) }]);
  });

  item = this.RULE("item", (): A.Item | undefined =>
    this.OR([
      { ALT: () => this.SUBRULE(this.modelDecl) },
      { ALT: () => this.SUBRULE(this.trainDecl) },
      { ALT: () => this.SUBRULE(this.searchDecl) },
      { ALT: () => this.SUBRULE(this.letDecl) },
    ]),
  );

  // `model` and `block` share one shape: a name, parameters, an optional output type and a body.
  modelDecl = this.RULE("modelDecl", (): A.ModelDecl | undefined => {
    const start = this.here();
    const keyword = this.OR([{ ALT: () => this.CONSUME(T.Model) }, { ALT: () => this.CONSUME(T.Block) }]);
    const name = this.CONSUME(T.Identifier);
    const params: A.Param[] = [];
    this.CONSUME(T.LParen);
    this.MANY_SEP({
      SEP: T.Comma,
      DEF: () => {
        const param = this.SUBRULE(this.param);
        this.ACTION(() => param && params.push(param));
      },
    });
    this.CONSUME(T.RParen);
    const output = this.OPTION(() => {
      this.CONSUME(T.Arrow);
      return this.SUBRULE(this.typeExpr);
    });
    const body = this.SUBRULE(this.body);
    return this.ACTION(() => {
      if (!real(name)) return undefined;
      const span = this.span(start);
      return {
        kind: keyword?.image === "block" ? "Block" : "Model",
        name: identifier(name),
        params,
        output: output ?? undefined,
        body: body?.statements ?? [],
        bodySpan: body?.span ?? span,
        span,
      };
    });
  });

  param = this.RULE("param", (): A.Param | undefined => {
    const start = this.here();
    const name = this.CONSUME(T.Identifier);
    const type = this.OPTION(() => {
      this.CONSUME(T.Colon);
      return this.SUBRULE(this.typeExpr);
    });
    const value = this.OPTION2(() => {
      this.CONSUME(T.Equals);
      return this.SUBRULE(this.expression);
    });
    return this.ACTION(() => (real(name) ? { name: identifier(name), type: type ?? undefined, default: value ?? undefined, span: this.span(start) } : undefined));
  });

  // `f32[N, 64]`, `int`, `activation`.
  typeExpr = this.RULE("typeExpr", (): A.TypeExpr | undefined => {
    const start = this.here();
    const name = this.CONSUME(T.Identifier);
    const dims = this.OPTION(() => {
      const list: A.Expr[] = [];
      this.CONSUME(T.LBracket);
      this.MANY_SEP({
        SEP: T.Comma,
        DEF: () => {
          const dim = this.SUBRULE(this.expression);
          this.ACTION(() => dim && list.push(dim));
        },
      });
      this.CONSUME(T.RBracket);
      return list;
    });
    return this.ACTION(() => (real(name) ? { kind: "Type", name: identifier(name), dims: dims ?? undefined, span: this.span(start) } : undefined));
  });

  trainDecl = this.RULE("trainDecl", (): A.TrainDecl => {
    const start = this.here();
    this.CONSUME(T.Train);
    const model = this.OPTION(() => this.CONSUME(T.Identifier));
    const body = this.SUBRULE(this.body);
    return this.ACTION(() => {
      const span = this.span(start);
      return { kind: "Train", model: real(model) ? identifier(model) : undefined, body: body?.statements ?? [], bodySpan: body?.span ?? span, span };
    });
  });

  searchDecl = this.RULE("searchDecl", (): A.SearchDecl => {
    const start = this.here();
    this.CONSUME(T.Search);
    const body = this.SUBRULE(this.body);
    return this.ACTION(() => {
      const span = this.span(start);
      return { kind: "Search", body: body?.statements ?? [], bodySpan: body?.span ?? span, span };
    });
  });

  letDecl = this.RULE("letDecl", (): A.LetDecl | undefined => {
    const start = this.here();
    this.CONSUME(T.Let);
    const name = this.CONSUME(T.Identifier);
    this.CONSUME(T.Equals);
    const value = this.SUBRULE(this.expression);
    return this.ACTION(() => {
      if (!real(name)) return undefined;
      const span = this.span(start);
      return { kind: "Let", name: identifier(name), value: value ?? { kind: "Missing", span }, span };
    });
  });

  body = this.RULE("body", (): { statements: A.Statement[]; span: A.Span } => {
    const start = this.here();
    const statements: A.Statement[] = [];
    this.CONSUME(T.LBrace);
    this.MANY({
      GATE: () => this.readOn(),
      DEF: () =>
        this.OR([
          { ALT: () => this.SUBRULE(this.separator) },
          {
            ALT: () => {
              const statement = this.SUBRULE(this.statement);
              this.ACTION(() => statement && statements.push(statement));
            },
          },
        ]),
    });
    this.CONSUME(T.RBrace);
    return { statements, span: this.ACTION(() => this.span(start)) };
  });

  // return EXPR | NAME = EXPR | NAME ~ EXPR | CALL(...) | NAME EXPR (a setting such as `epochs 20`)
  statement = this.RULE("statement", (): A.Statement | undefined => {
    const start = this.here();
    return this.OR([
      {
        ALT: () => {
          this.CONSUME(T.Return);
          const value = this.SUBRULE(this.expression);
          return this.ACTION((): A.Statement => {
            const span = this.span(start);
            return { kind: "Return", value: value ?? { kind: "Missing", span }, span };
          });
        },
      },
      {
        GATE: () => this.LA(2).tokenType === T.Equals || this.LA(2).tokenType === T.Tilde,
        ALT: () => {
          const target = this.CONSUME(T.Identifier);
          const op = this.OR2([{ ALT: () => this.CONSUME(T.Equals) }, { ALT: () => this.CONSUME(T.Tilde) }]);
          const value = this.SUBRULE2(this.expression);
          return this.ACTION((): A.Statement | undefined => {
            if (!real(target)) return undefined;
            const span = this.span(start);
            return { kind: op?.image === "~" ? "Sample" : "Assign", target: identifier(target), value: value ?? { kind: "Missing", span }, span };
          });
        },
      },
      {
        GATE: () => this.LA(2).tokenType === T.LParen,
        ALT: () => {
          const call = this.SUBRULE3(this.expression);
          return this.ACTION((): A.Statement | undefined => (call ? { kind: "Directive", call, span: this.span(start) } : undefined));
        },
      },
      {
        ALT: () => {
          const name = this.CONSUME2(T.Identifier);
          const value = this.SUBRULE4(this.expression);
          return this.ACTION((): A.Statement | undefined => {
            if (!real(name)) return undefined;
            const span = this.span(start);
            return { kind: "Setting", name: identifier(name), value: value ?? { kind: "Missing", span }, span };
          });
        },
      },
    ]);
  });

  // Expressions are read as a flat sequence `operand (operator operand)*`; precedence.ts builds the tree.
  expression = this.RULE("expression", (): A.Expr => {
    const start = this.here();
    const operands: Operand[] = [];
    const operators: IToken[] = [];
    const first = this.SUBRULE(this.operand);
    this.ACTION(() => first && operands.push(first));
    this.MANY(() => {
      const op = this.OR(OPERATORS.map((type) => ({ ALT: () => this.CONSUME(type) })));
      const next = this.SUBRULE2(this.operand);
      this.ACTION(() => {
        // Recovery may drop an operand; keep only operators that sit between two operands.
        if (next && real(op) && operands.length > 0) {
          operators.push(op);
          operands.push(next);
        }
      });
    });
    return this.ACTION(() => (operands.length ? applyPrecedence(operands, operators) : { kind: "Missing", span: this.span(start) }));
  });

  operand = this.RULE("operand", (): Operand | undefined => {
    const start = this.here();
    const minus = this.OPTION(() => this.CONSUME(T.Minus));
    let expr: A.Expr | undefined = this.OR([
      {
        ALT: () => {
          const number = this.CONSUME(T.NumberLiteral);
          const unit = this.OPTION2({
            GATE: () => UNITS.has(this.LA(1).image) && this.LA(1).tokenType === T.Identifier,
            DEF: () => this.CONSUME(T.Identifier),
          });
          return this.ACTION((): A.Expr => {
            const last = real(unit) ? unit : number;
            return {
              kind: "Number",
              value: Number(number.image),
              raw: number.image,
              unit: real(unit) ? (unit.image.startsWith("step") ? "steps" : "epochs") : undefined,
              span: { start: number.startOffset, end: last.startOffset + last.image.length },
            };
          });
        },
      },
      {
        ALT: () => {
          const t = this.CONSUME(T.StringLiteral);
          return this.ACTION((): A.Expr => ({ kind: "String", value: unescape(t.image), raw: t.image, span: spanOfToken(t) }));
        },
      },
      { ALT: () => this.literal(this.CONSUME(T.True), true) },
      { ALT: () => this.literal(this.CONSUME(T.False), false) },
      {
        // `dense(256, init: kaiming_normal)`, with its arguments read right here rather than in rules of their
        // own: every rule a nested call passes through costs stack, and nesting.ts lets calls nest
        // MAX_NESTING deep (a separate `callArgs` and `argument` rule overflowed at 296 nested calls).
        ALT: () => {
          const name = this.CONSUME2(T.Identifier);
          const args: A.Argument[] = [];
          this.CONSUME2(T.LParen);
          this.MANY_SEP2({
            SEP: T.Comma,
            DEF: () => {
              const argStart = this.here();
              const argName = this.OPTION3({
                GATE: () => this.LA(2).tokenType === T.Colon,
                DEF: () => {
                  const n = this.CONSUME4(T.Identifier);
                  this.CONSUME(T.Colon);
                  return n;
                },
              });
              const value = this.SUBRULE3(this.expression);
              this.ACTION(() => {
                const span = this.span(argStart);
                args.push({ name: real(argName) ? identifier(argName) : undefined, value: value ?? { kind: "Missing", span }, span });
              });
            },
          });
          this.CONSUME2(T.RParen);
          return this.ACTION((): A.Expr => ({ kind: "Call", callee: identifier(name), args, span: this.span(name.startOffset) }));
        },
      },
      {
        // A bare name; the call above is tried first, on `name(`.
        ALT: () => {
          const name = this.CONSUME5(T.Identifier);
          return this.ACTION((): A.Expr => ({ kind: "Name", name: name.image, span: spanOfToken(name) }));
        },
      },
      {
        ALT: () => {
          const group = this.CONSUME(T.TooDeep);
          return this.ACTION((): A.Expr => ({ kind: "Missing", span: spanOfToken(group) }));
        },
      },
      {
        ALT: () => {
          const open = this.CONSUME(T.LParen);
          const inner = this.SUBRULE(this.expression);
          this.CONSUME(T.RParen);
          return this.ACTION((): A.Expr => {
            const span = this.span(open.startOffset);
            return { kind: "Paren", inner: inner ?? { kind: "Missing", span }, span };
          });
        },
      },
      {
        ALT: () => {
          const open = this.CONSUME(T.LBracket);
          const items: A.Expr[] = [];
          this.MANY_SEP({
            SEP: T.Comma,
            DEF: () => {
              const item = this.SUBRULE2(this.expression);
              this.ACTION(() => item && items.push(item));
            },
          });
          this.CONSUME(T.RBracket);
          return this.ACTION((): A.Expr => ({ kind: "List", items, span: this.span(open.startOffset) }));
        },
      },
    ]);
    this.MANY(() => {
      this.CONSUME(T.Dot);
      const property = this.CONSUME3(T.Identifier);
      this.ACTION(() => {
        if (expr && real(property)) {
          const prop = identifier(property);
          expr = { kind: "Member", object: expr, property: prop, span: join(expr.span, prop.span) };
        }
      });
    });
    return this.ACTION(() => {
      if (!expr || Number.isNaN(expr.span.start)) return undefined;
      return { expr, negated: real(minus), start: real(minus) ? minus.startOffset : start };
    });
  });

  private literal(t: IToken, value: boolean): A.Expr {
    return this.ACTION(() => ({ kind: "Bool", value, span: spanOfToken(t) }));
  }
}

/** Built once and reused: performSelfAnalysis() is the expensive part of Chevrotain. */
export const dlParser = new DlParser();
