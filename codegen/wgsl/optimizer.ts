// WGSL for the optimizer update of one parameter buffer (SGD with momentum/dampening/Nesterov/decay, Adam,
// AdamW): the same formulas as runtime/cpu/optimizers.ts. Everything that changes from step to step (the
// learning rate, the momentum or β₁ a schedule may cycle, the bias corrections) is computed on the host in
// float64 (runtime/optimizer-scalars.ts) and read from the per-step globals; constants are literals.
import type { OptimizerSpec } from "../../runtime/cpu/optimizers.js";
import { optimizerStateNames } from "../../runtime/webgpu/state.js";
import { f32, GLOBALS_WGSL } from "./common.js";
import type { KernelSource } from "./kernels.js";

export { optimizerStateNames };

export function supportsOptimizer(spec: OptimizerSpec): boolean {
  return spec.kind === "sgd" || spec.kind === "adam" || spec.kind === "adamw";
}

export interface OptimizerKernelOptions {
  /** Prefix of the state buffers' keys (`${prefix}:m`, …); the parameter's key by default. */
  statePrefix?: string;
  /** The schedule sets the momentum (β₁ for Adam) on some steps: SGD then needs its momentum path. */
  cyclesMomentum?: boolean;
}

function sgdBody(spec: Extract<OptimizerSpec, { kind: "sgd" }>, cyclesMomentum: boolean): string {
  const { dampening, nesterov, weightDecay } = spec;
  const decayed = `var d = g[i] + ${f32(weightDecay)} * p[i];`;
  const update = "p[i] = p[i] - globals.lr * d;";
  if (spec.momentum === 0 && !cyclesMomentum) return [decayed, update].join("\n  ");
  const momentumPath = [
    `if (globals.momentumStart != 0u) { momentum[i] = d; } else { momentum[i] = globals.momentum * momentum[i] + ${f32(1 - dampening)} * d; }`,
    nesterov ? "d = d + globals.momentum * momentum[i];" : "d = momentum[i];",
  ];
  // PyTorch skips the momentum path on a step whose momentum is 0, which a cycled momentum can be.
  const guarded = cyclesMomentum ? ["if (globals.momentum != 0.0) {", ...momentumPath.map((line) => `  ${line}`), "}"] : momentumPath;
  return [decayed, ...guarded, update].join("\n  ");
}

function adamBody(spec: Extract<OptimizerSpec, { kind: "adam" | "adamw" }>): string {
  const { beta2, eps, weightDecay, amsgrad } = spec;
  return [
    "var grad = g[i];",
    // AdamW: p − (lr·λ)·p rather than PyTorch's p·(1 − lr·λ), the same number; in f32 the factor 1 − lr·λ
    // would be rounded by ~1e-8 relative, an error that compounds every step.
    spec.kind === "adamw" ? "p[i] = p[i] - globals.decay * p[i];" : `grad = grad + ${f32(weightDecay)} * p[i];`,
    "m[i] = m[i] + (grad - m[i]) * globals.oneMinusBeta1;",
    `v[i] = ${f32(beta2)} * v[i] + ${f32(1 - beta2)} * grad * grad;`,
    "var second = v[i];",
    ...(amsgrad ? ["vmax[i] = max(vmax[i], v[i]);", "second = vmax[i];"] : []),
    `let denom = sqrt(second) / globals.bias2Sqrt + ${f32(eps)};`,
    "p[i] = p[i] - globals.stepSize * m[i] / denom;",
  ].join("\n  ");
}

/**
 * The update of `count` elements in one dispatch. Bindings: parameters (read_write), gradients, then the
 * state buffers. The planner binds the flat buffers holding every parameter (see runtime/webgpu/layout.ts);
 * the tests bind single tensors.
 */
export function emitOptimizer(spec: OptimizerSpec, param: number | string, grad: number | string, count: number, options: OptimizerKernelOptions = {}): KernelSource {
  const statePrefix = options.statePrefix ?? String(param);
  const states = optimizerStateNames(spec);
  const bindings = [{ node: param, write: true }, { node: grad, write: false }, ...states.map((s) => ({ node: `${statePrefix}:${s}`, write: true }))];
  const decl = bindings.map((b, k) => `@group(0) @binding(${k + 1}) var<storage, ${b.write ? "read_write" : "read"}> ${k === 0 ? "p" : k === 1 ? "g" : states[k - 2]}: array<f32>;`).join("\n");
  let body: string;
  if (spec.kind === "sgd") body = sgdBody(spec, options.cyclesMomentum ?? false);
  else if (spec.kind === "adam" || spec.kind === "adamw") body = adamBody(spec);
  else throw new Error(`no WGSL optimizer for ${spec.kind}`);
  return {
    label: `${spec.kind} update ${typeof param === "number" ? `#${param}` : "of all parameters"}`,
    bindings,
    dispatch: { kind: "elements", shape: [count] },
    code: `${GLOBALS_WGSL}${decl}
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = gid.x + gid.y * groups.x * 64u;
  if (i >= ${count}u) { return; }
  ${body}
}
`,
  };
}
