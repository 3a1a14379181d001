// The vocabulary of builtins: what each name is (layer, loss, optimizer, …), which arguments it takes with
// their types, defaults and valid ranges, and for layers how it transforms a shape. The checker, the docs and
// the language server all read these tables; nothing else lists builtins.
import type { Shape } from "../check/shapes.js";

export type Category =
  | "layer"
  | "tensor_fn"
  | "loss"
  | "regularizer"
  | "init"
  | "optimizer"
  | "optimizer_modifier"
  | "schedule"
  | "data_source"
  | "data_transform"
  | "augmentation"
  | "directive"
  | "distribution"
  | "clip"
  | "ensemble";

export const CATEGORY_NOUN: Record<Category, string> = {
  layer: "layer",
  tensor_fn: "tensor function",
  loss: "loss",
  regularizer: "regularizer",
  init: "initializer",
  optimizer: "optimizer",
  optimizer_modifier: "optimizer option",
  schedule: "learning-rate schedule",
  data_source: "data source",
  data_transform: "data transform",
  augmentation: "augmentation",
  directive: "training directive",
  distribution: "search distribution",
  clip: "gradient clipping rule",
  ensemble: "ensemble rule",
};

export type ArgType =
  | { t: "number"; min?: number; max?: number; minExclusive?: boolean; maxExclusive?: boolean; integer?: boolean }
  | { t: "bool" }
  | { t: "string" }
  | { t: "enum"; values: string[] }
  /** A count with an optional unit: `500 steps`, `5 epochs`. */
  | { t: "duration"; defaultUnit: "steps" | "epochs" }
  | { t: "ref"; category: Category }
  | { t: "list"; of: ArgType }
  | { t: "either"; options: ArgType[] }
  /** Which parameters: `weights`, `biases`, `norms`, `all`, or a named layer. */
  | { t: "selector" }
  /** A monitored quantity: `val_loss`, `val_accuracy`, … */
  | { t: "metric" };

/** A count with its unit as written: `500 steps`, `5 epochs`. */
export interface Duration {
  unit: "steps" | "epochs";
  count: number;
}

/** A default as the registry states it; for `ref` parameters a string names the builtin (with its own defaults). */
export type DefaultValue = number | string | boolean | Duration | DefaultValue[];

export interface ParamSpec {
  name: string;
  type: ArgType;
  /** The value the checker fills in when the argument is left out; shown in docs and hover. */
  default?: DefaultValue;
  /** How the default is shown when its value alone would not say it (`-pi` rather than -3.14159…). */
  defaultText?: string;
  /** Left out, it takes the value of this other argument (pooling's `stride` defaults to its `kernel`). */
  sameAs?: string;
  /** Another spelling of the same setting: giving both is an error (dropout's `p` and `keep`). */
  exclusiveWith?: string;
  required?: boolean;
  doc: string;
}

/**
 * A builtin call after checking: the canonical builtin and every one of its arguments by name, positional
 * arguments mapped and defaults filled in. Lowering reads only this, never the syntax it came from.
 */
export interface ResolvedCall {
  kind: "call";
  builtin: string;
  category: Category;
  /** Every parameter of the builtin; `undefined` only for an optional parameter with no default. */
  args: ArgValues;
  /** The arguments written in the file (by position or by name) and where; the others hold defaults. */
  written: Map<string, { start: number; end: number }>;
  span: { start: number; end: number };
}

/** Arguments after checking: constants where the checker could evaluate them, otherwise `undefined`. */
export type ArgValue = number | string | boolean | ArgValue[] | Duration | ResolvedCall | undefined;
export type ArgValues = Map<string, ArgValue>;

export function isDuration(value: ArgValue): value is Duration {
  return typeof value === "object" && value !== null && !Array.isArray(value) && "unit" in value;
}

export function isResolvedCall(value: ArgValue): value is ResolvedCall {
  return typeof value === "object" && value !== null && !Array.isArray(value) && "kind" in value && value.kind === "call";
}

export class ShapeError extends Error {
  constructor(
    message: string,
    readonly help?: string,
    readonly code: "E0302" | "E0306" | "E0307" | "E0308" = "E0302",
    /** Text to insert before the layer that fixes the problem, e.g. `flatten |> `. */
    readonly insertBefore?: string,
  ) {
    super(message);
  }
}

export interface BuiltinSpec {
  name: string;
  category: Category;
  params: ParamSpec[];
  doc: string;
  /** Layers: the output shape for an input shape (dimension 0 is the batch); throws ShapeError. */
  shape?: (input: Shape, args: ArgValues) => Shape;
  /** Layers that hold trainable parameters (for `weights`/`biases` selectors and param counts). */
  parameters?: (input: Shape, args: ArgValues) => { name: string; shape: Shape; role: "weight" | "bias" | "norm" }[];
  /** Layers whose behaviour differs between training and evaluation. */
  phaseAware?: boolean;
  /** Other accepted spellings, e.g. `linear` for `dense`. */
  aliases?: string[];
}
