// `dslc export FILE --weights CHECKPOINT -o DIR`: the trained model for inference, as one folder written
// whole (runtime/atomic-dir.ts): model.onnx, weights.safetensors (BatchNorm folded, RepVGG branches merged),
// inference.json (the InferenceProgram), and the WGSL bundle (bundle.json, kernels/, predict.mts).
import * as fs from "node:fs";
import * as path from "node:path";
import { escapeText } from "../../codegen/escape.js";
import { emitInferenceBundle } from "../../codegen/inference/bundle.js";
import { UnsupportedOnWebGpu } from "../../codegen/wgsl/plan.js";
import { compileProgram } from "../../compiler/compile.js";
import { renderDiagnostics, renderSummary } from "../../compiler/diagnostics/render.js";
import { buildInference, type ExportedModel } from "../../compiler/export/build.js";
import { buildEnsemble } from "../../compiler/export/ensemble.js";
import { ExportError } from "../../compiler/export/errors.js";
import { loadWeights } from "../../compiler/export/weights-file.js";
import { recordedSeed } from "../../compiler/export/data-seed.js";
import { fitPreprocessing, prependPreprocessing } from "../../compiler/export/preprocessing.js";
import { writeDirAtomic, OutputDirError, type DirFile } from "../../runtime/atomic-dir.js";
import { encodeSafetensors } from "../../runtime/checkpoint/safetensors.js";
import { InferenceError } from "../../runtime/inference/errors.js";
import { OnnxMappingError } from "../../runtime/inference/onnx-ops.js";
import { writeOnnx } from "../../runtime/inference/onnx.js";
import { readSource, UsageError, type CliIO } from "../io.js";
import { integerFlag, type ParsedArgs } from "../options.js";
import { setFlags } from "../set-flag.js";
import { VERSION } from "../version.js";
import { useColor } from "./check.js";

const OUR_FILES = new Set(["model.onnx", "weights.safetensors", "inference.json", "bundle.json", "predict.mts", "kernels"]);

export async function exportCommand(args: ParsedArgs, io: CliIO): Promise<number> {
  const [file] = args.positional;
  const out = args.flags.get("out");
  const weightsPath = args.flags.get("weights");
  if (typeof weightsPath !== "string") throw new UsageError("say which trained weights to export: `dslc export FILE --weights CHECKPOINT -o DIR`");
  if (typeof out !== "string") throw new UsageError("say where to write the exported model: `dslc export FILE --weights CHECKPOINT -o DIR`");
  const seedFlag = integerFlag(args, "seed", 0);
  // A model trained with `--set` (the best trial of a search, say) is the same file elaborated with those values.
  const lets = setFlags(args);
  const compiled = compileProgram(readSource(file!), file!, undefined, lets ? { lets } : {});
  const color = useColor(args, io);
  io.stderr(renderDiagnostics(compiled.diagnostics, compiled.frontend.source, { color }));
  if (!compiled.program) {
    io.stderr(renderSummary(file!, compiled.diagnostics, { color }) || `error: \`${escapeText(file!)}\` has no \`train\` block, so it has no model to export\n`);
    return 1;
  }
  const program = compiled.program;
  let exported: ExportedModel;
  const files: DirFile[] = [];
  try {
    const loaded = loadWeights(weightsPath);
    const built = loaded.kind === "ensemble" ? buildEnsemble(program, loaded.members) : buildInference(program, loaded.weights);
    // The bundle takes examples as the data files hold them: the run's preprocessing, fitted on its split.
    const recorded = recordedSeed(loaded);
    if (recorded !== undefined && seedFlag !== undefined && recorded !== seedFlag)
      throw new ExportError("E0820", `the weights were trained with seed ${recorded}, but --seed ${seedFlag} was given`, `leave out --seed: the data split (and the preprocessing fitted on it) is the one of seed ${recorded}`);
    exported = prependPreprocessing(built, fitPreprocessing(program, recorded ?? seedFlag ?? program.loop.dataSeed ?? program.loop.seed));
    files.push({ path: "model.onnx", content: writeOnnx(exported.program, exported.weights, VERSION) });
    files.push({ path: "weights.safetensors", content: encodeSafetensors(exported.weights, { format: "dslc-inference-weights/1", model: program.model }) });
    files.push({ path: "inference.json", content: JSON.stringify(exported.program, null, 1) + "\n" });
    const flat = new Map([...exported.weights].map(([name, t]) => [name, Float32Array.from(t.data)]));
    files.push(...(await emitInferenceBundle(exported.program, flat, path.basename(file!), VERSION)));
  } catch (error) {
    if (error instanceof ExportError || error instanceof OnnxMappingError || error instanceof InferenceError) {
      io.stderr(`error[${error.code}]: ${escapeText(error.message)}\n  = help: ${escapeText(error.help)}\n`);
      return 1;
    }
    if (error instanceof UnsupportedOnWebGpu) {
      io.stderr(`error[E0601]: ${escapeText(error.message)}\n  = help: the exported bundle runs on WebGPU and needs a kernel for every op; remove the layer to export the model\n`);
      return 1;
    }
    throw error;
  }
  try {
    writeDirAtomic(out, files, { replaceable: notOurs });
  } catch (error) {
    if (!(error instanceof OutputDirError)) throw error;
    throw new UsageError(escapeText(`${error.message}; ${error.help}`));
  }
  const { foldedOps, mergedBranches, nodesBefore, nodesAfter } = exported.stats;
  const members = exported.program.members ? ` (an ensemble of ${exported.program.members.length}, averaged)` : "";
  io.stdout(
    `exported ${escapeText(program.model)}${members}: ${foldedOps} per-channel ops (BatchNorm, scale, shift) folded into the layer before them, ${mergedBranches} branches merged into one conv, ${nodesBefore} → ${nodesAfter} nodes\n` +
      (exported.program.preprocessing?.length ? `the model takes examples as the data files hold them: ${exported.program.preprocessing.map(escapeText).join("; ")}\n` : "") +
      `wrote model.onnx, weights.safetensors, inference.json, bundle.json, predict.mts and ${files.filter((f) => f.path.endsWith(".wgsl")).length} WGSL kernels to ${escapeText(out)}\n` +
      `run it: npx tsx ${escapeText(path.join(out, "predict.mts"))} EXAMPLES.csv\n`,
  );
  return 0;
}

/** An existing folder is replaced only when an earlier `dslc export` wrote it and it holds nothing else. */
function notOurs(dir: string): string | undefined {
  let program: unknown;
  try {
    if (!fs.lstatSync(path.join(dir, "inference.json")).isFile()) throw new Error("not a regular file");
    program = JSON.parse(fs.readFileSync(path.join(dir, "inference.json"), "utf8"));
  } catch {
    return "is a folder that `dslc export` did not write (it has no inference.json)";
  }
  if ((program as { format?: unknown } | null)?.format !== "dslc-inference/1") return "has an inference.json that dslc did not write";
  const foreign = fs.readdirSync(dir).filter((name) => !OUR_FILES.has(name));
  return foreign.length ? `holds files dslc did not write (${foreign.slice(0, 3).map((n) => `\`${n}\``).join(", ")}${foreign.length > 3 ? ", …" : ""})` : undefined;
}
