// Test helpers: parse without errors, find nodes, and check in memory with an in-memory data probe.
import { expect } from "vitest";
import type * as A from "../../grammar/ast.js";
import { parse } from "../../grammar/parse.js";
import { runFrontend, type FrontendResult } from "../../compiler/frontend.js";
import type { DataProbe } from "../../compiler/check/context.js";
import * as path from "node:path";

export function parseClean(text: string): A.DlFile {
  const result = parse(text);
  expect(result.diagnostics.map((d) => d.message)).toEqual([]);
  return result.file;
}

export function memoryProbe(files: Record<string, string>, dir = "/virtual"): DataProbe {
  const table = new Map(Object.entries(files).map(([name, text]) => [path.resolve(dir, name), text]));
  return { exists: (file) => table.has(file), readText: (file) => table.get(file) };
}

export function checkText(text: string, files: Record<string, string> = {}): FrontendResult {
  return runFrontend(text, "/virtual/model.dl", memoryProbe(files));
}

/** The first statement of the first model/train/search item. */
export function firstStatement(file: A.DlFile): A.Statement {
  const item = file.items.find((i) => i.kind !== "Let") as A.ModelDecl | A.TrainDecl;
  return item.body[0]!;
}

export function expressionOf(statement: A.Statement): A.Expr {
  if (statement.kind === "Directive") return statement.call;
  return statement.value;
}

/** Parses `expr` as the value of a `let`. */
export function parseExpr(expr: string): A.Expr {
  const file = parseClean(`let v = ${expr}\n`);
  return (file.items[0] as A.LetDecl).value;
}
