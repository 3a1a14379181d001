// Reverse-mode automatic differentiation over the graph IR: walks the nodes from the loss backwards, applies
// each op's gradient rule from the registry, and sums gradients that reach a node along several paths.
import type { Graph } from "./ir.js";
import { GraphBuilder, OPS } from "./ops.js";

export interface Gradients {
  /** Gradient node of each parameter node, in the order of graph.params. */
  params: number[];
}

export function differentiate(graph: Graph, loss: number): Gradients {
  const builder = new GraphBuilder(graph);
  const grads = new Map<number, number>();
  grads.set(loss, builder.add("constant", [], [], { value: 1 }));
  // Only nodes the loss depends on need gradients.
  const needed = new Set<number>([loss]);
  for (let id = loss; id >= 0; id--) if (needed.has(id)) for (const input of graph.nodes[id]!.inputs) needed.add(input);
  for (let id = loss; id >= 0; id--) {
    const gradOut = grads.get(id);
    if (gradOut === undefined || !needed.has(id)) continue;
    const node = graph.nodes[id]!;
    const rule = OPS[node.op]?.grad;
    if (!rule) continue;
    const inputGrads = rule(builder, node, gradOut);
    node.inputs.forEach((input, k) => {
      const g = inputGrads[k];
      if (g === undefined) return;
      const previous = grads.get(input);
      grads.set(input, previous === undefined ? g : builder.binary("add", previous, g));
    });
  }
  return {
    params: graph.params.map((p) => {
      const g = grads.get(p.node);
      return g ?? builder.add("scale", [builder.add("broadcast_to", [builder.add("constant", [], [], { value: 0 }), p.node])], undefined, { c: 0 });
    }),
  };
}
