// Learning-rate schedules, evaluated on the host (the device only ever sees the resulting numbers).
// Each formula follows PyTorch 1.13's scheduler of the same name (torch/optim/lr_scheduler.py); golden
// values from PyTorch are in tests/golden/schedules.json and tests/golden/cycled_momentum.json. `t` counts
// scheduler steps: optimizer steps for per-step schedules, epochs for per-epoch ones.

/**
 * Momentum cycling of `cyclic` and `one_cycle` (PyTorch's cycle_momentum): the momentum moves inversely to
 * the learning rate between the two bounds. It replaces SGD's and RMSprop's momentum, and β₁ of the Adam
 * family (PyTorch 1.13 cycles β₁ only in OneCycleLR; we do it for CyclicLR too, as PyTorch 2.x does).
 */
interface MomentumCycle {
  cycleMomentum: boolean;
  baseMomentum: number;
  maxMomentum: number;
}

/** A schedule as data: what the compiler emits and the trainer evaluates. */
export type ScheduleSpec =
  | { kind: "constant" }
  | { kind: "step"; stepSize: number; gamma: number }
  | { kind: "multistep"; milestones: number[]; gamma: number }
  | { kind: "exponential"; gamma: number }
  | { kind: "exponential_k"; k: number }
  | { kind: "inverse_time"; k: number }
  | { kind: "inv"; gamma: number; power: number }
  | { kind: "poly"; power: number; total: number }
  | { kind: "linear"; to: number; total: number }
  | { kind: "cosine"; etaMin: number; tMax: number }
  | { kind: "sgdr"; t0: number; tMult: number; etaMin: number }
  | ({ kind: "cyclic"; baseLr: number; maxLr: number; stepSizeUp: number; mode: "triangular" | "triangular2" | "exp_range"; gamma: number } & MomentumCycle)
  | ({ kind: "one_cycle"; maxLr: number; total: number; pctStart: number; divFactor: number; finalDivFactor: number; anneal: "cos" | "linear" } & MomentumCycle)
  | { kind: "warmup"; duration: number; from: number }
  /**
   * `a then b`: each part runs for `length` optimizer steps (the last for the rest), at its own pace: a
   * per-step part counts the steps since it started, a per-epoch part the epochs that began since (its `t`
   * advances at the run's epoch boundaries). The sequence itself is evaluated every step.
   */
  | { kind: "sequence"; parts: { schedule: ScheduleSpec; length: number; per: "step" | "epoch" }[]; stepsPerEpoch: number };

/** What a schedule sets for one step: the learning rate and, while it cycles momentum, the momentum (or β₁). */
export interface StepHyperparameters {
  lr: number;
  momentum?: number;
}

function annealCos(start: number, end: number, fraction: number): number {
  return end + ((start - end) / 2) * (Math.cos(Math.PI * fraction) + 1);
}

function annealLinear(start: number, end: number, fraction: number): number {
  return (end - start) * fraction + start;
}

/**
 * CosineAnnealingWarmRestarts.step() without an epoch: T_cur += 1, and on reaching T_i it restarts and T_i
 * grows T_mult-fold. Replayed in integers: the closed form with a float log misplaces restarts
 * (log(1000)/log(10) < 3 puts step 111 of t0 = 1, T_mult = 10 in the wrong cycle).
 */
function sgdrPosition(t0: number, tMult: number, t: number): { tCur: number; period: number } {
  if (tMult === 1) return { tCur: t % t0, period: t0 };
  let tCur = t;
  let period = t0;
  while (tCur >= period) {
    tCur -= period;
    period *= tMult;
  }
  return { tCur, period };
}

/** CyclicLR.get_lr with step_size_down = step_size_up: one scale moves lr up from base_lr and momentum down from max_momentum. */
function cyclic(spec: Extract<ScheduleSpec, { kind: "cyclic" }>, t: number): StepHyperparameters {
  const total = 2 * spec.stepSizeUp;
  const cycle = Math.floor(1 + t / total);
  const x = 1 + t / total - cycle;
  const scale = x <= 0.5 ? x / 0.5 : (x - 1) / (0.5 - 1);
  // triangular and triangular2 scale per cycle, exp_range per iteration (PyTorch's scale_mode).
  const amplitude = spec.mode === "triangular" ? 1 : spec.mode === "triangular2" ? 1 / 2 ** (cycle - 1) : spec.gamma ** t;
  const lr = spec.baseLr + (spec.maxLr - spec.baseLr) * scale * amplitude;
  if (!spec.cycleMomentum) return { lr };
  return { lr, momentum: spec.maxMomentum - (spec.maxMomentum - spec.baseMomentum) * scale * amplitude };
}

/** OneCycleLR.get_lr (two phases): lr anneals up then down while momentum anneals down then up. */
function oneCycle(spec: Extract<ScheduleSpec, { kind: "one_cycle" }>, t: number): StepHyperparameters {
  const initial = spec.maxLr / spec.divFactor;
  const minimum = initial / spec.finalDivFactor;
  const anneal = spec.anneal === "cos" ? annealCos : annealLinear;
  const warmEnd = spec.pctStart * spec.total - 1;
  const end = spec.total - 1;
  const warming = t <= warmEnd;
  // PyTorch raises past total_steps; we hold the final values instead.
  const fraction = warming ? t / warmEnd : Math.min(1, (t - warmEnd) / (end - warmEnd));
  const lr = warming ? anneal(initial, spec.maxLr, fraction) : anneal(spec.maxLr, minimum, fraction);
  if (!spec.cycleMomentum) return { lr };
  const momentum = warming ? anneal(spec.maxMomentum, spec.baseMomentum, fraction) : anneal(spec.baseMomentum, spec.maxMomentum, fraction);
  return { lr, momentum };
}

