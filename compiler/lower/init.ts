// Initializers as data for the runtime, with PyTorch's gains and fans (torch/nn/init.py).
import type * as A from "../../grammar/ast.js";
import type { InitSpec } from "../graph/ir.js";

function gainFor(nonlinearity: string, a: number): number {
  switch (nonlinearity) {
    case "relu":
      return Math.SQRT2;
    case "leaky_relu":
      return Math.sqrt(2 / (1 + a * a));
    case "tanh":
      return 5 / 3;
    default:
      return 1;
  }
}

/** Named arguments of an initializer call (constants only: the checker has verified them). */
function args(expr: A.Expr | undefined): Map<string, number | string> {
  const out = new Map<string, number | string>();
  if (expr?.kind !== "Call") return out;
  for (const arg of expr.args) {
    const v = arg.value;
    const value = v.kind === "Number" ? v.value : v.kind === "Name" ? v.name : undefined;
    if (arg.name && value !== undefined) out.set(arg.name.name, value);
  }
  return out;
}

function nameOf(expr: A.Expr | undefined): string | undefined {
  return expr?.kind === "Name" ? expr.name : expr?.kind === "Call" ? expr.callee.name : undefined;
}

/** PyTorch's default for dense and conv weights and biases: U(−1/√fan_in, 1/√fan_in). */
export function pytorchDefault(fanIn: number): InitSpec {
  const bound = 1 / Math.sqrt(fanIn);
  return { kind: "uniform", a: -bound, b: bound };
}

/** Resolves an `init:` argument; undefined means the name is not one the backends implement yet. */
export function initSpec(expr: A.Expr | undefined, fanIn: number, fallback: InitSpec): InitSpec | undefined {
  const name = nameOf(expr);
  const a = args(expr);
  const num = (key: string, value: number) => (typeof a.get(key) === "number" ? (a.get(key) as number) : value);
  switch (name) {
    case undefined:
    case "pytorch_default":
      return name === undefined ? fallback : pytorchDefault(fanIn);
    case "zeros":
    case "ones":
      return { kind: name };
    case "constant":
      return { kind: "constant", value: num("value", 0) };
    case "normal":
      return { kind: "normal", mean: num("mean", 0), std: num("std", 1) };
    case "uniform":
      return { kind: "uniform", a: num("a", 0), b: num("b", 1) };
    case "xavier_uniform":
    case "glorot_uniform":
      return { kind: "xavier_uniform", gain: num("gain", 1) };
    case "xavier_normal":
    case "glorot_normal":
      return { kind: "xavier_normal", gain: num("gain", 1) };
    case "kaiming_uniform":
    case "he_uniform":
    case "kaiming_normal":
    case "he_normal": {
      const slope = num("a", 0);
      const gain = gainFor(String(a.get("nonlinearity") ?? "leaky_relu"), slope);
      return { kind: name.endsWith("uniform") ? "kaiming_uniform" : "kaiming_normal", gain, mode: a.get("mode") === "fan_out" ? "fan_out" : "fan_in" };
    }
    default:
      return undefined;
  }
}
