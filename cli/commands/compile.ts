// `dslc FILE -o DIR` (also `dslc compile FILE -o DIR`): writes the WGSL kernels, manifest.json and train.mts,
// as one folder that replaces the previous one whole (runtime/atomic-dir.ts).
import * as fs from "node:fs";
import * as path from "node:path";
import { escapeText } from "../../codegen/escape.js";
import { emitTrainer } from "../../codegen/harness/emit.js";
import { planKernels, UnsupportedOnWebGpu } from "../../codegen/wgsl/plan.js";
import { compileProgram } from "../../compiler/compile.js";
import { renderDiagnostics, renderSummary } from "../../compiler/diagnostics/render.js";
import { writeDirAtomic, OutputDirError } from "../../runtime/atomic-dir.js";
import { readSource, UsageError, type CliIO } from "../io.js";
import type { ParsedArgs } from "../options.js";
import { VERSION } from "../version.js";
import { useColor } from "./check.js";

export async function compileCommand(args: ParsedArgs, io: CliIO): Promise<number> {
  const [file] = args.positional;
  const out = args.flags.get("out");
  if (typeof out !== "string") throw new UsageError("say where to write the compiled model: `dslc FILE -o DIR`");
  const compiled = compileProgram(readSource(file!), file!);
  const color = useColor(args, io);
  io.stderr(renderDiagnostics(compiled.diagnostics, compiled.frontend.source, { color }));
  if (!compiled.program) {
    io.stderr(renderSummary(file!, compiled.diagnostics, { color }) || `error: \`${escapeText(file!)}\` has no \`train\` block to compile\n`);
    return 1;
  }
  if (compiled.frontend.check.search) io.stderr(`note: the \`search\` block is not compiled: the trainer trains once with the \`let\` values; \`dslc search ${escapeText(file!)}\` runs the search\n`);
  let plan;
  try {
    plan = planKernels(compiled.program);
  } catch (error) {
    if (!(error instanceof UnsupportedOnWebGpu)) throw error;
    io.stderr(`error[E0601]: ${error.message}\n  = help: train it with \`dslc train ${escapeText(file!)} --backend cpu\`\n`);
    return 1;
  }
  const files = await emitTrainer(compiled.program, plan, path.basename(file!), VERSION);
  // train.ts is what dslc wrote before the trainer became train.mts: an old output folder stays replaceable.
  const ours = new Set([...files.map((f) => f.path.split("/")[0]!), "train.ts"]);
  try {
    writeDirAtomic(out, files, { replaceable: (dir) => notOurs(dir, ours) });
  } catch (error) {
    if (!(error instanceof OutputDirError)) throw error;
    throw new UsageError(escapeText(`${error.message}; ${error.help}`));
  }
  const kernels = files.filter((f) => f.path.endsWith(".wgsl")).length;
  io.stdout(`wrote ${kernels} WGSL kernels, manifest.json and train.mts to ${escapeText(out)}\nrun it: npx tsx ${escapeText(path.join(out, "train.mts"))}\n`);
  return 0;
}

/**
 * Why an existing folder must not be replaced, or undefined when it is an earlier output of dslc: its
 * manifest.json says so, and it holds nothing dslc does not write (a user's notes there would be lost).
 */
function notOurs(dir: string, ours: Set<string>): string | undefined {
  let manifest: unknown;
  try {
    // Only a regular file is read: a FIFO named manifest.json would block forever.
    if (!fs.lstatSync(path.join(dir, "manifest.json")).isFile()) throw new Error("not a regular file");
    manifest = JSON.parse(fs.readFileSync(path.join(dir, "manifest.json"), "utf8"));
  } catch {
    return "is a folder that dslc did not write (it has no dslc manifest.json)";
  }
  if (typeof (manifest as { dslc?: unknown } | null)?.dslc !== "string") return "has a manifest.json that dslc did not write";
  const foreign = fs.readdirSync(dir).filter((name) => !ours.has(name));
  return foreign.length ? `holds files dslc did not write (${foreign.slice(0, 3).map((n) => `\`${n}\``).join(", ")}${foreign.length > 3 ? ", …" : ""})` : undefined;
}
