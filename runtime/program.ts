// The contract between the compiler and the runtime: a training program as plain data (JSON-serializable).
// The compiler writes it; the CPU reference backend interprets it; the WebGPU backend runs its kernels.
import type { OptimizerSpec } from "./cpu/optimizers.js";
import type { ScheduleSpec } from "./schedules.js";
import type { Attrs } from "./cpu/kernels.js";

export interface ProgramNode {
  id: number;
  op: string;
  inputs: number[];
  shape: (number | "N")[];
  attrs: Attrs;
  name?: string;
}

export type InitSpec =
  | { kind: "zeros" | "ones" }
  | { kind: "constant"; value: number }
  | { kind: "normal"; mean: number; std: number }
  | { kind: "uniform"; a: number; b: number }
  | { kind: "xavier_uniform" | "xavier_normal"; gain: number }
  | { kind: "kaiming_uniform" | "kaiming_normal"; gain: number; mode: "fan_in" | "fan_out" }
  /**
   * The L2 norm of each row of parameter `index`'s initial value (weight normalization's g = ‖v‖, as
   * torch.nn.utils.weight_norm computes it from the initial v): that parameter's draw is repeated, which the
   * counter-based RNG makes the same values, so no initializer depends on another's output buffer.
   */
  | { kind: "row_norms"; index: number; rows: number; cols: number; init: InitSpec; fanIn: number; fanOut: number };

export interface ProgramParam {
  node: number;
  name: string;
  shape: number[];
  init: InitSpec;
  /** `weight` parameters are what `l2(weights)` and coupled decay apply to; biases and norm parameters are not. */
  role: "weight" | "bias" | "norm";
  /** fan_in and fan_out as PyTorch computes them (torch.nn.init._calculate_fan_in_and_fan_out). */
  fanIn: number;
  fanOut: number;
}

export type DataSource =
  /** `shape`: each row's features are one example of this shape (row-major, e.g. [C, H, W]). */
  | { kind: "csv"; path: string; label: string; shape?: number[]; /** Multiplies every feature (not the label) as read; 1 when absent. */ scale?: number }
  /** MNIST's IDX files (gzipped or not); pixel values are multiplied by `scale`. */
  | { kind: "idx"; images: string; labels: string; scale: number; test?: { images: string; labels: string } }
  /** NumPy .npy arrays: x's first axis counts examples; x's values are multiplied by `scale`. */
  | { kind: "npy"; x: string; y: string; scale: number; test?: { x: string; y: string } }
  | { kind: "sine"; n: number; from: number; to: number; noise: number }
  | { kind: "xor"; n: number; noise: number }
  | { kind: "spirals"; n: number; classes: number; noise: number }
  | { kind: "blobs"; n: number; classes: number; features: number; std: number };

/** Preprocessing fitted on the training split only and applied to every split, in order. */
export type DataTransform =
  /**
   * (x − mean) / (std + eps) per feature, or per channel of [C, H, W] examples (statistics over N·H·W values);
   * a feature (channel) constant on the training split keeps scale 1 (scikit-learn's rule).
   */
  | { kind: "standardize"; eps: number; per?: "feature" | "channel" }
  /** x − mean per feature, per channel, or the mean image (per pixel: the same arithmetic as per feature). */
  | { kind: "center"; per?: "feature" | "channel" | "image" }
  /**
   * Centers with the training mean and projects onto the top `components` eigenvectors of the training
   * covariance (divisor N); with `whiten`, each component is divided by √(eigenvalue + eps).
   */
  | { kind: "pca"; components: number; whiten: boolean; eps: number }
  /** ZCA: centers, then multiplies by U·diag(1/√(λ + eps))·Uᵀ of the training covariance (divisor N). */
  | { kind: "whiten"; eps: number }
  /** Only the first n examples of the training split. */
  | { kind: "subset"; n: number }
  /** Random augmentations of training batches (never of validation or test), in order. */
  | { kind: "augment"; with: Augmentation[] };

/** One image augmentation; examples are [C, H, W]. Exact rules in runtime/data/augment.ts. */
export type Augmentation =
  | { kind: "hflip"; p: number }
  | { kind: "random_crop"; padding: number }
  | { kind: "random_scale"; min: number; max: number }
  | { kind: "brightness"; amount: number }
  | { kind: "contrast"; amount: number }
  | { kind: "gaussian_noise"; std: number }
  | { kind: "cutout"; size: number; count: number };

export interface DataSpec {
  source: DataSource;
  val: number;
  test: number;
  transforms: DataTransform[];
}

/** What can be monitored: printed each epoch, in `--json`, and at `log_every` for the per-step ones. */
export type Metric = "train_loss" | "val_loss" | "train_accuracy" | "val_accuracy" | "train_top5" | "val_top5" | "lr" | "update_ratio" | "grad_norm";

/** Stop when `monitor` has not improved by more than `minDelta` for `patience` epochs (Keras' EarlyStopping). */
export interface EarlyStopping {
  /** An evaluation metric: a loss, an accuracy or a top-5 accuracy, of the training or validation split. */
  monitor: Metric;
  mode: "min" | "max";
  patience: number;
  minDelta: number;
  restoreBest: boolean;
}

