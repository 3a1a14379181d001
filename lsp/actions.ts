// Code actions: the compiler's quick fixes (carried in each diagnostic's `data`) as workspace edits.
import { CodeActionKind, type CodeAction, type Diagnostic as LspDiagnostic } from "vscode-languageserver";
import type { TextDocument } from "vscode-languageserver-textdocument";
import type { Fix } from "../compiler/diagnostics/diagnostic.js";
import { toRange } from "./convert.js";

export function codeActions(document: TextDocument, diagnostics: LspDiagnostic[]): CodeAction[] {
  return diagnostics.flatMap((diagnostic) => {
    const fixes = ((diagnostic.data as { fixes?: Fix[] } | undefined)?.fixes ?? []) as Fix[];
    return fixes.map((fix, index): CodeAction => ({
      title: fix.title.charAt(0).toUpperCase() + fix.title.slice(1),
      kind: CodeActionKind.QuickFix,
      diagnostics: [diagnostic],
      isPreferred: index === 0,
      edit: { changes: { [document.uri]: [{ range: toRange(document, fix.span), newText: fix.replacement }] } },
    }));
  });
}
