// Lowering of `dense`: y = x·Wᵀ + b over the last axis, as torch.nn.Linear.
import { initSpec } from "../init.js";
import type { LayerLowering } from "../layer-scope.js";

export const DENSE_LAYERS: Record<string, LayerLowering> = {
  dense: (scope, layer, a) => {
    const units = a.num("units");
    const useBias = a.bool("bias");
    const weightInit = a.resolved("init");
    const biasInit = a.resolved("bias_init");
    let weights: { w: number; bias?: number } | undefined;
    return (x) => {
      const fanIn = scope.graph.shape(x)[1] as number;
      if (!weights) {
        const wInit = initSpec(weightInit, fanIn, scope.diagnostics);
        const bInit = useBias ? initSpec(biasInit, fanIn, scope.diagnostics) : undefined;
        if (!wInit || (useBias && !bInit)) return undefined;
        weights = { w: scope.param(`${layer.name}.weight`, [units, fanIn], wInit, "weight"), bias: bInit && scope.param(`${layer.name}.bias`, [units], bInit, "bias", fanIn) };
      }
      const y = scope.b.matmul(x, weights.w, false, true);
      return weights.bias === undefined ? y : scope.b.binary("add", y, weights.bias);
    };
  },
};
