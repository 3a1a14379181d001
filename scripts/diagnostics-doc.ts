// Generates docs/diagnostics.md from the table in compiler/diagnostics/codes.ts, so the documentation
// cannot drift from the compiler: `npm run docs:diagnostics`. A test checks the file is up to date.
import * as fs from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { DIAGNOSTIC_CODES } from "../compiler/diagnostics/codes.js";
import { compileProgram } from "../compiler/compile.js";
import { renderDiagnostic } from "../compiler/diagnostics/render.js";
import type { DataProbe } from "../compiler/check/context.js";

export function diagnosticsMarkdown(): string {
  const out: string[] = [
    "# Diagnostics",
    "",
    "Every error (`E`) and warning (`W`) dslc reports, with an example that triggers it and the fix.",
    "Generated from `compiler/diagnostics/codes.ts` by `npm run docs:diagnostics`; do not edit by hand.",
    "",
    "| range | area |",
    "| --- | --- |",
    "| E00xx | syntax |",
    "| E01xx | names and arguments |",
    "| E02xx | values and types |",
    "| E03xx | tensor shapes |",
    "| E04xx | structure of models, `train` and `search` |",
    "| E05xx | data files |",
    "| W0xxx | warnings: likely mistakes that still check |",
    "",
  ];
  for (const [code, info] of Object.entries(DIAGNOSTIC_CODES)) {
    const files: Record<string, string> = "files" in info ? info.files : {};
    const probe: DataProbe = {
      exists: (file) => path.basename(file) in files,
      readText: (file) => files[path.basename(file)],
    };
    const result = compileProgram(info.bad, "model.dl", probe, "lets" in info ? { lets: info.lets } : {});
    const shown = result.diagnostics.find((d) => d.code === code);
    out.push(`## ${code}: ${info.title}`, "", info.explanation, "");
    if (Object.keys(files).length) {
      for (const [name, text] of Object.entries(files)) {
        // A binary file (IDX, NPY) is shown as its bytes in hex: raw control characters do not belong in a document.
        const binary = /[\u0000-\u0008\u000e-\u001f\u007f-\u00ff]/.test(text);
        const shownText = binary ? [...text].map((c) => c.charCodeAt(0).toString(16).padStart(2, "0")).join(" ") + `  (${text.length} bytes, in hex)` : text.trimEnd();
        out.push(`With \`${name}\`:`, "", "```", shownText, "```", "");
      }
    }
    out.push("Bad:", "", "```", info.bad.trimEnd(), "```", "");
    if (shown) out.push("```", renderDiagnostic(shown, result.frontend.source).trimEnd(), "```", "");
    if ("atRunTime" in info) out.push("`dslc train` stops and reports it while training, with the step and epoch.", "");
    if ("lets" in info) out.push(`Reported for \`${Object.entries(info.lets).map(([k, v]) => `--set ${k}=${v}`).join(" ")}\`; the fixed file is the same, given a value of the right kind.`, "");
    if ("bySearch" in info) out.push("`dslc search` reports it about the study, before or after its trials.", "");
    out.push("Fixed:", "", "```", info.good.trimEnd(), "```", "");
  }
  return out.join("\n");
}

const target = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../docs/diagnostics.md");
if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  fs.writeFileSync(target, diagnosticsMarkdown());
  console.log(`wrote ${target}`);
}
