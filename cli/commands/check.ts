// `dslc check FILE…`: parse, check and lower the file as training would, print diagnostics; exit 0 when
// clean, 1 when errors were found. Lowering is part of checking because what `check` accepts must be exactly
// what `train` runs: a construct the backends refuse (E0601, E0810, …) is reported here too. With --memory,
// also report the device memory training needs and whether it fits WebGPU's default limits.
import { compileProgram } from "../../compiler/compile.js";
import { formatMemory, memoryOf } from "../budget.js";
import { renderDiagnostics, renderJsonLines, renderSummary } from "../../compiler/diagnostics/render.js";
import { readSource, type CliIO } from "../io.js";
import type { ParsedArgs } from "../options.js";

export function useColor(args: ParsedArgs, io: CliIO): boolean {
  const color = args.flags.get("color") ?? "auto";
  return color === "always" || (color === "auto" && io.isTTY && !process.env["NO_COLOR"]);
}

export function checkCommand(args: ParsedArgs, io: CliIO): number {
  const json = args.flags.get("format") === "json";
  const color = useColor(args, io);
  const denyWarnings = args.flags.has("deny-warnings");
  let failed = false;
  const memory = args.flags.has("memory");
  for (const file of args.positional) {
    const text = readSource(file);
    let diagnostics;
    let report: string | undefined;
    const compiled = compileProgram(text, file);
    const source = compiled.frontend.source;
    diagnostics = compiled.diagnostics;
    if (memory) {
      const measured = compiled.program && memoryOf(compiled.program, compiled);
      diagnostics = [...diagnostics, ...(measured?.diagnostics ?? [])];
      if (measured) report = json ? JSON.stringify({ memory: { file, ...measured.report } }) + "\n" : formatMemory(file, measured.report);
    }
    const errors = diagnostics.filter((d) => d.severity === "error" || denyWarnings);
    failed ||= errors.length > 0;
    if (json) {
      io.stdout(renderJsonLines(diagnostics, source));
      if (report) io.stdout(report);
      continue;
    }
    io.stderr(renderDiagnostics(diagnostics, source, { color }));
    io.stderr(renderSummary(file, diagnostics, { color }));
    if (report) io.stdout(report);
  }
  return failed ? 1 : 0;
}
