// The front end as one call: parse, then check. Used by `dslc check`, the formatter's safety check and the
// language server, so all three report exactly the same diagnostics.
import type { DlFile, Item } from "../grammar/ast.js";
import { parse } from "../grammar/parse.js";
import { checkFile, type CheckResult } from "./check/check.js";
import type { TrainOverrides } from "./check/train.js";
import type { DataProbe } from "./check/context.js";
import { sortDiagnostics, type Diagnostic } from "./diagnostics/diagnostic.js";
import { SourceFile } from "./diagnostics/source.js";

export interface FrontendResult {
  source: SourceFile;
  ast: DlFile;
  check: CheckResult;
  /** Syntax errors, then the semantic diagnostics of every top-level item the parser read without error. */
  diagnostics: Diagnostic[];
  syntaxErrors: number;
}

export function runFrontend(text: string, path: string, probe?: DataProbe, overrides?: TrainOverrides): FrontendResult {
  const source = new SourceFile(path, text);
  const parsed = parse(text);
  const check = checkFile(parsed.file, { path, probe, overrides });
  // Inside an item the parser had to repair, semantic errors are mostly echoes of the syntax error: hide them.
  const broken = brokenItems(parsed.file.items, parsed.diagnostics);
  const semantic = parsed.diagnostics.length === 0 ? check.diagnostics : check.diagnostics.filter((d) => d.span && !inAny(broken, d.span.start) && !d.labels.some((l) => inAny(broken, l.span.start)));
  return {
    source,
    ast: parsed.file,
    check,
    diagnostics: [...sortDiagnostics(parsed.diagnostics), ...sortDiagnostics(semantic)],
    syntaxErrors: parsed.diagnostics.length,
  };
}

// Items come in source order and do not overlap, which keeps the two helpers below linear and logarithmic:
// comparing every item with every error was quadratic, minutes for a 5 MB file full of errors.

/** The items that contain the start of a syntax error. */
function brokenItems(items: Item[], syntax: Diagnostic[]): Item[] {
  const starts = syntax.flatMap((d) => (d.span ? [d.span.start] : [])).sort((a, b) => a - b);
  let next = 0;
  return items.filter((item) => {
    while (next < starts.length && starts[next]! < item.span.start) next++;
    return next < starts.length && starts[next]! <= item.span.end;
  });
}

/** Whether `offset` lies in one of `items`. */
function inAny(items: Item[], offset: number): boolean {
  let low = 0;
  let high = items.length - 1;
  while (low <= high) {
    const middle = (low + high) >> 1;
    const span = items[middle]!.span;
    if (offset < span.start) high = middle - 1;
    else if (offset > span.end) low = middle + 1;
    else return true;
  }
  return false;
}
