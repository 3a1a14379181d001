// `dslc fmt FILE… [--check|--write]`: print the canonical layout, report files that differ, or rewrite them
// in place (atomically). A file with syntax errors is never reformatted.
import { parse } from "../../grammar/parse.js";
import { format } from "../../grammar/format/format.js";
import { renderDiagnostic } from "../../compiler/diagnostics/render.js";
import { SourceFile } from "../../compiler/diagnostics/source.js";
import { readSource, UsageError, writeFileAtomic, type CliIO } from "../io.js";
import type { ParsedArgs } from "../options.js";
import { useColor } from "./check.js";

export function fmtCommand(args: ParsedArgs, io: CliIO): number {
  const check = args.flags.has("check");
  const write = args.flags.has("write");
  if (check && write) throw new UsageError("use `--check` or `--write`, not both");
  if (!check && !write && args.positional.length > 1) throw new UsageError("printing to stdout formats one file at a time; use `--write` or `--check` for several");
  let status = 0;
  for (const file of args.positional) {
    const text = readSource(file);
    const parsed = parse(text);
    if (parsed.diagnostics.length > 0) {
      const source = new SourceFile(file, text);
      for (const d of parsed.diagnostics) io.stderr(renderDiagnostic(d, source, { color: useColor(args, io) }) + "\n");
      io.stderr(`error: \`${file}\` has syntax errors and was not formatted\n`);
      status = 1;
      continue;
    }
    const formatted = format(parsed.file, text);
    if (check) {
      if (formatted !== text) {
        io.stdout(`${file}: not formatted\n`);
        status = 1;
      }
    } else if (write) {
      if (formatted !== text) {
        writeFileAtomic(file, formatted);
        io.stdout(`formatted ${file}\n`);
      }
    } else io.stdout(formatted);
  }
  return status;
}
