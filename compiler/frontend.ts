// The front end as one call: parse, then check. Used by `dslc check`, the formatter's safety check and the
// language server, so all three report exactly the same diagnostics.
import type { DlFile } from "../grammar/ast.js";
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
  const broken = parsed.file.items.filter((item) => parsed.diagnostics.some((d) => d.span && d.span.start >= item.span.start && d.span.start <= item.span.end));
  const inBroken = (d: Diagnostic) => d.span !== undefined && broken.some((item) => d.span!.start >= item.span.start && d.span!.start <= item.span.end);
  const semantic = parsed.diagnostics.length === 0 ? check.diagnostics : check.diagnostics.filter((d) => d.span && !inBroken(d) && !d.labels.some((l) => broken.some((item) => l.span.start >= item.span.start && l.span.start <= item.span.end)));
  return {
    source,
    ast: parsed.file,
    check,
    diagnostics: [...sortDiagnostics(parsed.diagnostics), ...sortDiagnostics(semantic)],
    syntaxErrors: parsed.diagnostics.length,
  };
}
