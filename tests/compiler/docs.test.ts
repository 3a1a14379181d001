// The documentation is generated from the code tables; these tests fail when someone forgets to regenerate.
import * as fs from "node:fs";
import { describe, expect, it } from "vitest";
import { diagnosticsMarkdown } from "../../scripts/diagnostics-doc.js";
import { DIAGNOSTIC_CODES } from "../../compiler/diagnostics/codes.js";

describe("docs/diagnostics.md", () => {
  it("is up to date with compiler/diagnostics/codes.ts (run `npm run docs:diagnostics`)", () => {
    expect(fs.readFileSync("docs/diagnostics.md", "utf8")).toBe(diagnosticsMarkdown());
  });

  it("shows the rendered diagnostic for every code", () => {
    const text = fs.readFileSync("docs/diagnostics.md", "utf8");
    for (const [code, info] of Object.entries(DIAGNOSTIC_CODES)) {
      const severity = code.startsWith("E") ? "error" : "warning";
      // Run-time codes have no source location to render; their section says when they appear.
      expect(text).toContain("atRunTime" in info ? `## ${code}: ${info.title}` : `${severity}[${code}]`);
    }
  });
});
