// Functions of tensors called directly, not piped: `param([1])`, `concat([a, b])`, `sum(x, axis: 1)`.
import type { BuiltinSpec } from "./types.js";

export const TENSOR_FUNCTIONS: BuiltinSpec[] = [
  {
    name: "param",
    category: "tensor_fn",
    doc: "A trainable tensor of the given shape (no batch axis): `a = param([1], init: normal(std: 1))`.",
    params: [
      { name: "shape", type: { t: "list", of: { t: "number", min: 1, integer: true } }, required: true, doc: "Its shape." },
      { name: "init", type: { t: "ref", category: "init" }, default: "normal", doc: "Initializer." },
    ],
  },
  {
    name: "concat",
    category: "tensor_fn",
    doc: "Concatenates tensors along an axis (default: the last); other axes must agree.",
    params: [
      { name: "tensors", type: { t: "list", of: { t: "string" } }, required: true, doc: "The tensors, as a list." },
      { name: "axis", type: { t: "number", integer: true }, default: -1, doc: "Axis to join along." },
    ],
  },
  ...(["sum", "mean"] as const).map(
    (name): BuiltinSpec => ({
      name,
      category: "tensor_fn",
      doc: `${name === "sum" ? "Sum" : "Mean"} over an axis (keeping it with keepdim), or over everything but the batch.`,
      params: [
        { name: "x", type: { t: "string" }, required: true, doc: "The tensor." },
        { name: "axis", type: { t: "number", integer: true }, doc: "Axis to reduce; default: all but the batch." },
        { name: "keepdim", type: { t: "bool" }, default: false, doc: "Keep the reduced axis with size 1." },
      ],
    }),
  ),
];
