// Runs a graph on the CPU: evaluates the nodes a set of targets needs, in order, with the reference kernels.
// In evaluation mode only the evaluation branch of each `select_mode` is computed, and vice versa.
import { resolveShape, type Attrs, type KernelContext } from "./kernels.js";
import { ALL_KERNELS } from "./all-kernels.js";
import type { Tensor } from "./tensor.js";
import { neededNodes } from "../graph.js";

export interface NodeData {
  id: number;
  op: string;
  inputs: number[];
  shape: (number | string)[];
  attrs: Attrs;
  name?: string;
}

/**
 * Evaluates `targets`. `values` holds the leaves (inputs, parameters, state) and receives every computed
 * node; returns it for convenience.
 */
export function execute(nodes: NodeData[], values: Map<number, Tensor>, targets: number[], ctx: KernelContext): Map<number, Tensor> {
  const need = neededNodes(nodes, targets, ctx.training);
  for (const node of nodes) {
    if (!need[node.id] || values.has(node.id)) continue;
    if (node.op === "select_mode") {
      values.set(node.id, values.get(node.inputs[ctx.training ? 0 : 1]!)!);
      continue;
    }
    const kernel = ALL_KERNELS[node.op];
    if (!kernel) throw new Error(`no CPU kernel for op \`${node.op}\` (node ${node.name ?? node.id})`);
    const inputs = node.inputs.map((i) => {
      const value = values.get(i);
      if (!value) throw new Error(`node ${node.id} (${node.op}) needs node ${i} (${nodes[i]!.op}), which has no value`);
      return value;
    });
    values.set(node.id, kernel(inputs, node.attrs, ctx, resolveShape(node.shape, ctx.batch)));
  }
  return values;
}
