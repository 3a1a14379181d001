// Every device buffer a program needs, decided without a device: the flat parameter chunks with their
// gradients and optimizer moments, the batch and labels, BatchNorm state, metrics, the probe, and the
// transient values (activations and gradients) sharing slots by liveness. The backend allocates exactly
// this; the budget check (budget.ts) and `dslc check --memory` read it.
import type { KernelPlan, ModePlan } from "../../codegen/wgsl/plan.js";
import type { Program } from "../program.js";
import { optimizerStateNames } from "./state.js";
import { GROUP_SCALAR_FIELDS, GROUP_SCALARS } from "./globals.js";
import { groupSpecs } from "../param-groups.js";
import { flatKey, type FlatLayout } from "./layout.js";
import { planMemory } from "./memory.js";
import { METRICS_FLOATS } from "../../codegen/wgsl/metrics.js";
import { CLIP_BUFFER, clipFloats } from "../../codegen/wgsl/constraints.js";
import { AUGMENT_RAW, AUGMENT_SCRATCH } from "./augment-buffers.js";

/** What a buffer holds, for the memory report. */
export type BufferKind = "parameters" | "gradients" | "optimizer state" | "batch" | "running statistics" | "monitoring" | "activations";

export interface BufferSpec {
  key: number | string;
  bytes: number;
  kind: BufferKind;
}

/** A value's place: its own buffer, or a range of a flat chunk (a parameter or its gradient). */
export type Placement = { buffer: number | string; offset: number; bytes: number };

export interface BufferPlan {
  /** Buffers allocated once, in allocation order. */
  buffers: BufferSpec[];
  /** Per mode (training, evaluation): every bound value → its place. */
  places: Map<number | string, Placement>[];
  layout: FlatLayout;
  /** The batch the buffers are sized for. */
  maxBatch: number;
  /** Transient values' sizes (before sharing), for the budget check. */
  valueBytes: Map<number, number>;
}

export function bytes(count: number): number {
  // Zero-size bindings are invalid; keep every buffer at least one 16-byte row.
  return Math.max(16, Math.ceil((count * 4) / 16) * 16);
}

/** Evaluation runs in batches of up to this many examples, so buffers hold at least this many. */
export const EVALUATION_BATCH = 512;

export function planBuffers(program: Program, plan: KernelPlan, trainingBatch: number, options: { shareByLiveness?: boolean } = {}): BufferPlan {
  const maxBatch = Math.max(trainingBatch, EVALUATION_BATCH);
  const buffers: BufferSpec[] = [];
  const persistent = new Map<number | string, Placement>();
  const own = (key: number | string, size: number, kind: BufferKind) => {
    buffers.push({ key, bytes: size, kind });
    persistent.set(key, { buffer: key, offset: 0, bytes: size });
  };
  const layout = plan.layout;
  layout.chunks.forEach((floats, c) => {
    own(flatKey("params", c), floats * 4, "parameters");
    own(flatKey("grads", c), floats * 4, "gradients");
    for (const state of optimizerStateNames(program.optimizer)) own(flatKey(`opt:${state}`, c), floats * 4, "optimizer state");
    if (plan.probe) own(flatKey("before", c), floats * 4, "monitoring");
  });
  const trainAlias = (id: number) => plan.train.aliases.get(id) ?? id;
  program.params.forEach((p, k) => {
    const { chunk, offset } = layout.place.get(p.node)!;
    const size = bytes(p.shape.reduce((a, d) => a * d, 1));
    persistent.set(p.node, { buffer: flatKey("params", chunk), offset: offset * 4, bytes: size });
    persistent.set(trainAlias(program.paramGrads[k]!), { buffer: flatKey("grads", chunk), offset: offset * 4, bytes: size });
  });
  const sizeOf = (node: { shape: (number | "N")[] }) => bytes(node.shape.reduce<number>((p, d) => p * (d === "N" ? maxBatch : d), 1));
  own(program.input, sizeOf(program.nodes[program.input]!), "batch");
  own(program.labels, sizeOf(program.nodes[program.labels]!), "batch");
  // The raw batch of on-device augmentation, and a second buffer when a chain of augmentations alternates.
  if (plan.augment) own(AUGMENT_RAW, sizeOf(program.nodes[program.input]!), "batch");
  if (plan.augment && plan.augment.length > 1) own(AUGMENT_SCRATCH, sizeOf(program.nodes[program.input]!), "batch");
  for (const s of program.state) own(s.node, sizeOf(program.nodes[s.node]!), "running statistics");
  own("metrics", bytes(METRICS_FLOATS), "monitoring");
  if (plan.probe) own("probe", bytes(3 * program.params.length), "monitoring");
  if (program.clip?.kind === "norm") own(CLIP_BUFFER, bytes(clipFloats(layout.chunks.length)), "gradients");
  // Each parameter group's scalars of the step (runtime/param-groups.ts), written by the host every step.
  if (program.optimizer.groups) own(GROUP_SCALARS, bytes(groupSpecs(program.optimizer).length * GROUP_SCALAR_FIELDS.length), "optimizer state");
  const valueBytes = new Map<number, number>();
  // Every value a kernel may bind, select_mode's included: planned as an alias of its chosen input where it
  // stands alone, it is a kernel's output where the fusion scheduler computes it inside a chain (RepVGG's
  // train/eval branches); only the values some kernel binds get a buffer.
  for (const node of program.nodes) if (!persistent.has(node.id)) valueBytes.set(node.id, sizeOf(node));
  const resolved = (mode: ModePlan) => mode.kernels.map((k) => k.bindings.map((b) => ({ node: typeof b.node === "number" ? (mode.aliases.get(b.node) ?? b.node) : b.node, write: b.write })));
  const modes = [plan.train, plan.eval];
  if (options.shareByLiveness === false) {
    // One buffer per value (to measure what sharing saves, and to compare results).
    const bound = new Set(modes.flatMap((m) => resolved(m).flat().map((b) => b.node)));
    const all = new Map(persistent);
    for (const [key, size] of valueBytes) {
      if (!bound.has(key)) continue;
      own(key, size, "activations");
      all.set(key, persistent.get(key)!);
    }
    return { buffers, places: [all, all], layout, maxBatch, valueBytes };
  }
  const memory = planMemory(modes.map(resolved), (key) => valueBytes.get(key as number)!, (key) => persistent.has(key));
  memory.slotBytes.forEach((size, i) => buffers.push({ key: `slot ${i}`, bytes: size, kind: "activations" }));
  const places = memory.slots.map((assigned) => {
    const map = new Map(persistent);
    for (const [key, slot] of assigned) map.set(key, { buffer: `slot ${slot}`, offset: 0, bytes: memory.slotBytes[slot]! });
    return map;
  });
  return { buffers, places, layout, maxBatch, valueBytes };
}

/** Bytes per kind of buffer, and their total (all are allocated at once: the peak). */
export function memoryReport(plan: BufferPlan): { kinds: Record<BufferKind | "last good weights", number>; total: number } {
  const kinds = { parameters: 0, gradients: 0, "optimizer state": 0, activations: 0, batch: 0, "running statistics": 0, monitoring: 0 } as Record<BufferKind, number>;
  for (const b of plan.buffers) kinds[b.kind] += b.bytes;
  // The backend's keepWeights holds two device copies of the parameters and running statistics (the last
  // good step's and the one awaiting its loss reading), so that a diverging run can still save them.
  const lastGood = 2 * (kinds.parameters + kinds["running statistics"]);
  return { kinds: { ...kinds, "last good weights": lastGood }, total: plan.buffers.reduce((sum, b) => sum + b.bytes, 0) + lastGood };
}
