// The inference bundle `dslc export` writes: bundle.json (this file's InferenceBundle), the WGSL kernels of
// the forward pass under kernels/, weights.safetensors and predict.mts. The runtime owns the format, so a
// bundle runs with the runtime alone: nothing here generates code.
import * as fs from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import type { Dispatch } from "../../codegen/wgsl/kernels.js";
import { decodeSafetensors } from "../checkpoint/safetensors.js";
import { InferenceError } from "./errors.js";
import type { InferenceProgram } from "./types.js";

export const BUNDLE_FORMAT = "dslc-bundle/1";
export const BUNDLE_MANIFEST = "bundle.json";
export const BUNDLE_WEIGHTS = "weights.safetensors";

export interface BundleKernel {
  label: string;
  /** Relative to the bundle's folder: `kernels/003-matmul-2-bias-relu.wgsl`. */
  file: string;
  /** Buffers bound at 1, 2, … (0 is the globals uniform): node ids of `program`, with their access. */
  bindings: { node: number; write: boolean }[];
  dispatch: Dispatch;
}

export interface InferenceBundle {
  format: typeof BUNDLE_FORMAT;
  dslc: string;
  /** The .dl file the model was compiled from, as given to `dslc export`. */
  source: string;
  program: InferenceProgram;
  /** The forward pass in dispatch order. */
  kernels: BundleKernel[];
  /** node → the node whose buffer it shares (a reshape, the eval branch of a mode switch). */
  aliases: [number, number][];
  /**
   * Every buffer a kernel binds, once aliases are resolved: the input, each weight tensor (by its name in
   * weights.safetensors) and the intermediate values, with shapes ("N" is the batch).
   */
  buffers: { node: number; kind: "input" | "weight" | "value"; name?: string; shape: (number | "N")[] }[];
}

export interface LoadedBundle {
  bundle: InferenceBundle;
  /** Each kernel's WGSL, in `bundle.kernels` order. */
  code: string[];
  weights: Map<string, Float32Array>;
}

/** Reads DIR/bundle.json, the kernels it lists and DIR/weights.safetensors. `dir` may be a path or a file: URL. */
export function loadBundle(dir: string | URL): LoadedBundle {
  const root = typeof dir === "string" ? dir : fileURLToPath(dir);
  const read = (file: string): Buffer => {
    try {
      return fs.readFileSync(path.join(root, file));
    } catch (error) {
      throw new InferenceError("E0830", `cannot read \`${path.join(root, file)}\`: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, "point at the folder `dslc export -o DIR` wrote, with all its files");
    }
  };
  let bundle: InferenceBundle;
  try {
    bundle = JSON.parse(read(BUNDLE_MANIFEST).toString("utf8")) as InferenceBundle;
  } catch (error) {
    if (error instanceof InferenceError) throw error;
    throw new InferenceError("E0830", `\`${path.join(root, BUNDLE_MANIFEST)}\` is not valid JSON`, "export the bundle again (`dslc export`)");
  }
  if (bundle.format !== BUNDLE_FORMAT) throw new InferenceError("E0830", `\`${path.join(root, BUNDLE_MANIFEST)}\` is not a bundle this runtime reads (format ${JSON.stringify(bundle.format)}, expected ${BUNDLE_FORMAT})`, "export the bundle again with this version of dslc");
  const code = bundle.kernels.map((k) => read(k.file).toString("utf8"));
  const bytes = read(BUNDLE_WEIGHTS);
  let weights: Map<string, Float32Array>;
  try {
    weights = new Map([...decodeSafetensors(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), BUNDLE_WEIGHTS).tensors].map(([name, t]) => [name, t.data]));
  } catch (error) {
    throw new InferenceError("E0830", (error as Error).message, "export the bundle again (`dslc export`)");
  }
  return { bundle, code, weights };
}
