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
  const lineLength = source.lineText(start.line).length;
  // A span over several lines is underlined on its first line only, up to the line's end.
  const endColumn = end.line === start.line ? end.column : lineLength + 1;
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
    const text = source.lineText(line).replace(/\t/g, " ");
    lines.push(`${paint(options, "blue", String(line).padStart(gutter))} ${bar} ${text}`);
    for (const m of marks.filter((x) => x.line === line).sort((a, b) => a.column - b.column)) {
      const underline = (m.primary ? "^" : "-").repeat(m.width);
      const colored = paint(options, m.primary ? [severityColor, "bold"] : ["blue", "bold"], `${underline}${m.text ? " " + m.text : ""}`);
      lines.push(`${pad} ${bar} ${" ".repeat(m.column - 1)}${colored}`);
    }
  }
  if (d.help) {
    lines.push(`${pad} ${bar}`);
    lines.push(`${pad} ${paint(options, "blue", "=")} ${paint(options, "bold", "help")}: ${d.help}`);
  }
  return lines.join("\n") + "\n";
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
