// Graph ops of the norm family: shape and gradient rules (see compiler/graph/ops.ts for the contract).
// BatchNorm over channels, LayerNorm, GroupNorm and InstanceNorm are one pair of ops on different views of x
// (runtime/cpu/kernels/norm.ts `normView`): `norm_stats` (one reduction: mean and variance per group) and
// `norm_apply` (normalize, then the per-channel affine). Backward is the same shape: `norm_grad_sums` (one
// reduction) and `norm_grad_x` (elementwise), plus `norm_row` to split the channel sums into dγ and dβ.
import type { Attrs, Shape } from "../ir.js";
import type { OpDef } from "../ops.js";
import { channelsAreGroups, channelView, normView } from "../../../runtime/cpu/kernels/norm.js";

/** The attributes every op of the family reads to find its view, statistics and channels. */
function viewAttrs(attrs: Attrs): Attrs {
  const picked: Attrs = { mode: attrs["mode"]!, channelAxis: attrs["channelAxis"]!, eps: attrs["eps"]! };
  if (attrs["groups"] !== undefined) picked["groups"] = attrs["groups"];
  return picked;
}

const same = (inputs: Shape[]) => inputs[0]!;

export const NORM_OPS: Record<string, OpDef> = {
  // Statistics carry no gradient of their own: `norm_apply`'s rule differentiates through them (the
  // classic closed form), which is exact as long as they are the statistics of the x it normalizes.
  norm_stats: { shape: ([x], attrs) => [2, ...normView(x!, attrs).groups] as Shape },
  norm_apply: {
    shape: same,
    grad: (g, { inputs, attrs }, dy) => {
      if (attrs["running"]) throw new Error("internal: normalization with running estimates is evaluation only");
      const [x, stats, gamma] = inputs as [number, number, number | undefined];
      const shape = g.shape(x);
      const affine = Boolean(attrs["affine"]);
      const base = viewAttrs(attrs);
      const perChannel = channelsAreGroups(shape, attrs);
      // Σ dy·x̂ and Σ dy per channel: γ's and β's gradients, and (BatchNorm) the group sums dx needs too.
      const channelSums = affine || perChannel ? g.add("norm_grad_sums", [dy, x, stats], undefined, { ...base, reduce: "channels" }) : undefined;
      const sums = perChannel ? channelSums! : g.add("norm_grad_sums", affine ? [dy, x, stats, gamma!] : [dy, x, stats], undefined, { ...base, reduce: "groups" });
      const dx = g.add("norm_grad_x", affine ? [dy, x, stats, sums, gamma!] : [dy, x, stats, sums], shape, { ...base, sumsPerChannel: perChannel && affine });
      if (!affine) return [dx, undefined];
      return [dx, undefined, g.add("norm_row", [channelSums!], undefined, { row: 0 }), g.add("norm_row", [channelSums!], undefined, { row: 1 })];
    },
  },
  norm_grad_sums: {
    shape: ([, x], attrs) => [2, ...(attrs["reduce"] === "channels" ? channelView(x!, attrs) : normView(x!, attrs)).groups] as Shape,
  },
  norm_grad_x: { shape: ([, x]) => x! },
  norm_row: { shape: ([t]) => t!.slice(1) },
  // Running estimates for evaluation: a side effect of the training step, outside the gradient path.
  norm_running_update: { shape: () => [] },
};
