// What `dslc check` accepts but the training backends cannot run yet. Lowering refuses each entry with
// E0601 (an argument only when it is given a value other than its default); docs/language.md marks each
// one, and tests/compiler/registry-coverage.test.ts proves this table and the lowering agree. Keys are a
// builtin's name, or `builtin.argument`; values say what is missing, in the user's words.
export const NOT_YET: Record<string, string> = {
  // Image layers and the other ops of convolutional networks.
  conv2d: "convolutions are not implemented in the backends yet",
  maxpool: "pooling is not implemented in the backends yet",
  avgpool: "pooling is not implemented in the backends yet",
  layernorm: "layer normalization is not implemented in the backends yet",
  groupnorm: "group normalization is not implemented in the backends yet",
  instancenorm: "instance normalization is not implemented in the backends yet",
  repvgg: "RepVGG blocks are not implemented in the backends yet",
  elu: "this activation is not implemented in the backends yet",
  gelu: "this activation is not implemented in the backends yet",
  silu: "this activation is not implemented in the backends yet",
  log_softmax: "log_softmax is not implemented in the backends yet",
  maxout: "maxout is not implemented in the backends yet",
  "dense.weight_norm": "weight normalization is not implemented in the backends yet",
  "dense.dropconnect": "DropConnect is not implemented in the backends yet",
  concat: "concat is not implemented in the backends yet",
  sum: "reductions over an axis are not implemented in the backends yet",
  mean: "reductions over an axis are not implemented in the backends yet",
  orthogonal: "orthogonal initialization is not implemented in the backends yet",
  // Losses and regularizers beyond cross-entropy, MSE and L2.
  mae: "this loss is not implemented in the backends yet",
  huber: "this loss is not implemented in the backends yet",
  smooth_l1: "this loss is not implemented in the backends yet",
  bce: "this loss is not implemented in the backends yet",
  bce_with_logits: "this loss is not implemented in the backends yet",
  nll: "this loss is not implemented in the backends yet",
  kl_div: "this loss is not implemented in the backends yet",
  hinge: "this loss is not implemented in the backends yet",
  l1: "this regularizer is not implemented in the backends yet",
  elastic_net: "this regularizer is not implemented in the backends yet",
  // Optimization.
  lbfgs: "L-BFGS is not implemented in the backends yet",
  group: "parameter groups are not implemented in the backends yet",
  plateau: "reduce-on-plateau is not wired into the training loop yet",
  grad_norm: "gradient clipping is not implemented in the backends yet",
  grad_value: "gradient clipping is not implemented in the backends yet",
  // Data.
  npy: "NPY files cannot be read by the trainer yet",
  "csv.shape": "examples shaped as images are not implemented in the backends yet",
  idx: "IDX files cannot be read by the trainer yet",
  "standardize.per": "per-channel standardization of images is not implemented yet",
  "center.per": "centering per channel or by the mean image is not implemented yet",
  pca: "PCA is not implemented in the data pipeline yet",
  whiten: "whitening is not implemented in the data pipeline yet",
  augment: "augmentation is not implemented in the data pipeline yet",
  // Training loop.
  checkpoint: "checkpoints are not implemented yet",
  report: "HTML reports are not implemented yet",
  overfit: "the overfit sanity mode is not implemented yet",
  max_norm: "max-norm constraints are not implemented yet",
  independent: "ensembles are not implemented yet",
  snapshot: "snapshot ensembles are not implemented yet",
};

/** Settings of `train` the backends cannot run yet, with the values that are refused. */
export const SETTINGS_NOT_YET: Record<string, { refused: (value: unknown) => boolean; reason: string }> = {
  clip: { refused: (value) => value !== undefined, reason: "gradient clipping is not implemented in the backends yet" },
  ensemble: { refused: (value) => value !== undefined, reason: "ensembles are not implemented yet" },
  compat: { refused: (value) => value !== "pytorch", reason: "the Caffe and Keras convention presets are not implemented yet" },
  precision: { refused: (value) => value !== "f32", reason: "mixed precision is not implemented yet" },
};
