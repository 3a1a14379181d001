// The one place diagnostics become text: rustc-style for people, JSON for tools.
import type { Diagnostic, Label } from "./diagnostic.js";
import type { SourceFile } from "./source.js";

export interface RenderOptions {
  color: boolean;
}

const STYLE = { red: "31", yellow: "33", blue: "34", bold: "1", cyan: "36" } as const;

function paint(options: RenderOptions, style: keyof typeof STYLE | (keyof typeof STYLE)[], text: string): string {
  if (!options.color) return text;
  const codes = (Array.isArray(style) ? style : [style]).map((s) => STYLE[s]).join(";");
  return `\x1b[${codes}m${text}\x1b[0m`;
}

/**
 * At most this many columns of a source line are shown, from a little before its first mark: minified or
 * generated files have lines of megabytes, and printing the whole line for each diagnostic on it made
 * checking such a file quadratic (hours for a 5 MB line with a million errors).
 */
const SHOWN_COLUMNS = 120;
const CONTEXT_BEFORE = 20;

interface Marked {
  line: number;
  column: number;
  width: number;
  text: string;
  primary: boolean;
}

function mark(source: SourceFile, label: Label, primary: boolean): Marked {
  const start = source.position(label.span.start);
  const end = source.position(Math.max(label.span.start, label.span.end));
  // A span over several lines is underlined on its first line only, up to the line's end.
  const endColumn = end.line === start.line ? end.column : source.lineLength(start.line) + 1;
  return { line: start.line, column: start.column, width: Math.max(1, endColumn - start.column), text: label.message, primary };
}

export function renderDiagnostic(d: Diagnostic, source: SourceFile, options: RenderOptions = { color: false }): string {
  const severityColor = d.severity === "error" ? "red" : "yellow";
  const lines: string[] = [];
  lines.push(`${paint(options, [severityColor, "bold"], `${d.severity}[${d.code}]`)}${paint(options, "bold", `: ${d.message}`)}`);
  if (!d.span) {
    lines.push(`  ${paint(options, "blue", "-->")} ${source.path}`);
    if (d.help) lines.push(`  ${paint(options, "blue", "=")} ${paint(options, "bold", "help")}: ${d.help}`);
    return lines.join("\n") + "\n";
  }
  const marks = [mark(source, { span: d.span, message: d.label ?? "" }, true), ...d.labels.map((l) => mark(source, l, false))];
  const primary = marks[0]!;
  const gutter = String(Math.max(...marks.map((m) => m.line))).length;
  const pad = " ".repeat(gutter);
  const bar = paint(options, "blue", "|");
  lines.push(`${pad}${paint(options, "blue", "-->")} ${source.path}:${primary.line}:${primary.column}`);
  lines.push(`${pad} ${bar}`);
  const byLine = [...new Set(marks.map((m) => m.line))].sort((a, b) => a - b);
  let previousLine = -1;
  for (const line of byLine) {
    if (previousLine !== -1 && line > previousLine + 1) lines.push(paint(options, "blue", "...".padEnd(gutter + 1)));
    previousLine = line;
    const onLine = marks.filter((x) => x.line === line).sort((a, b) => a.column - b.column);
    const shown = excerpt(source, line, onLine[0]!.column);
    lines.push(`${paint(options, "blue", String(line).padStart(gutter))} ${bar} ${shown.text.replace(/\t/g, " ")}`);
    for (const m of onLine) {
      const column = Math.min(m.column, shown.to);
      const underline = (m.primary ? "^" : "-").repeat(Math.max(1, Math.min(m.width, shown.to - column)));
      const colored = paint(options, m.primary ? [severityColor, "bold"] : ["blue", "bold"], `${underline}${m.text ? " " + m.text : ""}`);
      lines.push(`${pad} ${bar} ${" ".repeat(column - shown.shift - 1)}${colored}`);
    }
  }
  if (d.help) {
    lines.push(`${pad} ${bar}`);
    lines.push(`${pad} ${paint(options, "blue", "=")} ${paint(options, "bold", "help")}: ${d.help}`);
  }
  return lines.join("\n") + "\n";
}

/**
 * The part of a line to print: all of it, or SHOWN_COLUMNS columns from shortly before `firstColumn` with
 * `…` where it is cut. Columns `to` and beyond are not shown; a mark at column c prints at c - shift.
 */
function excerpt(source: SourceFile, line: number, firstColumn: number): { text: string; to: number; shift: number } {
  const length = source.lineLength(line);
  if (length <= SHOWN_COLUMNS) return { text: source.lineText(line), to: Infinity, shift: 0 };
  const from = Math.max(1, firstColumn - CONTEXT_BEFORE);
  const to = Math.min(length + 1, from + SHOWN_COLUMNS);
  const before = from > 1 ? "…" : "";
  return { text: before + source.lineText(line, from, to) + (to <= length ? "…" : ""), to, shift: from - 1 - before.length };
}

export function renderSummary(path: string, diagnostics: Diagnostic[], options: RenderOptions = { color: false }): string {
  const errors = diagnostics.filter((d) => d.severity === "error").length;
  const warnings = diagnostics.length - errors;
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;
  if (errors > 0) {
    return `${paint(options, ["red", "bold"], "error")}${paint(options, "bold", `: could not check \`${path}\` due to ${plural(errors, "error")}${warnings ? ` and ${plural(warnings, "warning")}` : ""}`)}\n`;
  }
  if (warnings > 0) return `${paint(options, ["yellow", "bold"], "warning")}${paint(options, "bold", `: \`${path}\` checked with ${plural(warnings, "warning")}`)}\n`;
  return "";
}

export interface JsonDiagnostic {
  file: string;
  code: string;
  severity: string;
  message: string;
  line?: number;
  column?: number;
  endLine?: number;
  endColumn?: number;
  label?: string;
  labels: { line: number; column: number; endLine: number; endColumn: number; message: string }[];
  help?: string;
  fixes: { title: string; line: number; column: number; endLine: number; endColumn: number; replacement: string }[];
}

export function toJson(d: Diagnostic, source: SourceFile): JsonDiagnostic {
  const range = (span: { start: number; end: number }) => {
    const start = source.position(span.start);
    const end = source.position(span.end);
    return { line: start.line, column: start.column, endLine: end.line, endColumn: end.column };
  };
  return {
    file: source.path,
    code: d.code,
    severity: d.severity,
    message: d.message,
    ...(d.span ? range(d.span) : {}),
    label: d.label,
    labels: d.labels.map((l) => ({ ...range(l.span), message: l.message })),
    help: d.help,
    fixes: d.fixes.map((f) => ({ title: f.title, ...range(f.span), replacement: f.replacement })),
  };
}
