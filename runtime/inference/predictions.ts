// From a model's raw outputs to what it predicts, by the rule of the loss it was trained with
// (InferenceProgram.prediction): class probabilities and the most probable class, or values as they are.
import type { PredictionRule } from "./types.js";

/** Probabilities (or values, for "identity") per example, the rule applied to each row of `size` outputs. */
export function applyPrediction(rule: PredictionRule, output: Float32Array, size: number): Float32Array {
  const out = new Float32Array(output.length);
  for (let row = 0; row * size < output.length; row++) {
    const start = row * size;
    const x = output.subarray(start, start + size);
    switch (rule) {
      case "softmax": {
        // Shifted by the row's maximum, as the training kernels do, so large logits do not overflow.
        let max = -Infinity;
        for (const v of x) max = Math.max(max, v);
        let sum = 0;
        for (let i = 0; i < size; i++) sum += Math.exp(x[i]! - max);
        for (let i = 0; i < size; i++) out[start + i] = Math.exp(x[i]! - max) / sum;
        break;
      }
      case "log_probabilities":
        for (let i = 0; i < size; i++) out[start + i] = Math.exp(x[i]!);
        break;
      case "sigmoid":
        for (let i = 0; i < size; i++) out[start + i] = 1 / (1 + Math.exp(-x[i]!));
        break;
      case "probabilities":
      case "identity":
        out.set(x, start);
        break;
    }
  }
  return out;
}

export interface Classification {
  /** The predicted class of each example. */
  classes: Int32Array;
  /** Each example's class probabilities, `size` per example (one output: the probability of class 1). */
  probabilities: Float32Array;
  /** The probability of each example's predicted class. */
  confidence: Float32Array;
}

/**
 * The most probable class of each example (the first of equal ones, as argmax in PyTorch). With a single
 * output (binary classification by sigmoid) the class is 1 when its probability exceeds 0.5.
 */
export function classify(rule: PredictionRule, output: Float32Array, size: number): Classification {
  const probabilities = applyPrediction(rule, output, size);
  const classes = new Int32Array(size === 0 ? 0 : output.length / size);
  const confidence = new Float32Array(classes.length);
  for (let row = 0; row < classes.length; row++) {
    const p = probabilities.subarray(row * size, (row + 1) * size);
    if (size === 1) {
      classes[row] = p[0]! > 0.5 ? 1 : 0;
      confidence[row] = classes[row] === 1 ? p[0]! : 1 - p[0]!;
      continue;
    }
    let best = 0;
    for (let i = 1; i < size; i++) if (p[i]! > p[best]!) best = i;
    classes[row] = best;
    confidence[row] = p[best]!;
  }
  return { classes, probabilities, confidence };
}
