// Averaging an ensemble's predictions by the rule of the loss its members were trained with, and the
// metrics of a set of predictions. Members are averaged as probabilities (softmax of logits for
// cross_entropy, sigmoid for bce_with_logits, exp of log-probabilities for nll and kl_div), never as raw
// logits, which would weight confident members more; regression averages the outputs as they are.
import type { Dataset } from "../data/sources.js";
import { classify } from "../metrics.js";
import type { Program } from "../program.js";
import type { PredictionRule } from "../inference/types.js";

/** The rule of the program's loss: the first loss term applied to the model's output decides. */
export function predictionRule(program: Program): PredictionRule {
  if (program.task === "regression") return "identity";
  for (const node of program.nodes) {
    if (node.inputs[0] !== program.output) continue;
    if (node.op === "softmax_cross_entropy") return "softmax";
    if (node.op === "pointwise_loss") {
      const kind = node.attrs["kind"];
      if (kind === "bce_logits") return "sigmoid";
      if (kind === "kl_div") return "log_probabilities";
      if (kind === "bce") return "probabilities";
    }
    if (node.op === "class_loss") return node.attrs["kind"] === "nll" ? "log_probabilities" : "identity";
  }
  return "identity";
}

/** `output` (rows of `size` raw outputs) turned into what is averaged: probabilities, or values as they are. */
export function toPredictions(rule: PredictionRule, output: Float32Array, size: number): Float64Array {
  const out = new Float64Array(output.length);
  for (let start = 0; start < output.length; start += size) {
    if (rule === "softmax") {
      // Shifted by the row's maximum so that large logits do not overflow.
      let max = -Infinity;
      for (let i = 0; i < size; i++) max = Math.max(max, output[start + i]!);
      let sum = 0;
      for (let i = 0; i < size; i++) sum += Math.exp(output[start + i]! - max);
      for (let i = 0; i < size; i++) out[start + i] = Math.exp(output[start + i]! - max) / sum;
    } else if (rule === "sigmoid") for (let i = 0; i < size; i++) out[start + i] = 1 / (1 + Math.exp(-output[start + i]!));
    else if (rule === "log_probabilities") for (let i = 0; i < size; i++) out[start + i] = Math.exp(output[start + i]!);
    else for (let i = 0; i < size; i++) out[start + i] = output[start + i]!;
  }
  return out;
}

/** The element-wise mean of the members' predictions (each from toPredictions). */
export function averagePredictions(members: readonly Float64Array[]): Float64Array {
  if (members.length === 0) throw new Error("internal: an ensemble of no members");
  const mean = new Float64Array(members[0]!.length);
  for (const m of members) for (let i = 0; i < mean.length; i++) mean[i] = mean[i]! + m[i]!;
  for (let i = 0; i < mean.length; i++) mean[i] = mean[i]! / members.length;
  return mean;
}

/**
 * Metrics of predictions on a split. Classification: accuracy and top-5 of the predicted probabilities, and
 * the loss as the negative log-likelihood of the labels under them (binary: of the one column as P(class 1)),
 * absent for scores that are not probabilities (hinge losses). Regression: the mean squared error.
 */
export interface PredictionMetrics {
  loss?: number;
  accuracy?: number;
  top5?: number;
}

/**
 * Probabilities are float64, so only a miss by a logit gap beyond ~745 underflows to 0; it counts as this
 * rather than making the loss infinite. Any larger floor would make a member's NLL differ from its
 * cross-entropy on confident misses.
 */
const FLOOR = 1e-300;

export function predictionMetrics(rule: PredictionRule, task: Program["task"], predictions: Float64Array, data: Dataset): PredictionMetrics {
  const size = data.count === 0 ? 0 : predictions.length / data.count;
  if (task === "regression") {
    let squares = 0;
    for (let i = 0; i < predictions.length; i++) squares += (predictions[i]! - data.y[i]!) ** 2;
    return { loss: squares / predictions.length };
  }
  const probabilistic = rule !== "identity";
  let correct = 0;
  let top5 = 0;
  let nll = 0;
  for (let n = 0; n < data.count; n++) {
    const label = data.y[n]!;
    // A one-column classifier's column is P(class 1) under every probabilistic rule; hinge scores split at 0.
    const result = classify(predictions, n * size, size, label, size === 1 ? (probabilistic ? 0.5 : 0) : undefined);
    if (result.correct) correct++;
    if (result.topK) top5++;
    if (!probabilistic) continue;
    const p = size === 1 ? (label === 1 ? predictions[n]! : 1 - predictions[n]!) : predictions[n * size + label]!;
    nll -= Math.log(Math.max(p, FLOOR));
  }
  return { ...(probabilistic && { loss: nll / data.count }), accuracy: correct / data.count, top5: top5 / data.count };
}
