// Rendering: the exact rustc-style layout, and the JSON form tools read.
import { describe, expect, it } from "vitest";
import { diagnostic } from "../../compiler/diagnostics/diagnostic.js";
import { renderDiagnostic, renderSummary, toJson } from "../../compiler/diagnostics/render.js";
import { SourceFile } from "../../compiler/diagnostics/source.js";

const text = "model M(x: f32[N, 4]) -> f32[N, 8] {\n  h = x |> dense(8)\n  return h + x\n}\n";
const source = new SourceFile("net.dl", text);
const at = (snippet: string, from = 0) => ({ start: text.indexOf(snippet, from), end: text.indexOf(snippet, from) + snippet.length });

describe("rustc-style rendering", () => {
  it("prints the header, location, source line, carets, labels and help", () => {
    const d = diagnostic("E0301", at("+"), "cannot combine f32[N, 8] and f32[N, 4] with `+`", {
      label: "shapes do not broadcast",
      labels: [{ span: at("h = x"), message: "defined here" }],
      help: "project one side with `dense`",
    });
    expect(renderDiagnostic(d, source)).toBe(
      [
        "error[E0301]: cannot combine f32[N, 8] and f32[N, 4] with `+`",
        " --> net.dl:3:12",
        "  |",
        "2 |   h = x |> dense(8)",
        "  |   ----- defined here",
        "3 |   return h + x",
        "  |            ^ shapes do not broadcast",
        "  |",
        "  = help: project one side with `dense`",
        "",
      ].join("\n"),
    );
  });

  it("separates distant lines with an ellipsis and widens the gutter for two-digit lines", () => {
    const long = new SourceFile("f.dl", Array.from({ length: 12 }, (_, i) => `let v${i} = ${i}`).join("\n") + "\n");
    const start = long.text.indexOf("let v11");
    const d = diagnostic("E0104", { start: start + 4, end: start + 7 }, "twice", { labels: [{ span: { start: 4, end: 6 }, message: "first" }] });
    const out = renderDiagnostic(d, long);
    expect(out).toContain("  --> f.dl:12:5\n");
    expect(out).toContain(" 1 | let v0 = 0\n");
    expect(out).toContain("...\n12 | let v11 = 11\n");
  });

  it("shows a window of a very long line around the mark, cut with …, so its size does not grow with the line", () => {
    const long = new SourceFile("long.dl", "x".repeat(1000) + " $ " + "y".repeat(1_000_000) + "\n");
    const out = renderDiagnostic(diagnostic("E0001", { start: 1001, end: 1002 }, "unexpected character `$`", { label: "here" }), long);
    expect(out).toContain(`\n1 | …${"x".repeat(19)} $ ${"y".repeat(98)}…\n  | ${" ".repeat(21)}^ here\n`);
    expect(out.length).toBeLessThan(400);
  });

  it("colors only when asked", () => {
    const d = diagnostic("W0001", at("h ="), "unused", { label: "never used" });
    expect(renderDiagnostic(d, source, { color: false })).not.toContain("\x1b[");
    expect(renderDiagnostic(d, source, { color: true })).toContain("\x1b[33;1mwarning[W0001]");
  });

  it("summarizes errors and warnings", () => {
    const e = diagnostic("E0101", at("h"), "x");
    const w = diagnostic("W0001", at("h"), "y");
    expect(renderSummary("net.dl", [e, e, w])).toBe("error: could not check `net.dl` due to 2 errors and 1 warning\n");
    expect(renderSummary("net.dl", [w])).toBe("warning: `net.dl` checked with 1 warning\n");
    expect(renderSummary("net.dl", [])).toBe("");
  });
});

describe("JSON", () => {
  it("gives 1-based lines and columns for the span and every label", () => {
    const d = diagnostic("E0301", at("+"), "m", { label: "l", labels: [{ span: at("dense(8)"), message: "s" }], help: "h" });
    expect(toJson(d, source)).toEqual({
      file: "net.dl",
      code: "E0301",
      severity: "error",
      message: "m",
      line: 3,
      column: 12,
      endLine: 3,
      endColumn: 13,
      label: "l",
      labels: [{ line: 2, column: 12, endLine: 2, endColumn: 20, message: "s" }],
      help: "h",
      fixes: [],
    });
  });
});
