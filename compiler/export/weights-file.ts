// `--weights`: a checkpoint directory, a folder of them (the newest is taken), a .safetensors file (the
// last good weights, one ensemble member), or an ensemble's folder (members.json: every member). Only
// tensors are read here; evalGraph checks their names and shapes against the model (E0820).
import * as fs from "node:fs";
import * as path from "node:path";
import type { Tensor } from "../../runtime/cpu/tensor.js";
import { resolveCheckpoint, WEIGHTS_FILE } from "../../runtime/checkpoint/files.js";
import { decodeSafetensorsWithF64 } from "../../runtime/checkpoint/safetensors.js";
import { CheckpointError } from "../../runtime/checkpoint/errors.js";
import { ExportError } from "./errors.js";

export type LoadedWeights = { kind: "single"; file: string; weights: Map<string, Tensor> } | { kind: "ensemble"; file: string; members: Map<string, Tensor>[] };

const HELP = "pass a checkpoint directory (e.g. checkpoints/step-000100), the folder the `checkpoint` directive writes, a .safetensors file, or an ensemble's folder";

export function loadWeights(target: string): LoadedWeights {
  if (!fs.existsSync(target)) throw new ExportError("E0820", `\`${target}\` does not exist`, HELP);
  if (fs.statSync(target).isFile()) return { kind: "single", file: target, weights: readTensors(target) };
  const members = path.join(target, "members.json");
  if (fs.existsSync(members)) {
    let list: { format?: string; members?: { file: string }[] };
    try {
      list = JSON.parse(fs.readFileSync(members, "utf8"));
    } catch (error) {
      throw new ExportError("E0820", `\`${members}\` is not valid JSON (${(error as Error).message})`, "train the ensemble again, or export one member's .safetensors file");
    }
    if (list.format !== "dslc-ensemble/1" || !Array.isArray(list.members) || list.members.length === 0) throw new ExportError("E0820", `\`${members}\` is not a dslc ensemble's member list`, "pass the folder `dslc train` wrote for an `ensemble` (NAME.ensemble)");
    return { kind: "ensemble", file: members, members: list.members.map((m) => readTensors(path.join(target, path.basename(m.file)))) };
  }
  let dir: string;
  try {
    dir = resolveCheckpoint(target);
  } catch (error) {
    if (error instanceof CheckpointError) throw new ExportError("E0820", error.message, HELP);
    throw error;
  }
  const file = path.join(dir, WEIGHTS_FILE);
  return { kind: "single", file, weights: readTensors(file) };
}

/** The float32 tensors of a safetensors file (a checkpoint's optimizer moments come along and are ignored). */
function readTensors(file: string): Map<string, Tensor> {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(fs.readFileSync(file));
  } catch (error) {
    throw new ExportError("E0820", `cannot read \`${file}\`: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, HELP);
  }
  try {
    const { tensors } = decodeSafetensorsWithF64(bytes, file);
    return new Map([...tensors].filter(([, t]) => t.data instanceof Float32Array).map(([name, t]) => [name, { shape: t.shape, data: t.data }]));
  } catch (error) {
    if (error instanceof CheckpointError) throw new ExportError("E0820", error.message, "pass a safetensors file written by dslc (a checkpoint's weights.safetensors, last-good or ensemble member weights)");
    throw error;
  }
}
