// Lowering the loss: each term of `loss = a + λ * b − …` (already resolved and weighted by the checker)
// becomes graph nodes, summed with its weight.
import type { LossTerm } from "../check/elaborated.js";
import type { DiagnosticBag } from "../diagnostics/diagnostic.js";
import type { ModelLowering } from "./model.js";
import type { InitialLossExpectation } from "../../runtime/program.js";
import { lowerCall, refuse, type ArgReader } from "./reader.js";
import { selectsParam } from "../../runtime/param-groups.js";

/** Parameters picked by a selector: weights, biases, norms, all, or the parameters of a named layer. */
export function selected(selector: string, lowering: ModelLowering): number[] {
  return lowering.graph.params
    .filter((p) => selectsParam(selector, p))
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

/**
 * What the loss should be at the first step with small random weights, when it is one classification
 * term of weight 1 (plus any penalties): every class equally likely gives ln C (cross-entropy, nll), ln 2
 * (binary cross-entropy on one output) and (C − 1)·margin (hinge, all scores equal). The penalties' value
 * at the initial weights is added by the loop, which can draw those weights.
 */
export function expectedInitialLoss(terms: LossTerm[], classes: number, lowering: ModelLowering): InitialLossExpectation | undefined {
  const penalties = terms.filter((t) => REGULARIZERS.has(t.call.builtin));
  const data = terms.filter((t) => !penalties.includes(t));
  if (data.length !== 1 || data[0]!.weight !== 1) return undefined;
  const expectation = dataTermExpectation(data[0]!.call, classes);
  if (!expectation || penalties.length === 0) return expectation;
  return {
    ...expectation,
    penalties: penalties.map(({ weight, call }) => {
      const ratio = call.builtin === "elastic_net" ? (call.args.get("ratio") as number) : 1;
      const abs = call.builtin === "l2" ? 0 : ratio;
      const squares = call.builtin === "l2" ? (call.args.get("half") === true ? 0.5 : 1) : 1 - ratio;
      return { weight, abs, squares, params: selected(call.args.get("on") as string, lowering) };
    }),
  };
}

const REGULARIZERS = new Set(["l2", "l1", "elastic_net"]);

function dataTermExpectation(call: LossTerm["call"], classes: number): InitialLossExpectation | undefined {
  const margin = call.args.get("margin");
  switch (call.builtin) {
    case "cross_entropy":
    case "nll":
      return { value: Math.log(classes), reason: `ln ${classes} for ${classes} equally likely classes` };
    case "bce":
    case "bce_with_logits":
      return classes === 1 ? { value: Math.log(2), reason: "ln 2 for a prediction of ½" } : undefined;
    case "hinge":
      return typeof margin === "number" ? { value: (classes - 1) * margin, reason: `(${classes} − 1) × margin ${margin}, with every score equal` } : undefined;
    default:
      return undefined;
  }
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
    case "mae":
    case "huber":
    case "smooth_l1": {
      // Arguments are read before any refusal, so that a refusal names the loss and not its arguments too.
      const threshold = a.call.builtin === "huber" ? a.num("delta") : a.call.builtin === "smooth_l1" ? a.num("beta") : 0;
      const reduction = a.str("reduction");
      if (g.shape(labels).length === 1) return refuse(diagnostics, a.call.span, `\`${a.call.builtin}\` against class labels`, "use `cross_entropy`, `nll` or `hinge` for classes");
      return g.add("pointwise_loss", [output, labels], [], { kind: a.call.builtin, threshold, reduction });
    }
    case "bce":
    case "bce_with_logits": {
      // One probability (or logit) per example; class labels [N] are read as that column's 0/1 targets.
      const out = g.shape(output);
      const reduction = a.str("reduction");
      if (!out.slice(1).every((d) => d === 1)) return refuse(diagnostics, a.call.span, `\`${a.call.builtin}\` on an output shaped [${out.join(", ")}]`, "end the model with `dense(1)`, giving [N, 1]");
      const kind = a.call.builtin === "bce" ? "bce" : "bce_logits";
      return g.add("pointwise_loss", [output, g.reshape(labels, out)], [], { kind, threshold: 0, reduction });
    }
    case "nll":
    case "hinge": {
      const margin = a.call.builtin === "hinge" ? a.num("margin") : 0;
      const reduction = a.str("reduction");
      if (g.shape(labels).length !== 1 || g.shape(output).length !== 2) return refuse(diagnostics, a.call.span, `\`${a.call.builtin}\` without class labels and [N, classes] scores`);
      return g.add("class_loss", [output, labels], [], { kind: a.call.builtin, margin, reduction });
    }
    case "kl_div": {
      // `mean` is PyTorch's 'batchmean' (the KL divergence per example, as the registry documents), not its
      // 'mean' over every element. Class labels are one-hot targets, whose KL divergence is exactly nll's −x[label].
      const reduction = a.str("reduction");
      if (g.shape(labels).length === 1) {
        if (g.shape(output).length !== 2) return refuse(diagnostics, a.call.span, "`kl_div` against class labels without [N, classes] log-probabilities");
        return g.add("class_loss", [output, labels], [], { kind: "nll", margin: 0, reduction });
      }
      return g.add("pointwise_loss", [output, labels], [], { kind: "kl_div", threshold: 0, reduction: reduction === "mean" ? "batchmean" : "sum" });
    }
    case "l1":
    case "elastic_net": {
      // Σ|W| over the selected parameters; elastic net adds (1 − ratio)·Σ‖W‖² to ratio times it (the registry's rule).
      const params = selected(a.str("on"), lowering);
      const ratio = a.call.builtin === "elastic_net" ? a.num("ratio") : 1;
      const total = (terms: number[]) => terms.reduce((acc, s) => g.binary("add", acc, s), g.add("constant", [], [], { value: 0 }));
      const l1 = total(params.map((p) => g.unary("sum_all", g.unary("abs", p))));
      if (ratio === 1) return l1;
      const l2 = total(params.map((p) => g.unary("sum_all", g.binary("mul", p, p))));
      return g.binary("add", g.scale(l1, ratio), g.scale(l2, 1 - ratio));
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
