// Lowering of the activation family of layers to graph nodes (see compiler/lower/layer-scope.ts for the contract).
// relu, tanh, sigmoid, leaky_relu, softmax and dropout are lowered in model.ts itself.
import type { LayerLowering } from "../layer-scope.js";

export const ACTIVATION_LAYERS: Record<string, LayerLowering> = {
  elu: (scope, _layer, a) => {
    const alpha = a.num("alpha");
    return (x) => scope.b.unary("elu", x, { alpha });
  },
  gelu: (scope) => (x) => scope.b.unary("gelu", x),
  silu: (scope) => (x) => scope.b.unary("silu", x),
  log_softmax: (scope, _layer, a) => {
    const axis = a.num("axis");
    return (x) => {
      const rank = scope.graph.shape(x).length;
      return scope.b.unary("log_softmax", x, { axis: axis < 0 ? rank + axis : axis });
    };
  },
};