/**
 * Reduce-on-plateau (PyTorch's ReduceLROnPlateau, threshold mode 'rel'): the learning rate is multiplied by
 * `factor` (not below `minLr`) after more than `patience` measurements of `monitor` without improvement,
 * then `cooldown` measurements pass before counting again. One measurement per evaluation of the metric:
 * each epoch for training metrics, each validation pass for validation metrics.
 */
export interface PlateauSpec {
  monitor: Metric;
  mode: "min" | "max";
  factor: number;
  patience: number;
  threshold: number;
  cooldown: number;
  minLr: number;
}

/**
 * The loss a classifier should start near with small random weights (all classes equally likely): ln C for
 * cross-entropy and nll, ln 2 for binary cross-entropy, (C − 1)·margin for the multiclass hinge. The loop
 * compares the first step's loss with it (the notes' first babysitting check).
 */
export interface InitialLossExpectation {
  value: number;
  /** How the value comes about, e.g. "ln 10 for 10 equally likely classes". */
  reason: string;
  /**
   * Penalty terms of the loss, to add at their initial value: weight·(abs·Σ|p| + squares·Σp²) over the
   * parameter nodes `params`.
   */
  penalties?: { weight: number; abs: number; squares: number; params: number[] }[];
}

/**
 * Gradient clipping, as PyTorch 1.13's torch.nn.utils: `norm` scales every gradient by
 * min(1, max / (‖g‖ + 1e-6)) with ‖g‖ the L2 norm over all parameters' gradients together
 * (clip_grad_norm_); `value` clamps each entry to [−max, max] (clip_grad_value_). Applied to the gradients
 * only, before the optimizer adds weight decay. The probe's gradient norm stays the unclipped one, the
 * number clip_grad_norm_ returns.
 */
export interface ClipSpec {
  kind: "norm" | "value";
  max: number;
}

/**
 * The max-norm constraint: after each optimizer step every slice along axis 0 of each listed parameter (a
 * unit's incoming weights: a row of a dense [units, inputs] weight, an output channel of a conv weight) is
 * rescaled to L2 norm ≤ value, as torch.renorm(w, p=2, dim=0, maxnorm=value) does: by value / (norm + 1e-7)
 * where norm > value. A 1-D parameter (a bias) has one number per unit: each is renormed as a [units, 1]
 * tensor would be (torch.renorm itself wants 2 dimensions), i.e. clamped to |b| ≤ value.
 */
export interface MaxNormSpec {
  value: number;
  /** Parameter nodes it applies to. */
  params: number[];
}

/** The notes' sanity mode: a few training examples, regularization off, expect ~100% training accuracy. */
export interface OverfitSpec {
  examples: number;
  /** What the mode turned off, in words, for the note printed before training (e.g. "dropout"). */
  turnedOff: string[];
}

export interface Program {
  model: string;
  nodes: ProgramNode[];
  input: number;
  labels: number;
  output: number;
  loss: number;
  paramGrads: number[];
  sideEffects: number[];
  params: ProgramParam[];
  state: { node: number; name: string; shape: number[]; fill: number }[];
  task: "classification" | "regression";
  /** Only when the loss is a single classification term of weight 1, with or without penalties. */
  initialLoss?: InitialLossExpectation;
  optimizer: OptimizerSpec;
  /** Gradient clipping between backward and the optimizer step (the `clip` setting); none when absent. */
  clip?: ClipSpec;
  /** The max-norm constraint applied after every optimizer step (the `max_norm` directive); none when absent. */
  maxNorm?: MaxNormSpec;
  /** With `plateau` the learning rate follows the monitored metric instead of `spec` (which is then constant). */
  schedule: { spec: ScheduleSpec; per: "step" | "epoch"; plateau?: PlateauSpec };
  data: DataSpec;
  loop: LoopSpec;
  overfit?: OverfitSpec;
  /** The `ensemble` setting (runtime/ensemble/); a single model when absent. */
  ensemble?: EnsembleSpec;
}

/**
 * An ensemble: `independent` trains `members` models with seeds seed, seed + 1, … (on the base seed's data
 * split); `snapshot` keeps the weights after each of `cycleEnds` (optimizer steps taken when an SGDR or cyclic
 * cycle ends, worked out at compile time from the schedule and the run's length) and averages the last
 * `last` of them (all when absent).
 */
export type EnsembleSpec = { kind: "independent"; members: number } | { kind: "snapshot"; last?: number; cycleEnds: number[] };

export interface LoopSpec {
  epochs: number;
  /** Optimizer steps in the whole run: epochs × steps per epoch, or the `steps` setting, which may end mid-epoch. */
  steps: number;
  batch: number | "full";
  seed: number;
  /** The seed of the data (generation and split) when it is not `seed`: an independent ensemble's members share one split. */
  dataSeed?: number;
  shuffle: boolean;
  dropLast: boolean;
  earlyStopping?: EarlyStopping;
  /** The training loss is read back every this many steps (asynchronously on WebGPU). */
  logEvery: number;
  /** How often the validation split is evaluated. */
  evalEvery: { unit: "steps" | "epochs"; count: number };
  monitor: Metric[];
  /** The `report` directive: an HTML report written after training (runtime/report/), path resolved against the .dl file's folder. */
  report?: { path: string };
  /** The `checkpoint` directive (runtime/checkpoint/): path resolved against the .dl file's folder. */
  checkpoint?: { every: { unit: "steps" | "epochs"; count: number }; path: string; keep: number };
}
