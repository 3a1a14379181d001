// The one place compiler spans (UTF-16 offsets, like JavaScript strings) become LSP ranges and back.
import type { TextDocument } from "vscode-languageserver-textdocument";
import type { Range } from "vscode-languageserver";
import type { Span } from "../grammar/ast.js";

export function toRange(document: TextDocument, span: Span): Range {
  return { start: document.positionAt(span.start), end: document.positionAt(span.end) };
}
