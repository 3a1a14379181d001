// WGSL for the optimizer update of one parameter buffer (SGD with momentum/dampening/Nesterov/decay, Adam,
// AdamW): the same formulas as runtime/cpu/optimizers.ts, with the step count and learning rate from the
// per-step globals.
import type { OptimizerSpec } from "../../runtime/cpu/optimizers.js";
import { optimizerStateNames } from "../../runtime/webgpu/state.js";
import { f32, GLOBALS_WGSL } from "./common.js";
import type { KernelSource } from "./kernels.js";

export { optimizerStateNames };

export function supportsOptimizer(spec: OptimizerSpec): boolean {
  return spec.kind === "sgd" || spec.kind === "adam" || spec.kind === "adamw";
}

/**
 * The update of `count` elements in one dispatch. Bindings: parameters (read_write), gradients, then the
 * state buffers. The planner binds the flat buffers holding every parameter (see runtime/webgpu/layout.ts);
 * the tests bind single tensors.
 */
export function emitOptimizer(spec: OptimizerSpec, param: number | string, grad: number | string, count: number, statePrefix: string = String(param)): KernelSource {
  const states = optimizerStateNames(spec);
  const bindings = [{ node: param, write: true }, { node: grad, write: false }, ...states.map((s) => ({ node: `${statePrefix}:${s}`, write: true }))];
  const decl = bindings.map((b, k) => `@group(0) @binding(${k + 1}) var<storage, ${b.write ? "read_write" : "read"}> ${k === 0 ? "p" : k === 1 ? "g" : states[k - 2]}: array<f32>;`).join("\n");
  let body: string;
  if (spec.kind === "sgd") {
    const { momentum, dampening, nesterov, weightDecay } = spec;
    body = `var d = g[i] + ${f32(weightDecay)} * p[i];
  ${
    momentum !== 0
      ? `if (globals.t == 1.0) { momentum[i] = d; } else { momentum[i] = ${f32(momentum)} * momentum[i] + ${f32(1 - dampening)} * d; }
  ${nesterov ? `d = d + ${f32(momentum)} * momentum[i];` : "d = momentum[i];"}`
      : ""
  }
  p[i] = p[i] - globals.lr * d;`;
  } else if (spec.kind === "adam" || spec.kind === "adamw") {
    const { beta1, beta2, eps, weightDecay, amsgrad } = spec;
    body = `var grad = g[i];
  ${spec.kind === "adamw" ? `p[i] = p[i] * (1.0 - globals.lr * ${f32(weightDecay)});` : `grad = grad + ${f32(weightDecay)} * p[i];`}
  m[i] = m[i] + (grad - m[i]) * ${f32(1 - beta1)};
  v[i] = ${f32(beta2)} * v[i] + ${f32(1 - beta2)} * grad * grad;
  var second = v[i];
  ${amsgrad ? "vmax[i] = max(vmax[i], v[i]);\n  second = vmax[i];" : ""}
  let bc1 = 1.0 - pow(${f32(beta1)}, globals.t);
  let bc2 = 1.0 - pow(${f32(beta2)}, globals.t);
  let denom = sqrt(second) / sqrt(bc2) + ${f32(eps)};
  p[i] = p[i] - (globals.lr / bc1) * m[i] / denom;`;
  } else throw new Error(`no WGSL optimizer for ${spec.kind}`);
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

/**
 * Accumulates the batch's loss (times the batch size) and, for classification, the number of correct
 * predictions into a two-float metrics buffer, read back once per epoch instead of every step.
 */
export function emitMetrics(loss: number, output: number, labels: number, classes: number | undefined): KernelSource {
  const correct = classes
    ? `var correct = 0.0;
  for (var r = 0u; r < globals.batch; r = r + 1u) {
    var best = 0u;
    for (var c = 1u; c < ${classes}u; c = c + 1u) { if (out[r * ${classes}u + c] > out[r * ${classes}u + best]) { best = c; } }
    if (best == u32(labels[r])) { correct = correct + 1.0; }
  }
  metrics[1] = metrics[1] + correct;`
    : "";
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
  metrics[0] = metrics[0] + loss[0] * f32(globals.batch);
  ${correct}
}
`,
  };
}
