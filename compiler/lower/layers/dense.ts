// Lowering of `dense`: y = x·Wᵀ + b over the last axis, as torch.nn.Linear; optionally with W weight-normalized
// (torch.nn.utils.weight_norm(Linear, dim=0)) and with DropConnect on W during training.
import type { GraphBuilder } from "../../graph/ops.js";
import { initSpec } from "../init.js";
import type { LayerLowering } from "../layer-scope.js";

/**
 * w = g·v/‖v‖ row by row (torch._weight_norm with dim=0): v [units, F], g [units]. Built from differentiable
 * ops, so autodiff gives PyTorch's gradients for v and g.
 */
function weightNormed(b: GraphBuilder, v: number, g: number): number {
  const units = b.shape(v)[0]!;
  const scale = b.binary("div", b.reshape(g, [units, 1]), b.unary("row_norm", v));
  return b.add("scale_rows", [v, scale]);
}

export const DENSE_LAYERS: Record<string, LayerLowering> = {
  dense: (scope, layer, a) => {
    const units = a.num("units");
    const useBias = a.bool("bias");
    const weightInit = a.resolved("init");
    const biasInit = a.resolved("bias_init");
    const weightNorm = a.bool("weight_norm");
    const rate = a.num("dropconnect");
    const dropconnect = scope.regularization ? rate : 0;
    let weights: { w: number; bias?: number } | undefined;
    return (x) => {
      const fanIn = scope.graph.shape(x)[1] as number;
      if (!weights) {
        const wInit = initSpec(weightInit, fanIn, scope.diagnostics);
        const bInit = useBias ? initSpec(biasInit, fanIn, scope.diagnostics) : undefined;
        if (!wInit || (useBias && !bInit)) return undefined;
        let w: number;
        if (weightNorm) {
          // PyTorch names them weight_v and weight_g; g starts at the row norms of v's initial value.
          const v = scope.param(`${layer.name}.weight_v`, [units, fanIn], wInit, "weight");
          const source = scope.graph.params.find((p) => p.node === v)!;
          const index = scope.graph.params.indexOf(source);
          const g = scope.param(`${layer.name}.weight_g`, [units], { kind: "row_norms", index, rows: units, cols: fanIn, init: wInit, fanIn: source.fanIn, fanOut: source.fanOut }, "norm");
          w = weightNormed(scope.b, v, g);
        } else {
          w = scope.param(`${layer.name}.weight`, [units, fanIn], wInit, "weight");
        }
        weights = { w, bias: bInit && scope.param(`${layer.name}.bias`, [units], bInit, "bias", fanIn) };
      }
      // DropConnect: each weight dropped with probability p, survivors scaled by 1/(1−p), a fresh mask per
      // step; the dropout op on W, so both backends draw it from the same hash. Each application of the
      // layer gets a stream of its own (never one a dropout layer uses), as a module drawing per call would.
      // Evaluation selects W itself, so it runs no copy of the weights.
      const w =
        dropconnect > 0
          ? scope.b.add("select_mode", [scope.b.unary("dropout", weights.w, { p: dropconnect, stream: scope.randomStream() }), weights.w], scope.graph.shape(weights.w))
          : weights.w;
      const y = scope.b.matmul(x, w, false, true);
      return weights.bias === undefined ? y : scope.b.binary("add", y, weights.bias);
    };
  },
};
