// WGSL for the optimizer update of one parameter buffer, for every optimizer of runtime/cpu/optimizers.ts
// but L-BFGS, with PyTorch 1.13's formulas (torch/optim/*.py, single-tensor paths). Everything that changes
// from step to step (the learning rate, the momentum or β₁ a schedule may cycle, the bias corrections,
// Adagrad's decayed rate, NAdam's μ products) is computed on the host in float64
// (runtime/optimizer-scalars.ts) and read from the per-step globals; constants are literals. Initial state
// other than zero (Adagrad's initial_accumulator_value) is written by the runtime (runtime/webgpu/state.ts).
import type { OptimizerSpec } from "../../runtime/cpu/optimizers.js";
import { optimizerStateNames } from "../../runtime/webgpu/state.js";
import { GROUP_SCALAR_FIELDS } from "../../runtime/webgpu/globals.js";
import { f32, GLOBALS_WGSL } from "./common.js";
import type { KernelSource } from "./kernels.js";

export { optimizerStateNames };

export function supportsOptimizer(spec: OptimizerSpec): boolean {
  // L-BFGS has no update kernel (the planner emits none): the device evaluates loss and gradient, the host steps.
  return ["sgd", "adam", "adamw", "adagrad", "rmsprop", "adadelta", "adamax", "nadam", "lbfgs"].includes(spec.kind);
}

export interface OptimizerKernelOptions {
  /** Prefix of the state buffers' keys (`${prefix}:m`, …); the parameter's key by default. */
  statePrefix?: string;
  /** The schedule sets the momentum (β₁ for Adam) on some steps: SGD then needs its momentum path. */
  cyclesMomentum?: boolean;
  /**
   * Gradient clipping: by value clamps each gradient; by norm multiplies it by the coefficient at `coefficient`
   * of the bound clip buffer (codegen/wgsl/constraints.ts). Applied before weight decay, as PyTorch's
   * clip_grad_*_ before optimizer.step(); the gradient buffer keeps the unclipped values.
   */
  clip?: { kind: "value"; max: number } | { kind: "norm"; buffer: string; coefficient: number };
  /**
   * Parameter groups (runtime/param-groups.ts): every scalar the body reads from the globals, and the weight
   * decay, come instead from the group's row of the bound scalar buffer (GROUP_SCALAR_FIELDS per group,
   * written each step by the host); `runs` maps ranges of elements to groups, each run from its `start` to
   * the next run's. `momentum`: some group's momentum differs from the optimizer's, so each element takes
   * the momentum path by its own group's value (as PyTorch skips it for a group whose momentum is 0).
   */
  groups?: { buffer: string; runs: { start: number; group: number }[]; momentum: boolean };
  /**
   * A gradient term c·p folded out of the graph (an L2 penalty, codegen/wgsl/l2-fold.ts): WGSL defining
   * `fn l2Decay(i: u32) -> f32`, the c of element i. The body then reads g[i] + c·p[i], with p[i] as it is
   * before the update, where the graph would have summed the term into the gradient buffer.
   */
  l2Decay?: string;
}

/** The weight decay as WGSL: a literal, or an expression when it differs per group. */
function wdExpr(weightDecay: number | string): string {
  return typeof weightDecay === "number" ? f32(weightDecay) : weightDecay;
}

function sgdBody(spec: Extract<OptimizerSpec, { kind: "sgd" }>, cyclesMomentum: boolean, weightDecay: number | string): string {
  const { dampening, nesterov } = spec;
  const decayed = `var d = g[i] + ${wdExpr(weightDecay)} * p[i];`;
  const update = "p[i] = p[i] - globals.lr * d;";
  if (spec.momentum === 0 && !cyclesMomentum) return [decayed, update].join("\n  ");
  if (spec.compat !== undefined) {
    // Caffe's and Keras' velocity holds the learning rate (runtime/cpu/optimizers.ts); it starts at 0, so a
    // step with momentum 0 (cycled) is plain SGD here without a guard.
    const step = spec.nesterov ? "globals.momentum * momentum[i] + globals.lr * d" : "momentum[i]";
    return [decayed, "momentum[i] = globals.momentum * momentum[i] + globals.lr * d;", `p[i] = p[i] - (${step});`].join("\n  ");
  }
  const momentumPath = [
    `if (globals.momentumStart != 0u) { momentum[i] = d; } else { momentum[i] = globals.momentum * momentum[i] + ${f32(1 - dampening)} * d; }`,
    nesterov ? "d = d + globals.momentum * momentum[i];" : "d = momentum[i];",
  ];
  // PyTorch skips the momentum path on a step whose momentum is 0, which a cycled momentum can be.
  const guarded = cyclesMomentum ? ["if (globals.momentum != 0.0) {", ...momentumPath.map((line) => `  ${line}`), "}"] : momentumPath;
  return [decayed, ...guarded, update].join("\n  ");
}

