// The contract between `dslc export` (which builds it from a trained Program) and everything that runs an
// exported model: predict.mts, the inference runners (CPU reference and WebGPU) and the ONNX writer. The
// runtime owns it, so an exported bundle needs only the runtime.
import type { ProgramNode } from "../program.js";

/** What turns the model's output into predictions (from the loss it was trained with). */
export type PredictionRule =
  /** Class probabilities are softmax(output) over the last axis (cross_entropy, label smoothing included). */
  | "softmax"
  /** The output already holds probabilities or log-probabilities as the model computes them (nll, kl_div): exp when `log`. */
  | "probabilities"
  | "log_probabilities"
  /** Independent probabilities sigmoid(output) (bce_with_logits). */
  | "sigmoid"
  /** Values as they are (regression, bce on probabilities, hinge scores). */
  | "identity";

/**
 * A forward-only program in evaluation mode: no `select_mode`, `dropout`, `norm_stats` or training-only
 * nodes; BatchNorm folded into the preceding dense/conv where one precedes it and RepVGG branches merged.
 * Node ids index `nodes` (ids are positions). Every `param` node's value is a tensor of `weights.safetensors`
 * named by its `name`.
 */
export interface InferenceProgram {
  format: "dslc-inference/1";
  model: string;
  nodes: ProgramNode[];
  input: number;
  output: number;
  /** One example's input shape (the batch axis left out). */
  inputShape: number[];
  /** One example's output shape. */
  outputShape: number[];
  task: "classification" | "regression";
  prediction: PredictionRule;
  /**
   * An ensemble exported as one model: `output` is then the mean of these members' predictions (each member's
   * output node with `prediction` applied), and `prediction` of the whole is "probabilities" or "identity".
   */
  members?: number[];
  /**
   * The training data pipeline's preprocessing, prepended to the model as nodes (in words, in order): the
   * model takes examples as the data files hold them (pixel values before the source's `scale`, …). Absent
   * or empty: the input is used as given.
   */
  preprocessing?: string[];
}
