// Graph ops of the activation family: shape and gradient rules (see compiler/graph/ops.ts for the contract).
// ELU's and log_softmax's gradients read the output (as PyTorch's do), so ELU can still fuse into the matmul
// epilogue during training; GELU's and SiLU's need the pre-activation, which the output does not determine.
import type { Shape } from "../ir.js";
import type { OpDef } from "../ops.js";

const same = (inputs: Shape[]) => inputs[0]!;

export const ACTIVATION_OPS: Record<string, OpDef> = {
  // x if x > 0 else α(eˣ − 1), as torch.nn.ELU. For x ≤ 0, α·eˣ = y + α, and y > 0 exactly when x > 0.
  elu: { shape: same, grad: (g, { id, attrs }, dy) => [g.add("elu_grad", [id, dy], g.shape(id), { alpha: attrs["alpha"] as number })] },
  elu_grad: { shape: same },
  // x·Φ(x) with the exact normal CDF (torch.nn.GELU's default, approximate='none'); dy/dx = Φ(x) + x·φ(x).
  gelu: { shape: same, grad: (g, { inputs: [x] }, dy) => [g.add("gelu_grad", [x!, dy], g.shape(x!))] },
  gelu_grad: { shape: same },
  // x·σ(x) (torch.nn.SiLU); dy/dx = σ(x)·(1 + x·(1 − σ(x))).
  silu: { shape: same, grad: (g, { inputs: [x] }, dy) => [g.add("silu_grad", [x!, dy], g.shape(x!))] },
  silu_grad: { shape: same },
  // x − max − log Σ exp(x − max) over the axis in attrs (non-negative); dx = dy − softmax·Σdy, softmax = eʸ.
  log_softmax: { shape: same, grad: (g, { id, attrs }, dy) => [g.add("log_softmax_grad", [id, dy], g.shape(id), { axis: attrs["axis"] as number })] },
  log_softmax_grad: { shape: same },
  /**
   * Weight normalization's pieces, over the rows of a [rows, cols] matrix with per-row values kept as a
   * column [rows, 1]. They are ops of their own rather than `mul` and `sum_to` because the gradient of a
   * [rows, cols]·[rows, 1] `mul` sums over the last axis (sum_to [rows, 1]), which the WGSL sum_to does not
   * do correctly when rows = cols (it takes such a target for a trailing one).
   *
   * row_norm: ‖v_r‖ (torch.norm_except_dim(v, 2, 0)); d‖v‖/dv = v/‖v‖.
   */
  row_norm: {
    shape: ([v]) => [v![0]!, 1],
    grad: (g, { id, inputs: [v] }, dy) => [g.add("scale_rows", [v!, g.binary("div", dy, id)])],
  },
  /** a_rc·s_r for s of shape [rows, 1]: elementwise with s broadcast along the row. */
  scale_rows: {
    shape: same,
    grad: (g, { inputs: [a, s] }, dy) => [g.add("scale_rows", [dy, s!]), g.add("row_dot", [dy, a!])],
  },
  /** Σ_c a_rc·b_rc per row, as a column [rows, 1]. */
  row_dot: {
    shape: ([a]) => [a![0]!, 1],
    grad: (g, { inputs: [a, b] }, dy) => [g.add("scale_rows", [b!, dy]), g.add("scale_rows", [a!, dy])],
  },
};
