// The training loop's vocabulary (features.md §4, §9, §10): settings of a `train` block, directives such as
// early stopping and checkpoints, gradient clipping, ensembles, and the distributions of a `search` block.
import type { ArgType, BuiltinSpec, DefaultValue } from "./types.js";

const count: ArgType = { t: "number", min: 1, integer: true };
const nonNegative: ArgType = { t: "number", min: 0 };
const positive: ArgType = { t: "number", min: 0, minExclusive: true };

export const METRICS = [
  "train_loss",
  "val_loss",
  "train_accuracy",
  "val_accuracy",
  "val_top5",
  "train_top5",
  "lr",
  "update_ratio",
  "grad_norm",
];

export const DIRECTIVES: BuiltinSpec[] = [
  {
    name: "early_stopping",
    category: "directive",
    doc: "Stops when the monitored metric has not improved by min_delta for `patience` evaluations.",
    params: [
      { name: "monitor", type: { t: "metric" }, default: "val_loss", doc: "Metric to watch." },
      { name: "patience", type: { t: "number", min: 0, integer: true }, default: 10, doc: "Evaluations without improvement." },
      { name: "min_delta", type: nonNegative, default: 0, doc: "Smallest change that counts as improvement." },
      { name: "mode", type: { t: "enum", values: ["min", "max"] }, default: "min", doc: "Whether lower or higher is better." },
      { name: "restore_best", type: { t: "bool" }, default: true, doc: "Restore the best weights at the end." },
    ],
  },
  {
    name: "checkpoint",
    category: "directive",
    doc: "Saves parameters, optimizer state, schedule position, RNG state and BN statistics, atomically.",
    params: [
      { name: "every", type: { t: "duration", defaultUnit: "epochs" }, default: { unit: "epochs", count: 1 }, doc: "How often." },
      { name: "path", type: { t: "string" }, default: "checkpoints", doc: "Directory, relative to the .dl file." },
      { name: "keep", type: count, default: 3, doc: "How many recent checkpoints to keep." },
    ],
  },
  {
    name: "report",
    category: "directive",
    doc: "Writes an HTML/SVG report at the end: loss curves, accuracy gap, learning rate, update/weight ratios, first-layer weights.",
    params: [{ name: "path", type: { t: "string" }, default: "report.html", doc: "Output file." }],
  },
  {
    name: "overfit",
    category: "directive",
    doc: "Sanity mode from the notes: train on a tiny subset without regularization and expect ~100% training accuracy.",
    params: [{ name: "examples", type: count, default: 100, doc: "Subset size." }],
  },
  {
    name: "max_norm",
    category: "directive",
    doc: "Max-norm constraint: after each step, rescale each unit's incoming weight vector to norm ≤ value.",
    params: [{ name: "value", type: positive, required: true, doc: "Largest allowed norm." }, { name: "on", type: { t: "selector" }, default: "weights", doc: "Which parameters." }],
  },
  {
    name: "stage",
    category: "directive",
    doc: "A coarse-to-fine search stage: `trials` runs of `epochs` epochs; later stages narrow the ranges around the best trials.",
    params: [
      { name: "trials", type: count, required: true, doc: "Runs in this stage." },
      { name: "epochs", type: count, required: true, doc: "Epochs per run." },
      { name: "narrow", type: { t: "number", min: 0, max: 1, minExclusive: true }, default: 1, doc: "Fraction of each (log-)range kept around the best trial." },
    ],
  },
];

export const CLIPPING: BuiltinSpec[] = [
  { name: "grad_norm", category: "clip", doc: "Clips the gradient by its global L2 norm (torch.nn.utils.clip_grad_norm_).", params: [{ name: "max", type: positive, required: true, doc: "Largest norm." }] },
  { name: "grad_value", category: "clip", doc: "Clips each gradient entry to [−max, max].", params: [{ name: "max", type: positive, required: true, doc: "Largest magnitude." }] },
];

export const ENSEMBLES: BuiltinSpec[] = [
  {
    name: "independent",
    category: "ensemble",
    doc: "Trains `members` models from different seeds and averages their predicted probabilities.",
    params: [{ name: "members", type: { t: "number", min: 2, integer: true }, required: true, doc: "Number of models." }],
  },
  {
    name: "snapshot",
    category: "ensemble",
    doc: "Snapshot ensemble: keeps the weights at the end of each SGDR/cyclic cycle and averages their predictions.",
    params: [{ name: "last", type: count, doc: "Use only the last k snapshots." }],
  },
];

