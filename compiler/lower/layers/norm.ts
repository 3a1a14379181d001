// Lowering of the normalization layers (see compiler/lower/layer-scope.ts for the contract).
import type { LayerLowering } from "../layer-scope.js";
import { refuse } from "../reader.js";

export const NORM_LAYERS: Record<string, LayerLowering> = {
  /**
   * BatchNorm over features, as torch.nn.BatchNorm1d: training normalizes with the batch mean and biased
   * variance; with `track_running_stats` the running estimates (unbiased variance, weight `momentum` for the
   * new batch) are what evaluation uses, without them evaluation uses the batch statistics too.
   */
  batchnorm: (scope, layer, a) => {
    const { b } = scope;
    const eps = a.num("eps");
    const momentum = a.num("momentum");
    const affine = a.bool("affine");
    const track = a.bool("track_running_stats");
    let owned: { gamma?: number; beta?: number; runningMean?: number; runningVar?: number } | undefined;
    return (x) => {
      const shape = scope.graph.shape(x);
      if (shape.length !== 2) return refuse(scope.diagnostics, a.call.span, "`batchnorm` over channels ([N, C, H, W])", "BatchNorm over images is not implemented in the backends yet");
      const f = shape[1] as number;
      owned ??= {
        gamma: affine ? scope.param(`${layer.name}.gamma`, [f], { kind: "ones" }, "norm") : undefined,
        beta: affine ? scope.param(`${layer.name}.beta`, [f], { kind: "zeros" }, "norm") : undefined,
        runningMean: track ? scope.state(`${layer.name}.running_mean`, [f], 0) : undefined,
        runningVar: track ? scope.state(`${layer.name}.running_var`, [f], 1) : undefined,
      };
      const mean = b.unary("mean_batch", x);
      const centered = b.binary("sub", x, mean);
      const variance = b.unary("mean_batch", b.binary("mul", centered, centered));
      let normalized = b.binary("mul", centered, b.unary("rsqrt", variance, { eps }));
      if (owned.runningMean !== undefined && owned.runningVar !== undefined) {
        scope.sideEffect(b.add("batchnorm_running_update", [mean, variance, owned.runningMean, owned.runningVar], [], { momentum }));
        const evaluation = b.binary("mul", b.binary("sub", x, owned.runningMean), b.unary("rsqrt", owned.runningVar, { eps }));
        normalized = b.add("select_mode", [normalized, evaluation], shape);
      }
      if (owned.gamma === undefined || owned.beta === undefined) return normalized;
      return b.binary("add", b.binary("mul", normalized, owned.gamma), owned.beta);
    };
  },
};
