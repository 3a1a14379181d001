// The kernels of a Program for each mode, in dispatch order: the training step (forward, backward,
// BatchNorm statistics, optimizer updates, metrics) and the evaluation pass (forward, metrics). Nodes that
// need no kernel of their own (inputs, parameters, a mode's chosen branch) become buffer aliases.
import type { Program, ProgramNode } from "../../runtime/program.js";
import { emitKernel, type KernelSource } from "./kernels.js";
import { emitMetrics, emitOptimizer, supportsOptimizer } from "./optimizer.js";

export interface ModePlan {
  kernels: KernelSource[];
  /** node → the node whose buffer it shares in this mode (select_mode's chosen input). */
  aliases: Map<number, number>;
}

export interface KernelPlan {
  train: ModePlan;
  eval: ModePlan;
}

export class UnsupportedOnWebGpu extends Error {}

function needed(nodes: ProgramNode[], targets: number[], training: boolean): boolean[] {
  const need = new Array<boolean>(nodes.length).fill(false);
  const stack = [...targets];
  while (stack.length) {
    const id = stack.pop()!;
    if (need[id]) continue;
    need[id] = true;
    const node = nodes[id]!;
    stack.push(...(node.op === "select_mode" ? [node.inputs[training ? 0 : 1]!] : node.inputs));
  }
  return need;
}

function modePlan(program: Program, targets: number[], training: boolean): ModePlan {
  const { nodes } = program;
  const need = needed(nodes, targets, training);
  const aliases = new Map<number, number>();
  const resolve = (id: number): number => aliases.get(id) ?? id;
  const kernels: KernelSource[] = [];
  for (const node of nodes) {
    if (!need[node.id]) continue;
    if (node.op === "select_mode") {
      aliases.set(node.id, resolve(node.inputs[training ? 0 : 1]!));
      continue;
    }
    const resolved: ProgramNode = { ...node, inputs: node.inputs.map(resolve) };
    const kernel = emitKernel(resolved, nodes, training);
    if (kernel) kernels.push(kernel);
  }
  return { kernels, aliases };
}

export function planKernels(program: Program): KernelPlan {
  if (!supportsOptimizer(program.optimizer)) throw new UnsupportedOnWebGpu(`the optimizer \`${program.optimizer.kind}\` has no WebGPU kernel yet`);
  const classes = program.task === "classification" ? (program.nodes[program.output]!.shape[1] as number) : undefined;
  const train = modePlan(program, [program.loss, program.output, ...program.paramGrads, ...program.sideEffects], true);
  program.params.forEach((p, k) => {
    const grad = train.aliases.get(program.paramGrads[k]!) ?? program.paramGrads[k]!;
    train.kernels.push(emitOptimizer(program.optimizer, p.node, grad, p.shape.reduce((a, d) => a * d, 1)));
  });
  train.kernels.push(emitMetrics(program.loss, train.aliases.get(program.output) ?? program.output, program.labels, classes));
  const evaluation = modePlan(program, [program.loss, program.output], false);
  evaluation.kernels.push(emitMetrics(program.loss, evaluation.aliases.get(program.output) ?? program.output, program.labels, classes));
  return { train, eval: evaluation };
}
