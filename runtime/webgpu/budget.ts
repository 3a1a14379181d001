// The device budget, checked before anything runs: every buffer and every binding of the planned program
// against the device's limits (WebGPU's defaults, or the adapter's own when training), and the storage
// buffers each kernel binds. Problems name the value (a parameter, a layer's output, the batch) so the
// caller can point at the layer responsible; dslc reports them as E0602.
import type { KernelPlan } from "../../codegen/wgsl/plan.js";
import type { Program } from "../program.js";
import type { BufferPlan } from "./buffers.js";
import type { DeviceLimits } from "./limits.js";

export interface BudgetProblem {
  message: string;
  help: string;
  /** The program node responsible (a parameter or a value), when there is one. */
  node?: number;
}

export class BudgetExceeded extends Error {
  constructor(readonly problems: BudgetProblem[]) {
    super(problems.map((p) => p.message).join("; "));
  }
}

export function formatBytes(n: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = n;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${unit === 0 ? value : value.toFixed(value < 10 ? 2 : 1)} ${units[unit]}`;
}

export function checkBudget(program: Program, plan: KernelPlan, buffers: BufferPlan, limits: DeviceLimits): BudgetProblem[] {
  const problems: BudgetProblem[] = [];
  const binding = limits.maxStorageBufferBindingSize;
  const batchHelp = `lower \`batch\` (the buffers hold ${buffers.maxBatch} examples: the training batch, and at least 512 for evaluation)`;
  // Parameters: one tensor must fit one binding; the flat chunks are split to fit otherwise (layout.ts).
  for (const p of program.params) {
    const size = p.shape.reduce((a, d) => a * d, 1) * 4;
    if (size > binding) {
      problems.push({
        node: p.node,
        message: `the parameter \`${p.name}\` [${p.shape.join(", ")}] takes ${formatBytes(size)}, more than one storage binding of this device allows (${formatBytes(binding)})`,
        help: "make the layer narrower, or split it into several smaller layers",
      });
    }
  }
  // Values of a step (activations and their gradients) at the largest batch.
  for (const [node, size] of buffers.valueBytes) {
    if (size <= binding) continue;
    const n = program.nodes[node]!;
    if (!buffers.places[0]!.has(node) && !buffers.places[1]!.has(node)) continue;
    problems.push({
      node,
      message: `${n.name ? `\`${n.name}\`` : `a value of the model (${n.op})`} holds ${formatBytes(size)} for ${buffers.maxBatch} examples, more than one storage binding of this device allows (${formatBytes(binding)})`,
      help: `${batchHelp}, or make the layer narrower`,
    });
  }
  for (const id of [program.input, program.labels]) {
    const spec = buffers.buffers.find((b) => b.key === id)!;
    if (spec.bytes > binding) {
      problems.push({ node: id, message: `the ${id === program.input ? "input" : "label"} batch takes ${formatBytes(spec.bytes)}, more than one storage binding of this device allows (${formatBytes(binding)})`, help: batchHelp });
    }
  }
  for (const spec of buffers.buffers) {
    if (spec.bytes > limits.maxBufferSize && !problems.some((p) => p.node === spec.key)) {
      problems.push({ message: `a buffer of ${spec.kind} needs ${formatBytes(spec.bytes)}, more than this device's largest buffer (${formatBytes(limits.maxBufferSize)})`, help: `${batchHelp}, or make the model smaller` });
    }
  }
  for (const kernel of [...plan.train.kernels, ...plan.eval.kernels, ...(plan.probe ?? [])]) {
    if (kernel.bindings.length > limits.maxStorageBuffersPerShaderStage) {
      problems.push({ message: `the kernel \`${kernel.label}\` binds ${kernel.bindings.length} storage buffers, more than this device allows (${limits.maxStorageBuffersPerShaderStage})`, help: "train with `--backend cpu`; this is a limit the kernel generator should respect, please report it" });
    }
  }
  return problems;
}
