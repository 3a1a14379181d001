// Gradient checking: autodiff's gradients against central finite differences, in float64 on the CPU
// reference backend. Used by `dslc gradcheck` and by the tests of every op's gradient rule.
import { execute, type NodeData } from "./interpreter.js";
import type { KernelContext } from "./kernels.js";
import type { Tensor } from "./tensor.js";

export interface GradcheckResult {
  name: string;
  /** max |analytic − numeric| / max(|analytic|, |numeric|, 1e-8) over the entries checked. */
  worstRelativeError: number;
  worstAbsoluteError: number;
  checked: number;
}

/**
 * Checks the gradient nodes `grads[k]` of leaves `params[k]` for the scalar `loss`. `values` holds every
 * leaf (float64). At most `maxEntries` entries per parameter are perturbed, spread evenly.
 */
export function gradcheck(
  nodes: NodeData[],
  leaves: Map<number, Tensor>,
  loss: number,
  params: { node: number; grad: number; name: string }[],
  ctx: KernelContext,
  options: { step?: number; maxEntries?: number } = {},
): GradcheckResult[] {
  const h = options.step ?? 1e-6;
  const lossAt = () => execute(nodes, new Map(leaves), [loss], ctx).get(loss)!.data[0]!;
  const analytic = execute(nodes, new Map(leaves), params.map((p) => p.grad), ctx);
  return params.map((p) => {
    const value = leaves.get(p.node)!;
    const grad = analytic.get(p.grad)!;
    const count = value.data.length;
    const stride = Math.max(1, Math.floor(count / (options.maxEntries ?? 64)));
    let worstRelative = 0;
    let worstAbsolute = 0;
    let checked = 0;
    for (let i = 0; i < count; i += stride) {
      const saved = value.data[i]!;
      value.data[i] = saved + h;
      const plus = lossAt();
      value.data[i] = saved - h;
      const minus = lossAt();
      value.data[i] = saved;
      const numeric = (plus - minus) / (2 * h);
      const a = grad.data[i]!;
      const absolute = Math.abs(a - numeric);
      worstAbsolute = Math.max(worstAbsolute, absolute);
      worstRelative = Math.max(worstRelative, absolute / Math.max(Math.abs(a), Math.abs(numeric), 1e-8));
      checked++;
    }
    return { name: p.name, worstRelativeError: worstRelative, worstAbsoluteError: worstAbsolute, checked };
  });
}
