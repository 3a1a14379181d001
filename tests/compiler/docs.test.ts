// The documentation is generated from the code tables; these tests fail when someone forgets to regenerate.
import * as fs from "node:fs";
import { describe, expect, it } from "vitest";
import { diagnosticsMarkdown } from "../../scripts/diagnostics-doc.js";
import { DIAGNOSTIC_CODES } from "../../compiler/diagnostics/codes.js";
import { NOT_YET, SETTINGS_NOT_YET } from "../../compiler/lower/support.js";
import { supportsOptimizer } from "../../codegen/wgsl/optimizer.js";
import { optimizerDefaults } from "../../runtime/cpu/optimizers.js";

describe("docs/diagnostics.md", () => {
  it("is up to date with compiler/diagnostics/codes.ts (run `npm run docs:diagnostics`)", () => {
    expect(fs.readFileSync("docs/diagnostics.md", "utf8")).toBe(diagnosticsMarkdown());
  });

  it("shows the rendered diagnostic for every code", () => {
    const text = fs.readFileSync("docs/diagnostics.md", "utf8");
    for (const [code, info] of Object.entries(DIAGNOSTIC_CODES)) {
      const severity = code.startsWith("E") ? "error" : "warning";
      // Run-time codes have no source location to render; their section says when they appear.
      expect(text).toContain("atRunTime" in info || "languageServer" in info || "bySearch" in info ? `## ${code}: ${info.title}` : `${severity}[${code}]`);
    }
  });
});

describe("docs/language.md marks what training refuses", () => {
  const page = fs.readFileSync("docs/language.md", "utf8");
  const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

  it("marks every builtin and argument that compiler/lower/support.ts lists, and every refused setting", () => {
    for (const key of Object.keys(NOT_YET)) {
      const [builtin, argument] = key.split(".") as [string, string | undefined];
      // `conv2d`†, `npy(x:, y:)`†; an argument: `weight_norm: false`†, `per: feature|channel†`.
      const mark = argument ? new RegExp(`\\b${escape(argument)}\\b[^,)\`]*\`?†`) : new RegExp(`\`${escape(builtin)}(\\([^\`]*\\))?\`†`);
      expect(page, `docs/language.md does not mark ${key} with †`).toMatch(mark);
    }
    for (const setting of Object.keys(SETTINGS_NOT_YET)) {
      const row = page.split("\n").find((line) => line.startsWith(`| \`${setting}\``));
      expect(row, `no row for the setting ${setting}`).toBeDefined();
      expect(row, `the row of ${setting} marks nothing with †`).toContain("†");
    }
  });

  it("marks nothing the lowering runs", () => {
    // Refused outside the registry (model structure and setting values), marked in prose or tables.
    const structural = new Set(["x @ w", "@", "f16", "[N, C, H, W]", "caffe", "keras", "mixed", "clip", "ensemble"]);
    const arguments_ = new Set(Object.keys(NOT_YET).filter((k) => k.includes(".")).map((k) => k.split(".")[1]!));
    for (const [, code] of page.matchAll(/`([^`]+)`†/g)) {
      const name = /^[A-Za-z_]\w*/.exec(code!)?.[0];
      const known = structural.has(code!) || (name !== undefined && (NOT_YET[name] !== undefined || arguments_.has(name)));
      expect(known, `\`${code}\`† is marked, but training runs it (compiler/lower/support.ts does not list it)`).toBe(true);
    }
  });

  it("marks the optimizers that have no WebGPU kernel yet with ‡", () => {
    for (const kind of ["sgd", "adam", "adamw", "adagrad", "rmsprop", "adadelta", "adamax", "nadam"] as const) {
      const marked = new RegExp(`\`${kind}\\([^\`]*\`‡`).test(page);
      expect(marked, `${kind}: ‡ on the page must say whether it runs on WebGPU`).toBe(!supportsOptimizer(optimizerDefaults(kind)));
    }
  });
});
