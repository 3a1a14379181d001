// `dslc FILE -o DIR` (also `dslc compile FILE -o DIR`): writes the WGSL kernels, manifest.json and train.ts.
import * as fs from "node:fs";
import * as path from "node:path";
import { emitTrainer } from "../../codegen/harness/emit.js";
import { planKernels, UnsupportedOnWebGpu } from "../../codegen/wgsl/plan.js";
import { compileProgram } from "../../compiler/compile.js";
import { renderDiagnostic, renderSummary } from "../../compiler/diagnostics/render.js";
import { readSource, UsageError, writeFileAtomic, type CliIO } from "../io.js";
import type { ParsedArgs } from "../options.js";
import { VERSION } from "../version.js";
import { useColor } from "./check.js";

export async function compileCommand(args: ParsedArgs, io: CliIO): Promise<number> {
  const [file] = args.positional;
  const out = args.flags.get("out");
  if (typeof out !== "string") throw new UsageError("say where to write the compiled model: `dslc FILE -o DIR`");
  const compiled = compileProgram(readSource(file!), file!);
  const color = useColor(args, io);
  for (const d of compiled.diagnostics) io.stderr(renderDiagnostic(d, compiled.frontend.source, { color }) + "\n");
  if (!compiled.program) {
    io.stderr(renderSummary(file!, compiled.diagnostics, { color }) || `error: \`${file}\` has no \`train\` block to compile\n`);
    return 1;
  }
  let plan;
  try {
    plan = planKernels(compiled.program);
  } catch (error) {
    if (!(error instanceof UnsupportedOnWebGpu)) throw error;
    io.stderr(`error[E0601]: ${error.message}\n  = help: train it with \`dslc train ${file} --backend cpu\`\n`);
    return 1;
  }
  const files = await emitTrainer(compiled.program, plan, path.basename(file!), VERSION);
  for (const f of files) {
    const target = path.join(out, f.path);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    writeFileAtomic(target, f.content);
  }
  const kernels = files.filter((f) => f.path.endsWith(".wgsl")).length;
  io.stdout(`wrote ${kernels} WGSL kernels, manifest.json and train.ts to ${out}\nrun it: npx tsx ${path.join(out, "train.ts")}\n`);
  return 0;
}
