// WGSL for what training measures on the device: the metrics accumulated every step (read back once per
// epoch; at `log_every` the running loss sum and the last loss, so that a NaN or a runaway loss at any step
// of the interval shows in the sum, which keeps it) and the probe of parameter health at logged steps. The
// classification rule is runtime/metrics.ts's `classify`, which the CPU backend uses.
import { TOP_K } from "../../runtime/metrics.js";
import { flatKey } from "../../runtime/webgpu/layout.js";
import { f32, GLOBALS_WGSL, workgroupSum } from "./common.js";
import type { KernelSource } from "./kernels.js";

/** Floats in the metrics buffer: Σ loss·batch, correct predictions, top-k hits, the last step's loss. */
export const METRICS_FLOATS = 4;

/** What the metrics read: the logits or outputs (`output`), the labels, and how to classify them. */
export interface MetricsSpec {
  output: number;
  labels: number;
  classes: number | undefined;
  threshold?: number;
}

/**
 * The metrics' statements for one invocation: `loss` is the step's loss (an expression), and the arrays
 * `out` (outputs), `labels` and `metrics` are bound under the names given. A loss kernel that ends in one
 * invocation runs them itself (codegen/wgsl/fuse.ts), so the metrics need no dispatch of their own.
 */
export function metricsCode(spec: MetricsSpec, loss: string, names: { out: string; labels: string; metrics: string }): string {
  const { classes, threshold } = spec;
  // A one-column classifier with a binary loss predicts class 1 above the threshold; the label is always in its top 2.
  const binary = classes === 1 && threshold !== undefined;
  const counts = binary
    ? `var correct = 0.0;
  for (var r = 0u; r < globals.batch; r = r + 1u) {
    if (select(0u, 1u, out[r] > ${f32(threshold)}) == u32(labels[r])) { correct = correct + 1.0; }
  }
  metrics[1] = metrics[1] + correct;
  metrics[2] = metrics[2] + f32(globals.batch);`
    : classes
    ? `var correct = 0.0;
  var topk = 0.0;
  for (var r = 0u; r < globals.batch; r = r + 1u) {
    let base = r * ${classes}u;
    let label = u32(labels[r]);
    let own = out[base + label];
    var best = 0u;
    var higher = 0u;
    for (var c = 0u; c < ${classes}u; c = c + 1u) {
      if (c > 0u && out[base + c] > out[base + best]) { best = c; }
      if (out[base + c] > own) { higher = higher + 1u; }
    }
    if (best == label) { correct = correct + 1.0; }
    if (higher < ${TOP_K}u) { topk = topk + 1.0; }
  }
  metrics[1] = metrics[1] + correct;
  metrics[2] = metrics[2] + topk;`
    : "";
  const rename = (code: string) => code.replace(/\bout\[/g, `${names.out}[`).replace(/\blabels\[/g, `${names.labels}[`).replace(/\bmetrics\[/g, `${names.metrics}[`);
  // The loss expression is inserted after renaming: it names the caller's own buffers.
  return `${rename("metrics[0] = metrics[0] + LOSS * f32(globals.batch);\n  metrics[3] = LOSS;").replace(/LOSS/g, loss)}
  ${rename(counts)}`;
}

/**
 * Accumulates the batch's loss (times the batch size) and, for classification, the correct and top-k
 * predictions, and keeps the last loss for logging. One thread per example row would race on the sums; the
 * batch is small next to the step's matmuls, so one invocation walks it.
 */
export function emitMetrics(loss: number, output: number, labels: number, classes: number | undefined, threshold?: number): KernelSource {
  return {
    label: "metrics",
    bindings: [{ node: loss, write: false }, { node: output, write: false }, { node: labels, write: false }, { node: "metrics", write: true }],
    dispatch: { kind: "single" },
    code: `${GLOBALS_WGSL}@group(0) @binding(1) var<storage, read> loss: array<f32>;
@group(0) @binding(2) var<storage, read> out: array<f32>;
@group(0) @binding(3) var<storage, read> labels: array<f32>;
@group(0) @binding(4) var<storage, read_write> metrics: array<f32>;
@compute @workgroup_size(1)
fn main() {
  ${metricsCode({ output, labels, classes, threshold }, "loss[0]", { out: "out", labels: "labels", metrics: "metrics" })}
}
`,
  };
}

const PROBE_THREADS = 64;

/**
 * The probe of the notes' babysitting: per parameter tensor, Σ(θ − θ_before)², Σθ_before² and Σg² over its
 * range of one chunk's flat buffers (one workgroup per tensor, a tree reduction in workgroup memory), written
 * at the tensor's index in the program; the host forms ‖Δθ‖/‖θ‖ and the global gradient norm. `before` holds
 * the parameters copied before the step.
 */
export function emitProbe(chunk: number, tensors: { offset: number; count: number; index: number; decay?: number }[]): KernelSource {
  const list = (values: number[]) => `array<u32, ${values.length}>(${values.map((v) => `${v}u`).join(", ")})`;
  return {
    label: `probe of update/weight ratios and gradient norms, chunk ${chunk}`,
    bindings: [
      { node: flatKey("params", chunk), write: false },
      { node: flatKey("before", chunk), write: false },
      { node: flatKey("grads", chunk), write: false },
      { node: "probe", write: true },
    ],
    dispatch: { kind: "groups", count: tensors.length },
    code: `${GLOBALS_WGSL}@group(0) @binding(1) var<storage, read> params: array<f32>;
@group(0) @binding(2) var<storage, read> before: array<f32>;
@group(0) @binding(3) var<storage, read> grads: array<f32>;
@group(0) @binding(4) var<storage, read_write> probe: array<f32>;
// Offsets and sizes of the ${tensors.length} tensors in this chunk, and their indices in the program.
var<private> offsets = ${list(tensors.map((t) => t.offset))};
var<private> counts = ${list(tensors.map((t) => t.count))};
var<private> indices = ${list(tensors.map((t) => t.index))};
// The c of an L2 term folded into the update (codegen/wgsl/l2-fold.ts): the gradient is g + c·θ_before.
var<private> decays = array<f32, ${tensors.length}>(${tensors.map((t) => f32(t.decay ?? 0)).join(", ")});
var<workgroup> partial: array<vec3f, ${PROBE_THREADS}>;
@compute @workgroup_size(${PROBE_THREADS})
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let k = wg.x;
  let start = offsets[k];
  let n = counts[k];
  var acc = vec3f(0.0);
  for (var i = lid; i < n; i = i + ${PROBE_THREADS}u) {
    let old = before[start + i];
    let d = params[start + i] - old;
    let g = grads[start + i] + decays[k] * old;
    acc = acc + vec3f(d * d, old * old, g * g);
  }
  ${workgroupSum(PROBE_THREADS)}
  if (lid == 0u) {
    let at = 3u * indices[k];
    probe[at] = partial[0].x;
    probe[at + 1u] = partial[0].y;
    probe[at + 2u] = partial[0].z;
  }
}
`,
  };
}
