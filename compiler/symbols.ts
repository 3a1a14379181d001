// Where user-defined names are defined and used: top-level `let`s, models and blocks, model inputs and block
// parameters, and the values and layers assigned in a body. Lexical, like the language: a body sees its own
// names first, then the file's. Used by the language server for definition, references, rename and outline.
import type * as A from "../grammar/ast.js";
import { forEachNode, type Node } from "../grammar/walk.js";

export type SymbolKind = "model" | "block" | "let" | "input" | "parameter" | "value";

export interface SymbolInfo {
  name: string;
  kind: SymbolKind;
  /** Every place the name is bound (a body may assign a name more than once). */
  definitions: A.Span[];
  references: A.Span[];
  /** The item it belongs to, for names local to a model or block. */
  container?: A.ModelDecl;
}

export interface SymbolIndex {
  symbols: SymbolInfo[];
  /** The symbol whose definition or reference covers `offset`. */
  at(offset: number): SymbolInfo | undefined;
}

function within(span: A.Span, offset: number): boolean {
  return span.start <= offset && offset <= span.end;
}

export function indexSymbols(file: A.DlFile): SymbolIndex {
  const global = new Map<string, SymbolInfo>();
  const symbols: SymbolInfo[] = [];
  const define = (table: Map<string, SymbolInfo>, name: A.Identifier, kind: SymbolKind, container?: A.ModelDecl) => {
    const existing = table.get(name.name);
    if (existing) existing.definitions.push(name.span);
    else {
      const info: SymbolInfo = { name: name.name, kind, definitions: [name.span], references: [], container };
      table.set(name.name, info);
      symbols.push(info);
    }
  };
  for (const item of file.items) {
    if (item.kind === "Let") define(global, item.name, "let");
    if (item.kind === "Model" || item.kind === "Block") define(global, item.name, item.kind === "Model" ? "model" : "block");
  }
  const locals = new Map<A.ModelDecl, Map<string, SymbolInfo>>();
  for (const item of file.items) {
    if (item.kind !== "Model" && item.kind !== "Block") continue;
    const table = new Map<string, SymbolInfo>();
    locals.set(item, table);
    for (const param of item.params) define(table, param.name, param.type?.dims ? "input" : "parameter", item);
    for (const statement of item.body) if (statement.kind === "Assign") define(table, statement.target, "value", item);
  }
  const resolve = (name: string, scopes: Map<string, SymbolInfo>[]) => scopes.map((s) => s.get(name)).find((s) => s !== undefined);
  for (const item of file.items) {
    const local = item.kind === "Model" || item.kind === "Block" ? locals.get(item)! : undefined;
    // Inside `train`, a selector such as `group(head)` names a layer of the trained model.
    const trained = item.kind === "Train" ? file.items.find((i): i is A.ModelDecl => i.kind === "Model" && (item.model ? i.name.name === item.model.name : true)) : undefined;
    const scopes = [...(local ? [local] : []), ...(trained ? [locals.get(trained)!] : []), global];
    const reference = (name: string, span: A.Span) => resolve(name, scopes)?.references.push(span);
    forEachNode(item, (node: Node) => {
      if (!("kind" in node)) return;
      if (node.kind === "Name") reference(node.name, node.span);
      else if (node.kind === "Call") reference(node.callee.name, node.callee.span);
      else if (node.kind === "Train" && node.model) reference(node.model.name, node.model.span);
      else if (node.kind === "Sample") reference(node.target.name, node.target.span);
    });
  }
  return {
    symbols,
    at: (offset) => symbols.find((s) => s.definitions.some((d) => within(d, offset)) || s.references.some((r) => within(r, offset))),
  };
}
