// Hover: the shape of the tensor under the cursor (`h: f32[N, 256]`), and the signature and documentation
// of builtins, blocks, models and lets.
import type { Hover } from "vscode-languageserver";
import type { TextDocument } from "vscode-languageserver-textdocument";
import type * as A from "../grammar/ast.js";
import { nodesAt, type Node } from "../grammar/walk.js";
import { printExpr, printType } from "../grammar/format/print-expr.js";
import { describeBuiltin, formatResolved } from "../compiler/builtins/describe.js";
import { ALL_BUILTINS } from "../compiler/builtins/registry.js";
import { formatShape } from "../compiler/check/shapes.js";
import type { Analysis } from "./analysis.js";
import { toRange } from "./convert.js";

function code(text: string): string {
  return ["```dl", text, "```"].join("\n");
}

function declarationText(decl: A.ModelDecl): string {
  const params = decl.params.map((p) => `${p.name.name}${p.type ? `: ${printType(p.type)}` : ""}${p.default ? ` = ${printExpr(p.default)}` : ""}`);
  return `${decl.kind === "Model" ? "model" : "block"} ${decl.name.name}(${params.join(", ")})${decl.output ? ` -> ${printType(decl.output)}` : ""}`;
}

/** The name under the cursor, if any: an identifier, a bare name, or a call's callee. */
function nameAt(chain: Node[], offset: number): { name: string; span: A.Span; node: Node } | undefined {
  for (let i = chain.length - 1; i >= 0; i--) {
    const node = chain[i]!;
    if (!("kind" in node)) continue;
    const parent = chain[i - 1];
    // A callee stands for its call, which is what has a shape (`dense(256)` → f32[N, 256]).
    if (node.kind === "Identifier" && parent && "kind" in parent && parent.kind === "Call" && parent.callee === node) return { name: node.name, span: node.span, node: parent };
    if (node.kind === "Identifier" || node.kind === "Name") return { name: node.name, span: node.span, node };
    if (node.kind === "Call" && node.callee.span.start <= offset && offset <= node.callee.span.end) return { name: node.callee.name, span: node.callee.span, node };
  }
  return undefined;
}

export function hover(document: TextDocument, analysis: Analysis, offset: number): Hover | null {
  const chain = nodesAt(analysis.ast, offset);
  const target = nameAt(chain, offset);
  if (!target) return null;
  const parts: string[] = [];
  const shape = analysis.check.shapes.get(target.node as A.Expr);
  // A call in a pipeline has the shape of its output; show it as `dense(256) → f32[N, 256]`.
  if (shape) parts.push(code("kind" in target.node && target.node.kind === "Call" ? `${target.name}(…) → ${formatShape(shape)}` : `${target.name}: ${formatShape(shape)}`));
  // The call as training will run it: positional arguments named, `let`s substituted, defaults filled.
  const resolved = analysis.check.calls.get(target.node as A.Expr);
  if (resolved) parts.push(`runs as \`${formatResolved(resolved)}\``);
  const symbol = analysis.symbols.at(offset);
  const declaration = analysis.ast.items.find((i): i is A.ModelDecl => (i.kind === "Model" || i.kind === "Block") && i.name.name === target.name);
  const letDecl = analysis.ast.items.find((i): i is A.LetDecl => i.kind === "Let" && i.name.name === target.name);
  if (symbol && symbol.container && (symbol.kind === "input" || symbol.kind === "parameter")) {
    const param = symbol.container.params.find((p) => p.name.name === target.name)!;
    if (!shape) parts.push(code(`${param.name.name}${param.type ? `: ${printType(param.type)}` : ""}${param.default ? ` = ${printExpr(param.default)}` : ""}`));
  } else if (symbol?.kind === "model" || symbol?.kind === "block") {
    if (declaration) parts.push(code(declarationText(declaration)));
    const summary = analysis.check.models.get(target.name);
    if (summary?.output) parts.push(`returns \`${formatShape(summary.output)}\``);
  } else if (symbol?.kind === "let" && letDecl) {
    parts.push(code(`let ${letDecl.name.name} = ${printExpr(letDecl.value)}`));
  } else if (!symbol || symbol.kind !== "value") {
    const specs = ALL_BUILTINS.filter((s) => s.name === target.name || s.aliases?.includes(target.name));
    for (const spec of specs) parts.push(describeBuiltin(spec));
  }
  if (parts.length === 0) return null;
  return { contents: { kind: "markdown", value: parts.join("\n\n---\n\n") }, range: toRange(document, target.span) };
}
