// Diagnostics are data: a stable code, a severity, a message, a primary span with a short label, secondary
// labels and a `help:` line. They are rendered in exactly one place (render.ts).
import type { Span } from "../../grammar/ast.js";
export type { Span };
import { DIAGNOSTIC_CODES, type DiagnosticCode } from "./codes.js";

export type Severity = "error" | "warning";

export interface Label {
  span: Span;
  message: string;
}

/** A mechanical fix: replace the text of `span` (empty for an insertion) with `replacement`. */
export interface Fix {
  title: string;
  span: Span;
  replacement: string;
}

export interface Diagnostic {
  code: DiagnosticCode;
  severity: Severity;
  message: string;
  /** Absent only for problems with no place in a file (e.g. a file that cannot be read). */
  span?: Span;
  /** Short text printed under the carets of the primary span. */
  label?: string;
  labels: Label[];
  help?: string;
  /** Edits an editor can apply as a quick fix (the "did you mean" replacement, a missing `flatten`). */
  fixes: Fix[];
}

export interface DiagnosticOptions {
  label?: string;
  labels?: Label[];
  help?: string;
  fixes?: Fix[];
}

export function diagnostic(code: DiagnosticCode, span: Span | undefined, message: string, options: DiagnosticOptions = {}): Diagnostic {
  return {
    code,
    severity: DIAGNOSTIC_CODES[code].severity,
    message,
    span,
    label: options.label,
    labels: options.labels ?? [],
    help: options.help,
    fixes: options.fixes ?? [],
  };
}

/** Collects diagnostics during a phase; phases return the list, never throw for user errors. */
export class DiagnosticBag {
  readonly items: Diagnostic[] = [];

  add(code: DiagnosticCode, span: Span | undefined, message: string, options: DiagnosticOptions = {}): void {
    this.items.push(diagnostic(code, span, message, options));
  }

  get hasErrors(): boolean {
    return this.items.some((d) => d.severity === "error");
  }
}

export function sortDiagnostics(list: Diagnostic[]): Diagnostic[] {
  return [...list].sort((a, b) => (a.span?.start ?? -1) - (b.span?.start ?? -1));
}
