// The Chevrotain grammar of .dl files. It builds a concrete syntax tree; grammar/build-ast.ts turns that into
// the typed AST. Recovery is on, so one pass reports several syntax errors and still yields a partial tree.
import { CstParser, EOF, type IToken } from "chevrotain";
import * as T from "./tokens.js";

const UNITS = new Set(["step", "steps", "epoch", "epochs"]);

class DlParser extends CstParser {
  constructor() {
    super(T.allTokens, { recoveryEnabled: true, maxLookahead: 3, nodeLocationTracking: "onlyOffset" });
    this.performSelfAnalysis();
  }

  file = this.RULE("file", () => {
    this.MANY(() => this.OR([
      { ALT: () => this.SUBRULE(this.separator) },
      { ALT: () => this.SUBRULE(this.item) },
    ]));
  });

  separator = this.RULE("separator", () => {
    this.OR([{ ALT: () => this.CONSUME(T.Newline) }, { ALT: () => this.CONSUME(T.Semicolon) }]);
  });

  item = this.RULE("item", () => {
    this.OR([
      { ALT: () => this.SUBRULE(this.modelDecl) },
      { ALT: () => this.SUBRULE(this.trainDecl) },
      { ALT: () => this.SUBRULE(this.searchDecl) },
      { ALT: () => this.SUBRULE(this.letDecl) },
    ]);
  });

  // `model` and `block` share one shape: a name, parameters, an optional output type and a body.
  modelDecl = this.RULE("modelDecl", () => {
    this.OR([{ ALT: () => this.CONSUME(T.Model) }, { ALT: () => this.CONSUME(T.Block) }]);
    this.CONSUME(T.Identifier);
    this.CONSUME(T.LParen);
    this.MANY_SEP({ SEP: T.Comma, DEF: () => this.SUBRULE(this.param) });
    this.CONSUME(T.RParen);
    this.OPTION(() => {
      this.CONSUME(T.Arrow);
      this.SUBRULE(this.typeExpr);
    });
    this.SUBRULE(this.body);
  });

  param = this.RULE("param", () => {
    this.CONSUME(T.Identifier);
    this.OPTION(() => {
      this.CONSUME(T.Colon);
      this.SUBRULE(this.typeExpr);
    });
    this.OPTION2(() => {
      this.CONSUME(T.Equals);
      this.SUBRULE(this.expression);
    });
  });

  // `f32[N, 64]`, `int`, `activation`.
  typeExpr = this.RULE("typeExpr", () => {
    this.CONSUME(T.Identifier);
    this.OPTION(() => {
      this.CONSUME(T.LBracket);
      this.MANY_SEP({ SEP: T.Comma, DEF: () => this.SUBRULE(this.expression) });
      this.CONSUME(T.RBracket);
    });
  });

  trainDecl = this.RULE("trainDecl", () => {
    this.CONSUME(T.Train);
    this.OPTION(() => this.CONSUME(T.Identifier));
    this.SUBRULE(this.body);
  });

  searchDecl = this.RULE("searchDecl", () => {
    this.CONSUME(T.Search);
    this.SUBRULE(this.body);
  });

  letDecl = this.RULE("letDecl", () => {
    this.CONSUME(T.Let);
    this.CONSUME(T.Identifier);
    this.CONSUME(T.Equals);
    this.SUBRULE(this.expression);
  });

  body = this.RULE("body", () => {
    this.CONSUME(T.LBrace);
    this.MANY(() => this.OR([
      { ALT: () => this.SUBRULE(this.separator) },
      { ALT: () => this.SUBRULE(this.statement) },
    ]));
    this.CONSUME(T.RBrace);
  });

  // return EXPR | NAME = EXPR | NAME ~ EXPR | CALL(...) | NAME EXPR (a setting such as `epochs 20`)
  statement = this.RULE("statement", () => {
    this.OR([
      { ALT: () => { this.CONSUME(T.Return); this.SUBRULE(this.expression); } },
      {
        GATE: () => this.LA(2).tokenType === T.Equals || this.LA(2).tokenType === T.Tilde,
        ALT: () => {
          this.CONSUME(T.Identifier);
          this.OR2([{ ALT: () => this.CONSUME(T.Equals) }, { ALT: () => this.CONSUME(T.Tilde) }]);
          this.SUBRULE2(this.expression);
        },
      },
      { GATE: () => this.LA(2).tokenType === T.LParen, ALT: () => this.SUBRULE3(this.expression) },
      {
        ALT: () => {
          this.CONSUME2(T.Identifier);
          this.SUBRULE4(this.expression);
        },
      },
    ]);
  });

  // Expressions are read as a flat sequence `operand (operator operand)*`; build-ast.ts applies precedence
  // (docs/language.md §3). Fewer nested rules make the concrete tree, and so parsing, much cheaper.
  expression = this.RULE("expression", () => {
    this.SUBRULE(this.operand);
    this.MANY(() => {
      this.OR([
        { ALT: () => this.CONSUME(T.Then) },
        { ALT: () => this.CONSUME(T.PipeOp) },
        { ALT: () => this.CONSUME(T.Plus) },
        { ALT: () => this.CONSUME(T.Minus) },
        { ALT: () => this.CONSUME(T.Star) },
        { ALT: () => this.CONSUME(T.Slash) },
        { ALT: () => this.CONSUME(T.At) },
        { ALT: () => this.CONSUME(T.Power) },
      ]);
      this.SUBRULE2(this.operand);
    });
  });

  operand = this.RULE("operand", () => {
    this.OPTION(() => this.CONSUME(T.Minus));
    this.OR([
      {
        ALT: () => {
          this.CONSUME(T.NumberLiteral);
          this.OPTION2({
            GATE: () => UNITS.has(this.LA(1).image) && this.LA(1).tokenType === T.Identifier,
            DEF: () => this.CONSUME(T.Identifier),
          });
        },
      },
      { ALT: () => this.CONSUME(T.StringLiteral) },
      { ALT: () => this.CONSUME(T.True) },
      { ALT: () => this.CONSUME(T.False) },
      {
        ALT: () => {
          this.CONSUME2(T.Identifier);
          this.OPTION3(() => this.SUBRULE(this.callArgs));
        },
      },
      {
        ALT: () => {
          this.CONSUME(T.LParen);
          this.SUBRULE(this.expression);
          this.CONSUME(T.RParen);
        },
      },
      {
        ALT: () => {
          this.CONSUME(T.LBracket);
          this.MANY_SEP({ SEP: T.Comma, DEF: () => this.SUBRULE2(this.expression) });
          this.CONSUME(T.RBracket);
        },
      },
    ]);
    this.MANY(() => {
      this.CONSUME(T.Dot);
      this.CONSUME3(T.Identifier);
    });
  });

  callArgs = this.RULE("callArgs", () => {
    this.CONSUME(T.LParen);
    this.MANY_SEP({ SEP: T.Comma, DEF: () => this.SUBRULE(this.argument) });
    this.CONSUME(T.RParen);
  });

  argument = this.RULE("argument", () => {
    this.OPTION({
      GATE: () => this.LA(2).tokenType === T.Colon,
      DEF: () => {
        this.CONSUME(T.Identifier);
        this.CONSUME(T.Colon);
      },
    });
    this.SUBRULE(this.expression);
  });
}

/** Built once and reused: performSelfAnalysis() is the expensive part of Chevrotain. */
export const dlParser = new DlParser();

export function isEof(token: IToken): boolean {
  return token.tokenType === EOF;
}
