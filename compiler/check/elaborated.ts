// The checker's elaboration: the one interpretation of a .dl file that everything downstream consumes.
// Every builtin call is resolved (canonical name, every argument by name, defaults filled, `let`s and block
// parameters substituted), every block use is instantiated with its bound values, and every tensor carries
// the shape the checker computed. Lowering reads only this; it never looks at the syntax again, so what the
// hover shows and what training runs cannot disagree. docs/elaboration.md explains the design.
import type { Span } from "../../grammar/ast.js";
import type { ArgValue, Duration, ResolvedCall } from "../builtins/types.js";
import type { Shape } from "./shapes.js";

/**
 * One layer object: a `dense(64)` written once is one set of weights however often it is applied (a named
 * layer applied twice shares them, as a PyTorch module does). Its name is the prefix of its parameters.
 */
export interface LayerInstance {
  /** `fc1`, `dense_0`, `Residual_1.dense_0`: unique within the model. */
  name: string;
  call: ResolvedCall;
}

/** A trainable tensor written with `param([…], init: …)`. */
export interface ParamInstance {
  name: string;
  shape: number[];
  init: ResolvedCall;
}

export type ArithmeticOperator = "+" | "-" | "*" | "/" | "**" | "@";

/** A tensor of the elaborated model: what produced it, from which tensors, and its checked shape. */
export type TensorNode =
  | { op: "input"; name: string; index: number; dtype: string; shape: Shape }
  | { op: "layer"; layer: LayerInstance; input: TensorNode; shape: Shape; span: Span }
  | { op: "param"; param: ParamInstance; shape: Shape; span: Span }
  | { op: "arithmetic"; operator: ArithmeticOperator; left: TensorNode | number; right: TensorNode | number; shape: Shape; span: Span }
  | { op: "negate"; operand: TensorNode; shape: Shape; span: Span }
  | { op: "concat"; inputs: TensorNode[]; axis: number; shape: Shape; span: Span }
  | { op: "reduce"; reduction: "sum" | "mean"; input: TensorNode; axis: number | undefined; keepdim: boolean; shape: Shape; span: Span };

export interface ElaboratedModel {
  name: string;
  inputs: Extract<TensorNode, { op: "input" }>[];
  output: TensorNode;
  span: Span;
}

/** `λ * term`: a loss or a regularizer with its weight (negative for a subtracted term). */
export interface LossTerm {
  weight: number;
  call: ResolvedCall;
}

/** How long the run is, as the checker worked it out from the data, the batch and the settings. */
export interface RunLength {
  epochs: number;
  stepsPerEpoch: number;
  totalSteps: number;
  /** Examples in the training split. */
  trainExamples: number;
}

export interface ElaboratedTrain {
  model: ElaboratedModel;
  /** Class labels (classification) or continuous targets (regression), from the data. */
  task: "classification" | "regression";
  data: { source: ResolvedCall; transforms: ResolvedCall[] };
  loss: LossTerm[];
  optimizer: ResolvedCall;
  /** `adamw(…) |> group(…)` stages after the optimizer. */
  optimizerGroups: ResolvedCall[];
  /** `a then b`: the schedule's parts in order; empty for the default constant schedule. */
  schedule: ResolvedCall[];
  /** Every setting of TRAIN_SETTINGS except data, loss, optimizer and schedule: written or default. */
  settings: Map<string, ArgValue>;
  /** The settings written in the file, and where. */
  writtenSettings: Map<string, Span>;
  directives: ResolvedCall[];
  /** Examples of `overfit` mode, from the directive or `--overfit`; the run length already counts in them. */
  overfit?: number;
  /** Unknown only when the data's size cannot be known before reading it (sources the trainer cannot read yet). */
  run?: RunLength;
  span: Span;
}

/** A duration in optimizer steps for this run. */
export function durationInSteps(duration: Duration, run: RunLength): number {
  return duration.unit === "steps" ? duration.count : duration.count * run.stepsPerEpoch;
}
