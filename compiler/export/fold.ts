// Folds every chain of per-channel affine ops (BatchNorm in evaluation mode, a bias add, a constant scale)
// that follows a dense or conv into its weight and bias: W' = W·s, b' = b·s + t, per output channel.
import { affineOf } from "./affine.js";
import { applyAffine, linearOf, writeLinear } from "./linear.js";
import type { WorkGraph } from "./work-graph.js";

/** Returns how many affine ops were folded away. */
export function foldAffine(graph: WorkGraph): number {
  let folded = 0;
  for (const id of graph.live()) {
    const layer = linearOf(graph, id);
    if (!layer) continue;
    const consumers = graph.consumers();
    let at = id;
    let absorbed = 0;
    for (;;) {
      const next = consumers.get(at) ?? [];
      if (next.length !== 1 || at === graph.output) break;
      const affine = affineOf(graph, graph.nodes[next[0]!]!, at);
      if (!affine) break;
      applyAffine(layer, affine.s, affine.t);
      at = next[0]!;
      absorbed++;
    }
    // A dense layer's own bias add is absorbed and written back as it was: that alone folds nothing.
    const own = layer.kind === "dense" && absorbed > 0 && graph.nodes[consumers.get(id)![0]!]!.op === "add" ? 1 : 0;
    if (absorbed === own) continue;
    writeLinear(graph, at, layer);
    folded += absorbed - own;
  }
  return folded;
}
