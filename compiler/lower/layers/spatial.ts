// Lowering of the layers that rearrange or pool positions (see compiler/lower/layer-scope.ts for the contract).
import type { LayerLowering } from "../layer-scope.js";

export const SPATIAL_LAYERS: Record<string, LayerLowering> = {
  // Views of the same elements in row-major order, as torch.flatten(x, 1) and x.reshape(N, …).
  flatten: (scope) => (x) => {
    const shape = scope.graph.shape(x);
    return scope.b.reshape(x, [shape[0]!, shape.slice(1).reduce<number>((p, d) => p * (d as number), 1)]);
  },
  reshape: (scope, _layer, a) => {
    const target = a.value("shape") as number[];
    return (x) => {
      const shape = scope.graph.shape(x);
      const size = shape.slice(1).reduce<number>((p, d) => p * (d as number), 1);
      const known = target.filter((d) => d !== -1).reduce((p, d) => p * d, 1);
      return scope.b.reshape(x, [shape[0]!, ...target.map((d) => (d === -1 ? size / known : d))]);
    };
  },
};
