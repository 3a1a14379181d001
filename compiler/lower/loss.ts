// Lowering the loss: each term of `loss = a + λ * b − …` (already resolved and weighted by the checker)
// becomes graph nodes, summed with its weight.
import type { LossTerm } from "../check/elaborated.js";
import type { DiagnosticBag } from "../diagnostics/diagnostic.js";
import type { ModelLowering } from "./model.js";
import { lowerCall, refuse, type ArgReader } from "./reader.js";

/** Parameters picked by a selector: weights, biases, norms, all, or the parameters of a named layer. */
function selected(selector: string, lowering: ModelLowering): number[] {
  return lowering.graph.params
    .filter((p) => selector === "all" || (selector === "weights" && p.role === "weight") || (selector === "biases" && p.role === "bias") || (selector === "norms" && p.role === "norm") || p.name.startsWith(`${selector}.`) || p.name === selector)
    .map((p) => p.node);
}

export function lowerLoss(terms: LossTerm[], lowering: ModelLowering, output: number, labels: number, diagnostics: DiagnosticBag): number | undefined {
  const g = lowering.b;
  let total: number | undefined;
  for (const { weight, call } of terms) {
    const node = lowerCall(call, "", diagnostics, (a) => termNode(a, lowering, output, labels, diagnostics));
    if (node === undefined) return undefined;
    const weighted = g.scale(node, weight);
    total = total === undefined ? weighted : g.binary("add", total, weighted);
  }
  return total;
}

function termNode(a: ArgReader, lowering: ModelLowering, output: number, labels: number, diagnostics: DiagnosticBag): number | undefined {
  const g = lowering.b;
  switch (a.call.builtin) {
    case "cross_entropy":
      return g.add("softmax_cross_entropy", [output, labels], [], { smoothing: a.num("label_smoothing"), reduction: a.str("reduction") });
    case "mse": {
      const reduction = a.str("reduction");
      if (g.shape(labels).length === 1) return refuse(diagnostics, a.call.span, "`mse` against class labels (one-hot targets)", "use `cross_entropy` for classes");
      const d = g.binary("sub", output, labels);
      return g.unary(reduction === "sum" ? "sum_all" : "mean_all", g.binary("mul", d, d));
    }
    case "l2": {
      // Σ‖W‖² over the selected parameters; the lecture notes' ½ with `half: true`.
      const squares = selected(a.str("on"), lowering).map((p) => g.unary("sum_all", g.binary("mul", p, p)));
      const sum = squares.reduce((acc, s) => g.binary("add", acc, s), g.add("constant", [], [], { value: 0 }));
      return a.bool("half") ? g.scale(sum, 0.5) : sum;
    }
    default:
      throw new Error(`internal: no lowering for the loss term \`${a.call.builtin}\``);
  }
}