function adamBody(spec: Extract<OptimizerSpec, { kind: "adam" | "adamw" }>, weightDecay: number | string): string {
  const { beta2, eps, amsgrad } = spec;
  return [
    "var grad = g[i];",
    // AdamW: p − (lr·λ)·p rather than PyTorch's p·(1 − lr·λ), the same number; in f32 the factor 1 − lr·λ
    // would be rounded by ~1e-8 relative, an error that compounds every step.
    spec.kind === "adamw" ? "p[i] = p[i] - globals.decay * p[i];" : weightDecay === 0 ? "" : `grad = grad + ${wdExpr(weightDecay)} * p[i];`,
    "m[i] = m[i] + (grad - m[i]) * globals.oneMinusBeta1;",
    `v[i] = ${f32(beta2)} * v[i] + ${f32(1 - beta2)} * grad * grad;`,
    "var second = v[i];",
    ...(amsgrad ? ["vmax[i] = max(vmax[i], v[i]);", "second = vmax[i];"] : []),
    `let denom = sqrt(second) / globals.bias2Sqrt + ${f32(eps)};`,
    "p[i] = p[i] - globals.stepSize * m[i] / denom;",
  ]
    .filter(Boolean)
    .join("\n  ");
}

/** PyTorch's coupled weight decay, grad + λ·p (a no-op when λ = 0, as PyTorch skips it). */
function decayedGrad(weightDecay: number | string): string {
  return weightDecay === 0 ? "let grad = g[i];" : `let grad = g[i] + ${wdExpr(weightDecay)} * p[i];`;
}

function adagradBody(spec: Extract<OptimizerSpec, { kind: "adagrad" }>, weightDecay: number | string): string {
  return [
    decayedGrad(weightDecay),
    "sum[i] = sum[i] + grad * grad;",
    // globals.stepSize is clr = lr / (1 + (t − 1)·lr_decay).
    `p[i] = p[i] - globals.stepSize * (grad / (sqrt(sum[i]) + ${f32(spec.eps)}));`,
  ].join("\n  ");
}

function rmspropBody(spec: Extract<OptimizerSpec, { kind: "rmsprop" }>, cyclesMomentum: boolean, weightDecay: number | string): string {
  const { alpha, eps, centered } = spec;
  const lines = [decayedGrad(weightDecay), `squareAvg[i] = ${f32(alpha)} * squareAvg[i] + ${f32(1 - alpha)} * grad * grad;`];
  if (centered) {
    lines.push(`gradAvg[i] = ${f32(alpha)} * gradAvg[i] + ${f32(1 - alpha)} * grad;`);
    // No clamp at 0: PyTorch takes the root of square_avg − grad_avg² as it is.
    lines.push(`let avg = sqrt(squareAvg[i] - gradAvg[i] * gradAvg[i]) + ${f32(eps)};`);
  } else lines.push(`let avg = sqrt(squareAvg[i]) + ${f32(eps)};`);
  const withMomentum = ["momentum[i] = globals.momentum * momentum[i] + grad / avg;", "p[i] = p[i] - globals.lr * momentum[i];"];
  const plain = "p[i] = p[i] - globals.lr * (grad / avg);";
  if (spec.momentum === 0 && !cyclesMomentum) return [...lines, plain].join("\n  ");
  // PyTorch takes the momentum path on a step whose momentum is > 0, which a cycled one may not be.
  if (!cyclesMomentum) return [...lines, ...withMomentum].join("\n  ");
  return [...lines, "if (globals.momentum > 0.0) {", ...withMomentum.map((line) => `  ${line}`), "} else {", `  ${plain}`, "}"].join("\n  ");
}

