// Losses (compare the model's output with the labels) and regularizers (penalties on parameters).
import type { BuiltinSpec, ParamSpec } from "./types.js";

const reduction: ParamSpec = { name: "reduction", type: { t: "enum", values: ["mean", "sum"] }, default: "mean", doc: "Average or sum over the batch." };

/** How a loss relates the model output to the labels; the checker uses it to match shapes. */
export type LossTarget = "classes" | "same_shape" | "binary" | "distribution";

export const LOSS_TARGETS: Record<string, LossTarget> = {
  mse: "same_shape",
  mae: "same_shape",
  huber: "same_shape",
  smooth_l1: "same_shape",
  bce: "binary",
  bce_with_logits: "binary",
  cross_entropy: "classes",
  nll: "classes",
  hinge: "classes",
  kl_div: "distribution",
};

export const LOSSES: BuiltinSpec[] = [
  { name: "mse", category: "loss", doc: "Mean squared error (y − ŷ)².", params: [reduction] },
  { name: "mae", category: "loss", aliases: ["l1_loss"], doc: "Mean absolute error |y − ŷ| (PyTorch's L1Loss; `l1` is the regularizer).", params: [reduction] },
  {
    name: "huber",
    category: "loss",
    doc: "Huber loss: ½d² for |d| < δ, else δ(|d| − ½δ) (PyTorch's HuberLoss).",
    params: [{ name: "delta", type: { t: "number", min: 0, minExclusive: true }, default: 1, doc: "Threshold δ." }, reduction],
  },
  {
    name: "smooth_l1",
    category: "loss",
    doc: "Smooth L1: ½d²/β for |d| < β, else |d| − ½β (PyTorch's SmoothL1Loss; equals huber/β).",
    params: [{ name: "beta", type: { t: "number", min: 0, minExclusive: true }, default: 1, doc: "Threshold β." }, reduction],
  },
  { name: "bce", category: "loss", doc: "Binary cross-entropy on probabilities (put `sigmoid` last).", params: [reduction] },
  { name: "bce_with_logits", category: "loss", doc: "Binary cross-entropy on logits, with the sigmoid folded in for stability.", params: [reduction] },
  {
    name: "cross_entropy",
    category: "loss",
    doc: "Softmax cross-entropy on logits [N, C] against class indices. Label smoothing follows PyTorch: target = (1−ε)·onehot + ε/C.",
    params: [{ name: "label_smoothing", type: { t: "number", min: 0, max: 1 }, default: 0, doc: "ε." }, reduction],
  },
  { name: "nll", category: "loss", doc: "Negative log-likelihood on log-probabilities (pair with `log_softmax`).", params: [reduction] },
  { name: "kl_div", category: "loss", doc: "KL divergence between target probabilities and the model's log-probabilities (PyTorch's KLDivLoss, batchmean).", params: [reduction] },
  {
    name: "hinge",
    category: "loss",
    aliases: ["svm"],
    doc: "Multiclass hinge (SVM) loss Σ_{j≠y} max(0, s_j − s_y + margin) per example (the notes' SVM loss: PyTorch's MultiMarginLoss with p = 1, times the number of classes).",
    params: [{ name: "margin", type: { t: "number", min: 0 }, default: 1, doc: "Δ." }, reduction],
  },
];

const selector: ParamSpec = { name: "on", type: { t: "selector" }, default: "weights", doc: "Which parameters: weights (default; not biases or norm parameters), biases, norms, all, or a named layer." };

export const REGULARIZERS: BuiltinSpec[] = [
  {
    name: "l2",
    category: "regularizer",
    doc: "L2 penalty Σ‖W‖² (no ½ unless `half: true`); multiply by λ in the loss: `1e-4 * l2(weights)`.",
    params: [selector, { name: "half", type: { t: "bool" }, default: false, doc: "Use ½Σ‖W‖², the lecture notes' convention." }],
  },
  { name: "l1", category: "regularizer", doc: "L1 penalty Σ|W|.", params: [selector] },
  {
    name: "elastic_net",
    category: "regularizer",
    doc: "Elastic net: ratio·Σ|W| + (1 − ratio)·Σ‖W‖².",
    params: [selector, { name: "ratio", type: { t: "number", min: 0, max: 1 }, default: 0.5, doc: "Share of the L1 term." }],
  },
];
