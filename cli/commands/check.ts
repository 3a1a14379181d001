// `dslc check FILE…`: parse and check, print diagnostics; exit 0 when clean, 1 when errors were found.
import { runFrontend } from "../../compiler/frontend.js";
import { renderDiagnostic, renderSummary, toJson } from "../../compiler/diagnostics/render.js";
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
  for (const file of args.positional) {
    const result = runFrontend(readSource(file), file);
    const errors = result.diagnostics.filter((d) => d.severity === "error" || denyWarnings);
    failed ||= errors.length > 0;
    if (json) {
      for (const d of result.diagnostics) io.stdout(JSON.stringify(toJson(d, result.source)) + "\n");
      continue;
    }
    for (const d of result.diagnostics) io.stderr(renderDiagnostic(d, result.source, { color }) + "\n");
    io.stderr(renderSummary(file, result.diagnostics, { color }));
  }
  return failed ? 1 : 0;
}
