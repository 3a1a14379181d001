// What an expression inside a model evaluates to while checking: a tensor with its shape, a layer waiting for
// its input, a compile-time constant, or an error already reported.
import type * as A from "../../grammar/ast.js";
import type { ArgValue } from "../builtins/types.js";
import type { Shape } from "./shapes.js";

export type ModelValue =
  | { k: "tensor"; shape: Shape; producer?: string }
  | { k: "layer"; name: string; apply: (input: Shape, at: A.Span, inputSpan: A.Span) => ModelValue }
  | { k: "const"; value: ArgValue }
  | { k: "error" };

export const ERROR: ModelValue = { k: "error" };
