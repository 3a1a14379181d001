// Graph ops of the loss family: the losses whose PyTorch forms are not a short chain of core ops, or whose
// chain would not be numerically sound (bce's clamped logs, bce_with_logits' overflow-free form, hinge's
// subgradient). Each reduces to a scalar and has a gradient op of the input's shape; labels take no gradient.
import type { Shape } from "../ir.js";
import type { OpDef } from "../ops.js";

const scalar = () => [];
const same = (inputs: Shape[]) => inputs[0]!;

export const LOSS_OPS: Record<string, OpDef> = {
  /**
   * An elementwise loss of the input x and a target t of as many elements, reduced: attrs `kind` (mae, huber,
   * smooth_l1, bce, bce_logits, kl_div), `threshold` (huber's δ, smooth_l1's β) and `reduction`: sum, mean (over
   * every element, PyTorch's 'mean') or batchmean (over the rows, PyTorch's kl_div 'batchmean').
   */
  pointwise_loss: {
    shape: scalar,
    grad: (g, { inputs: [x, t], attrs }, dy) => [g.add("pointwise_loss_grad", [x!, t!, dy], g.shape(x!), attrs), undefined],
  },
  pointwise_loss_grad: { shape: same },
  /**
   * A loss of scores x [rows, classes] against class indices [rows]: attrs `kind` (nll: −x[label]; hinge:
   * Σ_{j≠y} max(0, margin − x_y + x_j), the notes' SVM loss as features.md §3 defines it: torch's
   * multi_margin_loss with p = 1 times the classes), `margin`, and
   * `reduction` (mean over the rows, or sum).
   */
  class_loss: {
    shape: scalar,
    grad: (g, { inputs: [x, labels], attrs }, dy) => [g.add("class_loss_grad", [x!, labels!, dy], g.shape(x!), attrs), undefined],
  },
  class_loss_grad: { shape: same },
};