/** The learning rate, and the momentum while the schedule cycles it, at step `t` for a base learning rate `lr0`. */
export function scheduleAt(spec: ScheduleSpec, lr0: number, t: number): StepHyperparameters {
  switch (spec.kind) {
    case "constant":
      return { lr: lr0 };
    case "step":
      return { lr: lr0 * spec.gamma ** Math.floor(t / spec.stepSize) };
    case "multistep":
      return { lr: lr0 * spec.gamma ** spec.milestones.filter((m) => m <= t).length };
    case "exponential":
      return { lr: lr0 * spec.gamma ** t };
    case "exponential_k":
      return { lr: lr0 * Math.exp(-spec.k * t) };
    case "inverse_time":
      return { lr: lr0 / (1 + spec.k * t) };
    case "inv":
      return { lr: lr0 * (1 + spec.gamma * t) ** -spec.power };
    case "poly":
      // PyTorch's PolynomialLR: (1 - t/T)^power, constant once t reaches T.
      return { lr: lr0 * (1 - Math.min(t, spec.total) / spec.total) ** spec.power };
    case "linear":
      return { lr: lr0 + (spec.to - lr0) * (Math.min(t, spec.total) / spec.total) };
    case "cosine":
      // CosineAnnealingLR's closed form; like PyTorch, it keeps oscillating past T_max.
      return { lr: spec.etaMin + ((lr0 - spec.etaMin) * (1 + Math.cos((Math.PI * t) / spec.tMax))) / 2 };
    case "sgdr": {
      const { tCur, period } = sgdrPosition(spec.t0, spec.tMult, t);
      return { lr: spec.etaMin + ((lr0 - spec.etaMin) * (1 + Math.cos((Math.PI * tCur) / period))) / 2 };
    }
    case "cyclic":
      // It replaces the optimizer's lr entirely.
      return cyclic(spec, t);
    case "one_cycle":
      return oneCycle(spec, t);
    case "warmup":
      // PyTorch's LinearLR(start_factor = from, end_factor = 1, total_iters = duration).
      return { lr: lr0 * (spec.from + ((1 - spec.from) * Math.min(t, spec.duration)) / spec.duration) };
    case "sequence": {
      let start = 0;
      for (let i = 0; i < spec.parts.length; i++) {
        const part = spec.parts[i]!;
        if (i === spec.parts.length - 1 || t < start + part.length) {
          const local = part.per === "step" ? t - start : Math.floor(t / spec.stepsPerEpoch) - Math.floor(start / spec.stepsPerEpoch);
          return scheduleAt(part.schedule, lr0, local);
        }
        start += part.length;
      }
      return { lr: lr0 };
    }
  }
}

/** The learning rate at step `t` for a base learning rate `lr0`. */
export function learningRate(spec: ScheduleSpec, lr0: number, t: number): number {
  return scheduleAt(spec, lr0, t).lr;
}

/** Whether the schedule, or any part of a sequence, sets the momentum (or β₁) on some steps. */
export function cyclesMomentum(spec: ScheduleSpec): boolean {
  if (spec.kind === "cyclic" || spec.kind === "one_cycle") return spec.cycleMomentum;
  if (spec.kind === "sequence") return spec.parts.some((part) => cyclesMomentum(part.schedule));
  return false;
}

/**
 * ReduceLROnPlateau, which depends on the monitored metric rather than the step: call `observe` once per
 * evaluation; `lr` is the current learning rate. Threshold is relative (PyTorch's default 'rel' mode).
 */
export interface PlateauSnapshot {
  lr: number;
  best: number;
  badEpochs: number;
  cooldownLeft: number;
}

export class PlateauSchedule {
  private best: number;
  private badEpochs = 0;
  private cooldownLeft = 0;
  lr: number;

  constructor(
    lr0: number,
    private readonly options: { mode: "min" | "max"; factor: number; patience: number; threshold: number; cooldown: number; minLr: number; eps?: number },
  ) {
    this.lr = lr0;
    this.best = options.mode === "min" ? Infinity : -Infinity;
  }

  private improves(value: number): boolean {
    const { mode, threshold } = this.options;
    return mode === "min" ? value < this.best * (1 - threshold) : value > this.best * (threshold + 1);
  }

  /** What a checkpoint keeps of the schedule (runtime/checkpoint/): it continues exactly from these. */
  snapshot(): PlateauSnapshot {
    return { lr: this.lr, best: this.best, badEpochs: this.badEpochs, cooldownLeft: this.cooldownLeft };
  }

  restore(saved: PlateauSnapshot): void {
    ({ lr: this.lr, best: this.best, badEpochs: this.badEpochs, cooldownLeft: this.cooldownLeft } = saved);
  }

  observe(metric: number): number {
    if (this.improves(metric)) {
      this.best = metric;
      this.badEpochs = 0;
    } else this.badEpochs++;
    if (this.cooldownLeft > 0) {
      this.cooldownLeft--;
      this.badEpochs = 0;
    }
    if (this.badEpochs > this.options.patience) {
      const reduced = Math.max(this.lr * this.options.factor, this.options.minLr);
      if (this.lr - reduced > (this.options.eps ?? 1e-8)) this.lr = reduced;
      this.cooldownLeft = this.options.cooldown;
      this.badEpochs = 0;
    }
    return this.lr;
  }
}
