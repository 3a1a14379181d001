// Initializers as data for the runtime, from resolved `init:` calls, with PyTorch's gains and fans
// (torch/nn/init.py: calculate_gain, _calculate_fan_in_and_fan_out).
import type { ResolvedCall } from "../builtins/types.js";
import type { DiagnosticBag } from "../diagnostics/diagnostic.js";
import type { InitSpec } from "../graph/ir.js";
import { lowerCall, type ArgReader } from "./reader.js";

/** torch.nn.init.calculate_gain. */
function gainFor(nonlinearity: string, slope: number): number {
  switch (nonlinearity) {
    case "relu":
      return Math.SQRT2;
    case "leaky_relu":
      return Math.sqrt(2 / (1 + slope * slope));
    case "tanh":
      return 5 / 3;
    default:
      return 1;
  }
}

/** fan_in and fan_out as PyTorch computes them: [out, in, …receptive field]; a vector counts as [n, n]. */
export function fans(shape: number[]): { fanIn: number; fanOut: number } {
  if (shape.length < 2) return { fanIn: shape[0] ?? 1, fanOut: shape[0] ?? 1 };
  const receptive = shape.slice(2).reduce((p, d) => p * d, 1);
  return { fanIn: shape[1]! * receptive, fanOut: shape[0]! * receptive };
}

/** PyTorch's default for dense and conv weights and biases: U(−1/√fan_in, 1/√fan_in). */
export function pytorchDefault(fanIn: number): InitSpec {
  const bound = 1 / Math.sqrt(fanIn);
  return { kind: "uniform", a: -bound, b: bound };
}

/**
 * The initializer a resolved call describes, for a tensor whose layer has `fanIn` inputs (PyTorch's default
 * uses the layer's fan_in for the bias too). Undefined, with E0601 reported, when the backends lack it.
 */
export function initSpec(call: ResolvedCall, fanIn: number, diagnostics: DiagnosticBag): InitSpec | undefined {
  return lowerCall(call, "the initializer ", diagnostics, (a) => specOf(a, fanIn));
}

function specOf(a: ArgReader, fanIn: number): InitSpec {
  switch (a.call.builtin) {
    case "pytorch_default":
      return pytorchDefault(fanIn);
    case "zeros":
    case "ones":
      return { kind: a.call.builtin };
    case "constant":
      return { kind: "constant", value: a.num("value") };
    case "normal":
      return { kind: "normal", mean: a.num("mean"), std: a.num("std") };
    case "uniform":
      return { kind: "uniform", a: a.num("a"), b: a.num("b") };
    case "xavier_uniform":
    case "xavier_normal": {
      const gain = a.num("gain");
      if (a.str("mode") !== "fan_in") return { kind: a.call.builtin, gain };
      // Caffe's XavierFiller (filler.hpp, variance_norm FAN_IN): variance gain²/fan_in, fan_in = count/shape(0).
      if (a.call.builtin === "xavier_normal") return { kind: "normal", mean: 0, std: gain * Math.sqrt(1 / fanIn) };
      const bound = gain * Math.sqrt(3 / fanIn);
      return { kind: "uniform", a: -bound, b: bound };
    }
    case "kaiming_uniform":
    case "kaiming_normal":
      return { kind: a.call.builtin, gain: gainFor(a.str("nonlinearity"), a.num("a")), mode: a.str("mode") === "fan_out" ? "fan_out" : "fan_in" };
    default:
      throw new Error(`internal: no lowering for the initializer \`${a.call.builtin}\``);
  }
}