function adadeltaBody(spec: Extract<OptimizerSpec, { kind: "adadelta" }>, weightDecay: number | string): string {
  const { rho, eps } = spec;
  return [
    decayedGrad(weightDecay),
    `squareAvg[i] = ${f32(rho)} * squareAvg[i] + ${f32(1 - rho)} * grad * grad;`,
    `let delta = sqrt(accDelta[i] + ${f32(eps)}) / sqrt(squareAvg[i] + ${f32(eps)}) * grad;`,
    `accDelta[i] = ${f32(rho)} * accDelta[i] + ${f32(1 - rho)} * delta * delta;`,
    "p[i] = p[i] - globals.lr * delta;",
  ].join("\n  ");
}

function adamaxBody(spec: Extract<OptimizerSpec, { kind: "adamax" }>, weightDecay: number | string): string {
  return [
    decayedGrad(weightDecay),
    "m[i] = globals.momentum * m[i] + globals.oneMinusBeta1 * grad;",
    // ε inside the max, as PyTorch's amax over [β₂·u, |g| + ε].
    `u[i] = max(u[i] * ${f32(spec.beta2)}, abs(grad) + ${f32(spec.eps)});`,
    "p[i] = p[i] - globals.stepSize * (m[i] / u[i]);",
  ].join("\n  ");
}

function nadamBody(spec: Extract<OptimizerSpec, { kind: "nadam" }>, weightDecay: number | string): string {
  const { beta2, eps } = spec;
  return [
    decayedGrad(weightDecay),
    "m[i] = globals.momentum * m[i] + globals.oneMinusBeta1 * grad;",
    `v[i] = ${f32(beta2)} * v[i] + ${f32(1 - beta2)} * grad * grad;`,
    `let denom = sqrt(v[i]) / globals.bias2Sqrt + ${f32(eps)};`,
    // Two updates, rounded one after the other, as PyTorch's two addcdiv_.
    "p[i] = p[i] - globals.nadamGradStep * (grad / denom);",
    "p[i] = p[i] - globals.nadamMomentStep * (m[i] / denom);",
  ].join("\n  ");
}

/**
 * Invocations per workgroup of the update, and elements per workgroup: each invocation updates 32
 * elements, 16 apart. On lavapipe a 64-wide workgroup updating one element per invocation spent most of its
 * time starting invocations: Adam over the benchmark MLP's 670k parameters took 12.8 ms that way and 3.7 ms
 * this way (neighbouring lanes still touch neighbouring words).
 */
const UPDATE_LANES = 16;
const UPDATE_PER_GROUP = 512;

/**
 * The update of `count` elements in one dispatch. Bindings: parameters (read_write), gradients, then the
 * state buffers. The planner binds the flat buffers holding every parameter (see runtime/webgpu/layout.ts);
 * the tests bind single tensors.
 */