export const DISTRIBUTIONS: BuiltinSpec[] = [
  { name: "loguniform", category: "distribution", doc: "exp(U(ln lo, ln hi)): the right prior for learning rates and decay.", params: [{ name: "lo", type: positive, required: true, doc: "Lower end." }, { name: "hi", type: positive, required: true, doc: "Upper end." }] },
  { name: "uniform", category: "distribution", doc: "U(lo, hi).", params: [{ name: "lo", type: { t: "number" }, required: true, doc: "Lower end." }, { name: "hi", type: { t: "number" }, required: true, doc: "Upper end." }] },
  { name: "int_uniform", category: "distribution", doc: "A uniform integer in [lo, hi].", params: [{ name: "lo", type: { t: "number", integer: true }, required: true, doc: "Lower end." }, { name: "hi", type: { t: "number", integer: true }, required: true, doc: "Upper end." }] },
  { name: "choice", category: "distribution", doc: "One of the listed values, uniformly.", params: [{ name: "values", type: { t: "list", of: { t: "either", options: [{ t: "number" }, { t: "string" }] } }, required: true, doc: "Candidates." }] },
];

export interface SettingSpec {
  name: string;
  type: ArgType | "data" | "loss" | "optimizer" | "schedule";
  doc: string;
  default?: DefaultValue;
}

export const TRAIN_SETTINGS: SettingSpec[] = [
  { name: "data", type: "data", doc: "A data source piped through transforms: `csv(…) |> split(val: 0.2) |> standardize`." },
  { name: "loss", type: "loss", doc: "A loss, plus weighted regularizers: `cross_entropy() + 1e-4 * l2(weights)`." },
  { name: "optimizer", type: "optimizer", doc: "An optimizer, optionally piped through `group(...)`." },
  { name: "schedule", type: "schedule", doc: "A learning-rate schedule; `a then b` composes.", default: "constant" },
  { name: "epochs", type: count, doc: "Passes over the training split." },
  { name: "steps", type: count, doc: "Total optimizer steps (instead of epochs)." },
  { name: "batch", type: { t: "either", options: [count, { t: "enum", values: ["full"] }] }, doc: "Examples per step, or `full` for full-batch training.", default: 32 },
  { name: "seed", type: { t: "number", min: 0, integer: true }, doc: "Fixes initialization, shuffling and dropout masks.", default: 0 },
  { name: "eval_every", type: { t: "duration", defaultUnit: "epochs" }, doc: "How often to evaluate on the validation split.", default: { unit: "epochs", count: 1 } },
  { name: "log_every", type: { t: "duration", defaultUnit: "steps" }, doc: "How often the loss is read back from the device.", default: { unit: "steps", count: 50 } },
  { name: "shuffle", type: { t: "bool" }, doc: "Reshuffle the training split every epoch (sampling without replacement).", default: true },
  { name: "drop_last", type: { t: "bool" }, doc: "Drop the last partial batch of an epoch.", default: false },
  { name: "clip", type: { t: "ref", category: "clip" }, doc: "Gradient clipping: `grad_norm(1.0)` or `grad_value(0.5)`." },
  { name: "ensemble", type: { t: "ref", category: "ensemble" }, doc: "Train an ensemble: `independent(members: 5)` or `snapshot()`." },
  { name: "monitor", type: { t: "list", of: { t: "metric" } }, doc: "Metrics printed and plotted each epoch.", default: ["train_loss", "val_loss", "val_accuracy"] },
  { name: "compat", type: { t: "enum", values: ["pytorch", "caffe", "keras"] }, doc: "Convention preset for momentum, Adam's ε, BatchNorm momentum and Xavier fans (features.md §13).", default: "pytorch" },
  { name: "precision", type: { t: "enum", values: ["f32", "mixed"] }, doc: "`mixed` uses f16 where the adapter has shader-f16, with loss scaling.", default: "f32" },
];

export const SEARCH_SETTINGS: SettingSpec[] = [
  { name: "trials", type: count, doc: "Number of random trials (when no `stage` is given)." },
  { name: "epochs", type: count, doc: "Epochs per trial (when no `stage` is given)." },
  { name: "metric", type: { t: "metric" }, doc: "What ranks the trials.", default: "val_accuracy" },
  { name: "mode", type: { t: "enum", values: ["min", "max"] }, doc: "Whether lower or higher is better.", default: "max" },
  { name: "seed", type: { t: "number", min: 0, integer: true }, doc: "Seed of the sampler.", default: 0 },
];

