// An ensemble's members on disk, for `dslc export` and other tools: `<stem>.ensemble/` beside the .dl file
// holds `member-<i>.safetensors` (each member's parameters and running statistics by name, as the last good
// weights are written) and `members.json`, which lists them. Every file is written atomically, members.json
// last, so a reader that finds it finds every member it names.
import * as path from "node:path";
import { writeFileAtomic } from "../atomic-write.js";
import { modelSignature } from "../checkpoint/state.js";
import { encodeSafetensors, type NamedTensor } from "../checkpoint/safetensors.js";
import type { Program } from "../program.js";
import type { PredictionRule } from "../inference/types.js";

export interface MembersFile {
  format: "dslc-ensemble/1";
  model: string;
  /** The model's signature (runtime/checkpoint/state.ts): weights load only into the same model. */
  model_hash: string;
  kind: "independent" | "snapshot";
  /** How each member's output becomes what is averaged (runtime/ensemble/average.ts). */
  prediction: PredictionRule;
  members: { file: string; seed: number; step: number }[];
}

/** `<stem>.ensemble` beside the .dl file. */
export function ensembleDir(sourceFile: string): string {
  const parsed = path.parse(path.resolve(sourceFile));
  return path.join(parsed.dir, `${parsed.name}.ensemble`);
}

/** What a backend's saveWeights returned (CPU: params and state by node; WebGPU: one map by node), by name. */
export function weightsByName(program: Program, saved: unknown): Map<string, Float32Array> {
  const byNode = saved instanceof Map ? (saved as Map<number, Float32Array>) : new Map([...(saved as { params: Map<number, Float32Array> }).params, ...(saved as { state: Map<number, Float32Array> }).state]);
  return new Map([...program.params, ...program.state].map((p) => [p.name, byNode.get(p.node)!]));
}

export function writeMember(program: Program, dir: string, index: number, weights: Map<string, Float32Array>, info: { seed: number; step: number }): string {
  const shapes = new Map([...program.params, ...program.state].map((p) => [p.name, p.shape]));
  const tensors = new Map<string, NamedTensor>([...weights].map(([name, data]) => [name, { shape: shapes.get(name)!, data }]));
  const file = path.join(dir, `member-${index}.safetensors`);
  const metadata = { format: "dslc-ensemble-member-1", model: program.model, model_hash: modelSignature(program).hash, member: String(index), seed: String(info.seed), step: String(info.step) };
  writeFileAtomic(file, encodeSafetensors(tensors, metadata), { durable: true });
  return file;
}

export function writeMembersFile(dir: string, contents: MembersFile): string {
  const file = path.join(dir, "members.json");
  writeFileAtomic(file, JSON.stringify(contents, null, 2) + "\n", { durable: true });
  return file;
}
