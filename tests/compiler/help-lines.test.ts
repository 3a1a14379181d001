// Every diagnostic has a `help:` line that suggests a fix: each code's documented bad example, and files
// generated from the samples (truncated, with ranges deleted, junk inserted, numbers replaced), are checked
// as `dslc train` does before running, and no diagnostic may come without help. Run-time codes (raised
// while training) are left to diagnostic-codes.test.ts, which trains their examples.
import * as fs from "node:fs";
import { describe, expect, it } from "vitest";
import { DIAGNOSTIC_CODES, type DiagnosticCode } from "../../compiler/diagnostics/codes.js";
import type { Diagnostic } from "../../compiler/diagnostics/diagnostic.js";
import { compileProgram } from "../../compiler/compile.js";
import { runFrontend } from "../../compiler/frontend.js";
import { memoryProbe } from "../helpers/parse.js";

const withoutHelp = (diagnostics: Diagnostic[]) => diagnostics.filter((d) => !d.help?.trim()).map((d) => `${d.code} ${d.message}`);

describe("every diagnostic has help", () => {
  for (const [code, info] of Object.entries(DIAGNOSTIC_CODES) as [DiagnosticCode, (typeof DIAGNOSTIC_CODES)[DiagnosticCode]][]) {
    // `dslc search`'s own codes are about its study, not a file: diagnostic-codes.test.ts runs their searches.
    if ("atRunTime" in info || "languageServer" in info || "bySearch" in info) continue;
    it(`${code}'s bad example`, () => {
      const compiled = compileProgram(info.bad, "/virtual/model.dl", memoryProbe("files" in info ? info.files : {}), "lets" in info ? { lets: info.lets } : {});
      expect(compiled.diagnostics.map((d) => d.code)).toContain(code);
      expect(withoutHelp(compiled.diagnostics)).toEqual([]);
    });
  }

  it("in 600 files generated from the samples", () => {
    let seed = 7;
    const random = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 4294967296);
    const JUNK = ["(", ")", "[", "]", "{", "}", ",", ":", "=", "|>", "->", "~", '"', "\n", "then ", "return ", "model ", "-", ".", "x", "f64", "0", "-1", "2.5", "1e39", "dense(", "relu", "@"];
    const samples = fs.readdirSync("samples").filter((f) => f.endsWith(".dl")).map((f) => fs.readFileSync(`samples/${f}`, "utf8"));
    const missing = new Map<string, string>();
    let diagnosed = 0;
    for (let i = 0; i < 600; i++) {
      let text = samples[i % samples.length]!;
      for (let round = 0; round < 1 + Math.floor(random() * 3); round++) {
        const at = Math.floor(random() * (text.length + 1));
        const kind = Math.floor(random() * 3);
        if (kind === 0) text = text.slice(0, at) + text.slice(at + 1 + Math.floor(random() * 30));
        else if (kind === 1) text = text.slice(0, at) + JUNK[Math.floor(random() * JUNK.length)] + text.slice(at);
        else text = text.replace(/\b\d+(\.\d+)?\b/, JUNK[20 + Math.floor(random() * 5)]!);
      }
      // samples/ is the base folder, so the samples' data files are found as they are by `dslc check`.
      const diagnostics = runFrontend(text, "samples/generated.dl").diagnostics;
      if (diagnostics.length > 0) diagnosed++;
      for (const line of withoutHelp(diagnostics)) if (!missing.has(line.slice(0, 5))) missing.set(line.slice(0, 5), `${line}\n  in: ${JSON.stringify(text)}`);
    }
    expect([...missing.values()]).toEqual([]);
    expect(diagnosed).toBeGreaterThan(200);
  });
});
