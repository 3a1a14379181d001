// Learning-rate schedules, evaluated on the host (the device only ever sees the resulting number).
// Each formula follows PyTorch 1.13's scheduler of the same name (torch/optim/lr_scheduler.py); golden
// values from PyTorch are in tests/golden/schedules.json. `t` counts scheduler steps: optimizer steps for
// per-step schedules, epochs for per-epoch ones.

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
  | { kind: "cyclic"; baseLr: number; maxLr: number; stepSizeUp: number; mode: "triangular" | "triangular2" | "exp_range"; gamma: number }
  | { kind: "one_cycle"; maxLr: number; total: number; pctStart: number; divFactor: number; finalDivFactor: number; anneal: "cos" | "linear" }
  | { kind: "warmup"; duration: number; from: number }
  /** `a then b`: each part runs for `length` steps (the last for the rest), its own `t` restarting at 0. */
  | { kind: "sequence"; parts: { schedule: ScheduleSpec; length: number }[] };

function annealCos(start: number, end: number, fraction: number): number {
  return end + ((start - end) / 2) * (Math.cos(Math.PI * fraction) + 1);
}

function annealLinear(start: number, end: number, fraction: number): number {
  return (end - start) * fraction + start;
}

/** The learning rate at step `t` for a base learning rate `lr0`. */
export function learningRate(spec: ScheduleSpec, lr0: number, t: number): number {
  switch (spec.kind) {
    case "constant":
      return lr0;
    case "step":
      return lr0 * spec.gamma ** Math.floor(t / spec.stepSize);
    case "multistep":
      return lr0 * spec.gamma ** spec.milestones.filter((m) => m <= t).length;
    case "exponential":
      return lr0 * spec.gamma ** t;
    case "exponential_k":
      return lr0 * Math.exp(-spec.k * t);
    case "inverse_time":
      return lr0 / (1 + spec.k * t);
    case "inv":
      return lr0 * (1 + spec.gamma * t) ** -spec.power;
    case "poly":
      // PyTorch's PolynomialLR: (1 - t/T)^power, constant once t reaches T.
      return lr0 * (1 - Math.min(t, spec.total) / spec.total) ** spec.power;
    case "linear":
      return lr0 + (spec.to - lr0) * (Math.min(t, spec.total) / spec.total);
    case "cosine":
      // CosineAnnealingLR's closed form; like PyTorch, it keeps oscillating past T_max.
      return spec.etaMin + ((lr0 - spec.etaMin) * (1 + Math.cos((Math.PI * t) / spec.tMax))) / 2;
    case "sgdr": {
      let tCur = t;
      let period = spec.t0;
      if (spec.tMult === 1) tCur = t % spec.t0;
      else if (t >= spec.t0) {
        const n = Math.floor(Math.log((t / spec.t0) * (spec.tMult - 1) + 1) / Math.log(spec.tMult));
        tCur = t - (spec.t0 * (spec.tMult ** n - 1)) / (spec.tMult - 1);
        period = spec.t0 * spec.tMult ** n;
      }
      return spec.etaMin + ((lr0 - spec.etaMin) * (1 + Math.cos((Math.PI * tCur) / period))) / 2;
    }
    case "cyclic": {
      // CyclicLR with step_size_down = step_size_up; it replaces the optimizer's lr entirely.
      const total = 2 * spec.stepSizeUp;
      const cycle = Math.floor(1 + t / total);
      const x = 1 + t / total - cycle;
      const scale = x <= 0.5 ? x / 0.5 : (x - 1) / (0.5 - 1);
      const height = (spec.maxLr - spec.baseLr) * scale;
      const factor = spec.mode === "triangular" ? 1 : spec.mode === "triangular2" ? 1 / 2 ** (cycle - 1) : spec.gamma ** t;
      return spec.baseLr + height * factor;
    }
    case "one_cycle": {
      const initial = spec.maxLr / spec.divFactor;
      const minimum = initial / spec.finalDivFactor;
      const anneal = spec.anneal === "cos" ? annealCos : annealLinear;
      const warmEnd = spec.pctStart * spec.total - 1;
      const end = spec.total - 1;
      if (t <= warmEnd) return anneal(initial, spec.maxLr, t / warmEnd);
      return anneal(spec.maxLr, minimum, Math.min(1, (t - warmEnd) / (end - warmEnd)));
    }
    case "warmup":
      // PyTorch's LinearLR(start_factor = from, end_factor = 1, total_iters = duration).
      return lr0 * (spec.from + ((1 - spec.from) * Math.min(t, spec.duration)) / spec.duration);
    case "sequence": {
      let start = 0;
      for (let i = 0; i < spec.parts.length; i++) {
        const part = spec.parts[i]!;
        if (i === spec.parts.length - 1 || t < start + part.length) return learningRate(part.schedule, lr0, t - start);
        start += part.length;
      }
      return lr0;
    }
  }
}

/**
 * ReduceLROnPlateau, which depends on the monitored metric rather than the step: call `observe` once per
 * evaluation; `lr` is the current learning rate. Threshold is relative (PyTorch's default 'rel' mode).
 */
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
