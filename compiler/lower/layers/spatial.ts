// Lowering of the layers that rearrange or pool positions (see compiler/lower/layer-scope.ts for the contract).
import type { ArgValue } from "../../builtins/types.js";
import type { Attrs } from "../../graph/ir.js";
import type { LayerLowering } from "../layer-scope.js";
import { refuse } from "../reader.js";

/** A kernel or stride written as one number (square) or as [h, w]. */
function pair(value: ArgValue): [number, number] | undefined {
  if (typeof value === "number") return [value, value];
  if (Array.isArray(value) && value.length === 2 && value.every((v) => typeof v === "number")) return value as [number, number];
  return undefined;
}

/** nn.MaxPool2d / nn.AvgPool2d (ceil_mode off, count_include_pad on): the window as graph attributes. */
function pool(op: "maxpool2d" | "avgpool2d"): LayerLowering {
  return (scope, _layer, a) => {
    const kernel = pair(a.value("kernel"));
    const stride = pair(a.value("stride"));
    const padding = a.num("padding");
    if (!kernel || !stride) return refuse(scope.diagnostics, a.call.span, `\`${a.call.builtin}\` with a kernel or stride that is not a number or [h, w]`, "write `kernel: 2` or `kernel: [2, 3]`");
    const attrs: Attrs = { kh: kernel[0], kw: kernel[1], sh: stride[0], sw: stride[1], ph: padding, pw: padding };
    return (x) => scope.b.unary(op, x, attrs);
  };
}

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
  maxpool: pool("maxpool2d"),
  avgpool: pool("avgpool2d"),
  maxout: (scope, _layer, a) => {
    const k = a.num("k");
    return (x) => scope.b.unary("maxout", x, { k });
  },
};
