// What an expression inside a model evaluates to while checking: a tensor with its shape and the elaborated
// node that produces it, a layer waiting for its input, a compile-time constant, or an error already reported.
import type * as A from "../../grammar/ast.js";
import type { ArgValue } from "../builtins/types.js";
import type { LayerInstance, TensorNode } from "./elaborated.js";
import type { Shape } from "./shapes.js";

export type TensorValue = { k: "tensor"; shape: Shape; node: TensorNode; producer?: string };

export type LayerValue = {
  k: "layer";
  name: string;
  apply: (input: TensorValue, at: A.Span, inputSpan: A.Span) => ModelValue;
  /** The layer object it applies (a builtin with parameters, or a block), so a name can be given to it. */
  owner?: { bind(name: string): void };
};

export type ModelValue = TensorValue | LayerValue | { k: "const"; value: ArgValue } | { k: "error" };

export const ERROR: ModelValue = { k: "error" };

export type { LayerInstance };
