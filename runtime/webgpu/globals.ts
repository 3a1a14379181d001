// The per-step uniform every generated kernel reads (`globals` in WGSL): the batch size, the step and seed of
// the dropout masks, and this step's optimizer scalars, computed on the host in float64
// (runtime/optimizer-scalars.ts). codegen/wgsl/common.ts declares the WGSL struct from GLOBAL_FIELDS and
// packGlobals writes the same list, so the two layouts cannot disagree.
import type { OptimizerScalars } from "../optimizer-scalars.js";

/** The struct's fields in order, 4 bytes each. */
export const GLOBAL_FIELDS = [
  { name: "batch", type: "u32" },
  { name: "step", type: "u32" },
  { name: "seed", type: "u32" },
  { name: "lr", type: "f32" },
  { name: "momentum", type: "f32" },
  { name: "momentumStart", type: "u32" },
  { name: "oneMinusBeta1", type: "f32" },
  { name: "stepSize", type: "f32" },
  { name: "bias2Sqrt", type: "f32" },
  { name: "decay", type: "f32" },
  { name: "nadamGradStep", type: "f32" },
  { name: "nadamMomentStep", type: "f32" },
] as const;

/** The uniform buffer's size: the struct rounded up to whole 16-byte rows, as uniform buffer layouts require. */
export const GLOBALS_BYTES = Math.ceil((GLOBAL_FIELDS.length * 4) / 16) * 16;

type GlobalName = (typeof GLOBAL_FIELDS)[number]["name"];

/** The bytes to write to the uniform buffer for one dispatch sequence. */
export function packGlobals(frame: { batch: number; step: number; seed: number }, scalars: OptimizerScalars): ArrayBuffer {
  const values: Record<GlobalName, number> = { ...frame, ...scalars, momentumStart: scalars.momentumStart ? 1 : 0 };
  const raw = new ArrayBuffer(GLOBALS_BYTES);
  const u32 = new Uint32Array(raw);
  const f32 = new Float32Array(raw);
  GLOBAL_FIELDS.forEach((field, k) => {
    if (field.type === "u32") u32[k] = values[field.name];
    else f32[k] = values[field.name];
  });
  return raw;
}
