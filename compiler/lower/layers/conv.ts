// Lowering of `conv2d`: torch.nn.Conv2d (cross-correlation) on [N, C, H, W], weight [channels, C, kh, kw]
// and a bias per output channel, PyTorch's initialization on fan_in = C·kh·kw (see compiler/lower/init.ts).
import type { ArgValue } from "../../builtins/types.js";
import { initSpec } from "../init.js";
import type { LayerLowering } from "../layer-scope.js";

/** A number or an [h, w] list, as the registry's `pair` reads it. */
function pair(value: ArgValue): [number, number] {
  return Array.isArray(value) ? [value[0] as number, value[1] as number] : [value as number, value as number];
}

export const CONV_LAYERS: Record<string, LayerLowering> = {
  conv2d: (scope, layer, a) => {
    const channels = a.num("channels");
    const [kh, kw] = pair(a.value("kernel"));
    const attrs = { stride: pair(a.value("stride")), padding: pair(a.value("padding")), dilation: pair(a.value("dilation")) };
    const useBias = a.bool("bias");
    const weightInit = a.resolved("init");
    const biasInit = a.resolved("bias_init");
    let weights: { w: number; bias?: number } | undefined;
    return (x) => {
      const cin = scope.graph.shape(x)[1] as number;
      const fanIn = cin * kh * kw;
      if (!weights) {
        const wInit = initSpec(weightInit, fanIn, scope.diagnostics);
        const bInit = useBias ? initSpec(biasInit, fanIn, scope.diagnostics) : undefined;
        if (!wInit || (useBias && !bInit)) return undefined;
        weights = {
          w: scope.param(`${layer.name}.weight`, [channels, cin, kh, kw], wInit, "weight"),
          bias: bInit && scope.param(`${layer.name}.bias`, [channels], bInit, "bias", fanIn),
        };
      }
      return scope.b.add("conv2d", weights.bias === undefined ? [x, weights.w] : [x, weights.w, weights.bias], undefined, attrs);
    };
  },
};