export function emitOptimizer(spec: OptimizerSpec, param: number | string, grad: number | string, count: number, options: OptimizerKernelOptions = {}): KernelSource {
  const statePrefix = options.statePrefix ?? String(param);
  const states = optimizerStateNames(spec);
  const clip = options.clip;
  const bindings = [{ node: param, write: true }, { node: grad, write: false }, ...states.map((s) => ({ node: `${statePrefix}:${s}`, write: true }))];
  const names = ["p", "g", ...states];
  if (clip?.kind === "norm") {
    bindings.push({ node: clip.buffer, write: false });
    names.push("clip");
  }
  const groups = options.groups;
  if (groups) {
    bindings.push({ node: groups.buffer, write: false });
    names.push("groupScalars");
  }
  const decl = bindings.map((b, k) => `@group(0) @binding(${k + 1}) var<storage, ${b.write ? "read_write" : "read"}> ${names[k]}: array<f32>;`).join("\n");
  const cycles = (options.cyclesMomentum ?? false) || (groups?.momentum ?? false);
  // With groups the weight decay is the group's (read like the other per-group scalars, below).
  const wd = groups ? "globals.weightDecay" : "weightDecay" in spec ? spec.weightDecay : 0;
  const update = (() => {
    switch (spec.kind) {
      case "sgd":
        return sgdBody(spec, cycles, wd);
      case "adam":
      case "adamw":
        return adamBody(spec, wd);
      case "adagrad":
        return adagradBody(spec, wd);
      case "rmsprop":
        return rmspropBody(spec, cycles, wd);
      case "adadelta":
        return adadeltaBody(spec, wd);
      case "adamax":
        return adamaxBody(spec, wd);
      case "nadam":
        return nadamBody(spec, wd);
      case "lbfgs":
        throw new Error("internal: L-BFGS has no update kernel: it runs on the host (runtime/lbfgs.ts)");
    }
  })();
  // Every body reads the gradient as g[i]; with clipping it reads the clipped value instead (`\b`: not the
  // g[i] that ends squareAvg[i]).
  const clipped = clip === undefined ? undefined : clip.kind === "value" ? `clamp(g[i], ${f32(-clip.max)}, ${f32(clip.max)})` : `g[i] * clip[${clip.coefficient}u]`;
  const clippedBody = clipped === undefined ? update : `let clippedGrad = ${clipped};\n  ${update.replace(/\bg\[i\]/g, "clippedGrad")}`;
  if (options.l2Decay && (clip || groups)) throw new Error("internal: an L2 term folds into the update only without clipping and parameter groups");
  const decayedBody = options.l2Decay ? `let l2Grad = g[i] + l2Decay(i) * p[i];\n  ${update.replace(/\bg\[i\]/g, "l2Grad")}` : clippedBody;
  const body = groups ? groupedBody(decayedBody) : decayedBody;
  return {
    label: `${spec.kind} update ${typeof param === "number" ? `#${param}` : "of all parameters"}`,
    bindings,
    dispatch: { kind: "groups", count: Math.ceil(count / UPDATE_PER_GROUP) },
    code: `${GLOBALS_WGSL}${decl}
${groups ? groupLookup(groups.runs) : ""}${options.l2Decay ?? ""}@compute @workgroup_size(${UPDATE_LANES})
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) groups: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let first = (wg.x + wg.y * groups.x) * ${UPDATE_PER_GROUP}u + lid.x;
  for (var j = 0u; j < ${UPDATE_PER_GROUP / UPDATE_LANES}u; j = j + 1u) {
    let i = first + j * ${UPDATE_LANES}u;
    if (i < ${count}u) {
      ${body.replace(/\n/g, "\n    ")}
    }
  }
}
`,
  };
}

/** Reads each per-step scalar from the element's group row instead of the globals (momentumStart is a float there). */
function groupedBody(body: string): string {
  const read = body.replace(/globals\.momentumStart != 0u/g, "globals.momentumStart != 0.0").replace(/globals\.(\w+)/g, (_, name: string) => {
    const k = (GROUP_SCALAR_FIELDS as readonly string[]).indexOf(name);
    if (k < 0) throw new Error(`internal: the optimizer body reads globals.${name}, which has no per-group value`);
    return `groupScalars[row + ${k}u]`;
  });
  return `let row = groupOf(i) * ${GROUP_SCALAR_FIELDS.length}u;\n  ${read}`;
}

/**
 * The group of element i: a binary search of the runs' starts, a table emitted into the kernel (it changes only
 * with the model), so no buffer and no binding hold it.
 */
function groupLookup(runs: { start: number; group: number }[]): string {
  if (runs.length === 0 || runs[0]!.start !== 0) throw new Error("internal: group runs must start at element 0");
  if (runs.length === 1) return `fn groupOf(i: u32) -> u32 { return ${runs[0]!.group}u; }\n`;
  const n = runs.length;
  return `const RUN_STARTS = array<u32, ${n}>(${runs.map((r) => `${r.start}u`).join(", ")});
const RUN_GROUPS = array<u32, ${n}>(${runs.map((r) => `${r.group}u`).join(", ")});
fn groupOf(i: u32) -> u32 {
  // The last run starting at or before i.
  var lo = 0u;
  var hi = ${n - 1}u;
  while (lo < hi) {
    let mid = (lo + hi + 1u) / 2u;
    if (RUN_STARTS[mid] <= i) { lo = mid; } else { hi = mid - 1u; }
  }
  return RUN_GROUPS[lo];
}
`;
}
