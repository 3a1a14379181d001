// The scalars of one optimizer step, computed on the host in float64 like the learning rate, so that the
// device (in f32) never evaluates β^t: f32's pow(0.999, t) is ~1e-4 relative off, and the error compounds
// over a long run. Both backends use these numbers; the formulas are PyTorch 1.13's (torch/optim/sgd.py,
// adam.py, adamw.py, adamax.py, nadam.py, rmsprop.py, single-tensor paths).
import type { OptimizerSpec } from "./cpu/optimizers.js";
import type { StepHyperparameters } from "./schedules.js";

export interface OptimizerScalars {
  lr: number;
  /** SGD's and RMSprop's momentum, or β₁ of the Adam family: the schedule's cycled value, else the optimizer's. */
  momentum: number;
  /** SGD: this step creates the momentum buffer from the gradient (PyTorch's momentum_buffer is None). */
  momentumStart: boolean;
  /** 1 − β₁ (Adam family). */
  oneMinusBeta1: number;
  /** lr / (1 − β₁^t): the step size after the first bias correction (Adam, AdamW, Adamax). */
  stepSize: number;
  /** √(1 − β₂^t): the second bias correction (Adam, AdamW). */
  bias2Sqrt: number;
  /** lr·λ: AdamW's decoupled weight decay for this step. */
  decay: number;
}

/** For passes that update nothing (evaluation). */
export const NO_UPDATE: OptimizerScalars = { lr: 0, momentum: 0, momentumStart: false, oneMinusBeta1: 0, stepSize: 0, bias2Sqrt: 0, decay: 0 };

/** What the host carries from one step to the next, as PyTorch keeps it in optimizer.state. */
export interface ScalarState {
  /** Steps taken (PyTorch's state['step']); `t` of the bias corrections. */
  step: number;
  /** Whether SGD's momentum buffer exists yet. */
  momentumStarted: boolean;
}

/** Counts one more step in `state` and returns that step's scalars for the schedule's `hyper` values. */
export function nextOptimizerScalars(spec: OptimizerSpec, state: ScalarState, hyper: StepHyperparameters): OptimizerScalars {
  state.step++;
  const t = state.step;
  const lr = hyper.lr;
  switch (spec.kind) {
    case "sgd": {
      const momentum = hyper.momentum ?? spec.momentum;
      // _single_tensor_sgd takes the momentum path on every step whose momentum is not 0 (a cycled one too, when
      // the optimizer's own is 0) and creates the buffer from the gradient on the first of them.
      const momentumStart = momentum !== 0 && !state.momentumStarted;
      if (momentum !== 0) state.momentumStarted = true;
      return { ...NO_UPDATE, lr, momentum, momentumStart };
    }
    case "rmsprop":
      return { ...NO_UPDATE, lr, momentum: hyper.momentum ?? spec.momentum };
    case "adam":
    case "adamw":
    case "adamax":
    case "nadam": {
      // The bias corrections use this step's β₁, as PyTorch's do when a scheduler sets betas[0].
      const beta1 = hyper.momentum ?? spec.beta1;
      return {
        lr,
        momentum: beta1,
        momentumStart: false,
        oneMinusBeta1: 1 - beta1,
        stepSize: lr / (1 - beta1 ** t),
        bias2Sqrt: Math.sqrt(1 - spec.beta2 ** t),
        decay: spec.kind === "adamw" ? lr * spec.weightDecay : 0,
      };
    }
    case "adagrad":
    case "adadelta":
      return { ...NO_UPDATE, lr };
  }
}
