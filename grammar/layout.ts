// Newlines end statements, except where a statement obviously goes on: inside brackets, after an operator
// or comma, or before a line that starts with `|>` or `then`. This pass drops the newlines that do not end a
// statement so the grammar itself can treat every remaining Newline as a separator.
import type { IToken, TokenType } from "chevrotain";
import * as T from "./tokens.js";

const CONTINUES_AFTER = new Set<TokenType>([
  T.PipeOp, T.Arrow, T.Power, T.Star, T.Slash, T.Plus, T.Minus, T.At, T.Tilde,
  T.Comma, T.Colon, T.Equals, T.Then, T.LBrace, T.Semicolon, T.Newline,
]);
const CONTINUES_BEFORE = new Set<TokenType>([T.PipeOp, T.Then, T.RBrace]);

export function dropContinuationNewlines(tokens: IToken[]): IToken[] {
  const out: IToken[] = [];
  let depth = 0;
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!;
    const type = token.tokenType;
    if (type === T.LParen || type === T.LBracket) depth++;
    if ((type === T.RParen || type === T.RBracket) && depth > 0) depth--;
    if (type !== T.Newline) {
      out.push(token);
      continue;
    }
    // A run of blank lines acts as one newline: decide once for the run and skip past it (deciding per
    // newline, each looking ahead over the rest of the run, was quadratic in the run's length).
    const previous = out[out.length - 1];
    let j = i + 1;
    while (j < tokens.length && tokens[j]!.tokenType === T.Newline) j++;
    const next = tokens[j];
    const keep =
      depth === 0 &&
      previous !== undefined &&
      !CONTINUES_AFTER.has(previous.tokenType) &&
      next !== undefined &&
      !CONTINUES_BEFORE.has(next.tokenType);
    if (keep) out.push(token);
    i = j - 1;
  }
  return out;
}
