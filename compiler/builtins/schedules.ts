// Learning-rate schedules (features.md §7). They multiply nothing: each gives the learning rate at a step,
// starting from the optimizer's lr; `a then b` runs a for its duration, then b.
import type { ArgType, BuiltinSpec, ParamSpec } from "./types.js";

const positive: ArgType = { t: "number", min: 0, minExclusive: true };
const nonNegative: ArgType = { t: "number", min: 0 };
const momentum: ArgType = { t: "number", min: 0, max: 1, maxExclusive: true };
const duration = (name: string, doc: string, required = false, unit: "steps" | "epochs" = "epochs"): ParamSpec => ({
  name,
  type: { t: "duration", defaultUnit: unit },
  required,
  doc,
});
const gamma = (value?: number): ParamSpec => ({ name: "gamma", type: positive, default: value, required: value === undefined, doc: "Multiplicative factor." });
const per: ParamSpec = { name: "per", type: { t: "enum", values: ["step", "epoch"] }, default: "epoch", doc: "Advance the schedule every step or every epoch (as calling scheduler.step())." };

export const SCHEDULES: BuiltinSpec[] = [
  { name: "constant", category: "schedule", doc: "The optimizer's lr throughout.", params: [] },
  { name: "step", category: "schedule", aliases: ["step_decay"], doc: "lr·γ^⌊t/step_size⌋ (PyTorch's StepLR).", params: [duration("step_size", "Period of the decay.", true), gamma(0.1), per] },
  {
    name: "multistep",
    category: "schedule",
    doc: "lr multiplied by γ at each milestone (PyTorch's MultiStepLR).",
    params: [{ name: "milestones", type: { t: "list", of: { t: "number", min: 0, integer: true } }, required: true, doc: "Increasing step or epoch indices." }, gamma(0.1), per],
  },
  {
    name: "exponential",
    category: "schedule",
    doc: "lr·γ^t (PyTorch's ExponentialLR), or lr·e^(−kt) when `k` is given.",
    params: [{ name: "gamma", type: positive, doc: "Decay per step or epoch." }, { name: "k", type: nonNegative, exclusiveWith: "gamma", doc: "Rate of α₀·e^(−kt)." }, per],
  },
  { name: "inverse_time", category: "schedule", aliases: ["one_over_t"], doc: "1/t decay: lr/(1 + k·t).", params: [{ name: "k", type: nonNegative, required: true, doc: "Decay rate." }, per] },
  {
    name: "inv",
    category: "schedule",
    doc: "Caffe's inv policy: lr·(1 + γt)^(−power).",
    params: [{ name: "gamma", type: nonNegative, required: true, doc: "γ." }, { name: "power", type: nonNegative, required: true, doc: "Exponent." }, per],
  },
  {
    name: "poly",
    category: "schedule",
    doc: "Caffe's poly policy: lr·(1 − t/T)^power; T defaults to the rest of the run.",
    params: [{ name: "power", type: nonNegative, default: 1, doc: "Exponent." }, duration("over", "T."), per],
  },
  {
    name: "linear",
    category: "schedule",
    aliases: ["linear_decay"],
    doc: "Linear decay lr·(1 − t/T) to `to`; T defaults to the rest of the run.",
    params: [{ name: "to", type: nonNegative, default: 0, doc: "Final learning rate." }, duration("over", "T."), per],
  },
  {
    name: "cosine",
    category: "schedule",
    doc: "Cosine annealing from lr to eta_min over T_max (PyTorch's CosineAnnealingLR); T_max defaults to the rest of the run.",
    params: [{ name: "eta_min", type: nonNegative, default: 0, doc: "Final learning rate (also spelled `to`)." }, { name: "to", type: nonNegative, exclusiveWith: "eta_min", doc: "Same as eta_min." }, duration("t_max", "Half period T_max."), per],
  },
  {
    name: "sgdr",
    category: "schedule",
    aliases: ["cosine_restarts"],
    doc: "Cosine annealing with warm restarts (PyTorch's CosineAnnealingWarmRestarts; T_mult defaults to 1 as in PyTorch, Keras uses 2).",
    params: [duration("t0", "Length of the first cycle.", true), { name: "t_mult", type: { t: "number", min: 1, integer: true }, default: 1, doc: "Cycle length multiplier." }, { name: "eta_min", type: nonNegative, default: 0, doc: "Minimum learning rate." }, per],
  },
  {
    name: "cyclic",
    category: "schedule",
    doc: "Cyclical learning rates between base_lr and max_lr (PyTorch's CyclicLR), stepped per batch.",
    params: [
      { name: "base_lr", type: positive, required: true, doc: "Lower bound." },
      { name: "max_lr", type: positive, required: true, doc: "Upper bound." },
      { ...duration("step_size_up", "Half-cycle length (PyTorch's default: 2000 steps).", false, "steps"), default: { unit: "steps", count: 2000 } },
      { name: "mode", type: { t: "enum", values: ["triangular", "triangular2", "exp_range"] }, default: "triangular", doc: "Amplitude policy." },
      { name: "gamma", type: positive, default: 1, doc: "exp_range decay." },
      { name: "cycle_momentum", type: { t: "bool" }, default: true, doc: "Cycle momentum inversely to lr: SGD's and RMSprop's momentum, β₁ for Adam-family optimizers (PyTorch 1.13's CyclicLR cycles momentum only)." },
      { name: "base_momentum", type: momentum, default: 0.8, doc: "Momentum (or β₁) at max_lr." },
      { name: "max_momentum", type: momentum, default: 0.9, doc: "Momentum (or β₁) at base_lr, where each cycle starts." },
    ],
  },
  {
    name: "one_cycle",
    category: "schedule",
    doc: "One-cycle policy (PyTorch's OneCycleLR), stepped per batch over the whole run.",
    params: [
      { name: "max_lr", type: positive, required: true, doc: "Peak learning rate." },
      { name: "pct_start", type: { t: "number", min: 0, max: 1 }, default: 0.3, doc: "Share of the run spent increasing." },
      { name: "div_factor", type: positive, default: 25, doc: "initial_lr = max_lr/div_factor." },
      { name: "final_div_factor", type: positive, default: 1e4, doc: "min_lr = initial_lr/final_div_factor." },
      { name: "anneal", type: { t: "enum", values: ["cos", "linear"] }, default: "cos", doc: "Annealing strategy." },
      { name: "cycle_momentum", type: { t: "bool" }, default: true, doc: "Anneal momentum inversely to lr: SGD's and RMSprop's momentum, β₁ for Adam-family optimizers." },
      { name: "base_momentum", type: momentum, default: 0.85, doc: "Momentum (or β₁) at max_lr." },
      { name: "max_momentum", type: momentum, default: 0.95, doc: "Momentum (or β₁) at the start and the end." },
    ],
  },
  {
    name: "warmup",
    category: "schedule",
    doc: "Linear warmup from `from`·lr to lr over the duration; follow it with `then`.",
    params: [duration("duration", "Warmup length.", true, "steps"), { name: "from", type: { t: "number", min: 0, max: 1 }, default: 0, doc: "Starting fraction of lr." }],
  },
  {
    name: "plateau",
    category: "schedule",
    aliases: ["reduce_on_plateau"],
    doc: "Reduce lr by `factor` when the monitored metric stops improving (PyTorch's ReduceLROnPlateau).",
    params: [
      { name: "monitor", type: { t: "metric" }, default: "val_loss", doc: "Metric to watch." },
      { name: "mode", type: { t: "enum", values: ["min", "max"] }, default: "min", doc: "Whether lower or higher is better." },
      { name: "factor", type: { t: "number", min: 0, max: 1, minExclusive: true, maxExclusive: true }, default: 0.1, doc: "lr multiplier." },
      { name: "patience", type: { t: "number", min: 0, integer: true }, default: 10, doc: "Epochs without improvement before reducing." },
      { name: "threshold", type: nonNegative, default: 1e-4, doc: "Relative improvement that counts." },
      { name: "cooldown", type: { t: "number", min: 0, integer: true }, default: 0, doc: "Epochs to wait after a reduction." },
      { name: "min_lr", type: nonNegative, default: 0, doc: "Lower bound." },
    ],
  },
];
