// The WGSL expression of every elementwise op, in one table: the per-op kernels, the fused chains and the
// matmul epilogue all print from it, so an op's formula exists once.
import { dropoutThreshold } from "../../runtime/cpu/kernels.js";
import type { Attrs } from "../../runtime/cpu/kernels.js";
import { f32 } from "./common.js";

type Emit = (args: string[], attrs: Attrs) => string;

/** x^p for a constant p: repeated products for small integers (WGSL's pow is undefined for x < 0). */
export function powerExpr(x: string, p: number): string {
  if (Number.isInteger(p) && Math.abs(p) <= 8) {
    if (p === 0) return "1.0";
    const product = Array.from({ length: Math.abs(p) }, () => x).join(" * ");
    return p > 0 ? `(${product})` : `(1.0 / (${product}))`;
  }
  return `pow(${x}, ${f32(p)})`;
}

const ELEMENTWISE: Record<string, Emit> = {
  add: ([a, b]) => `${a} + ${b}`,
  sub: ([a, b]) => `${a} - ${b}`,
  mul: ([a, b]) => `${a} * ${b}`,
  div: ([a, b]) => `${a} / ${b}`,
  scale: ([a], attrs) => `${a} * ${f32(attrs["c"] as number)}`,
  pow: ([a], attrs) => powerExpr(a!, attrs["p"] as number),
  rsqrt: ([a], attrs) => `inverseSqrt(${a} + ${f32(attrs["eps"] as number)})`,
  relu: ([a]) => `max(${a}, 0.0)`,
  relu_grad: ([y, g]) => `select(0.0, ${g}, ${y} > 0.0)`,
  leaky_relu: ([a], attrs) => `select(${f32((attrs["alpha"] as number | undefined) ?? 0.01)} * ${a}, ${a}, ${a} > 0.0)`,
  leaky_relu_grad: ([y, g], attrs) => `select(${f32(attrs["alpha"] as number)} * ${g}, ${g}, ${y} > 0.0)`,
  // tanh through exp(-2|x|): exact to rounding and never overflows.
  tanh: ([a]) => `sign(${a}) * (1.0 - exp(-2.0 * abs(${a}))) / (1.0 + exp(-2.0 * abs(${a})))`,
  tanh_grad: ([y, g]) => `${g} * (1.0 - ${y} * ${y})`,
  sigmoid: ([a]) => `1.0 / (1.0 + exp(-${a}))`,
  sigmoid_grad: ([y, g]) => `${g} * ${y} * (1.0 - ${y})`,
  constant: (_, attrs) => f32(attrs["value"] as number),
};

export function isElementwise(op: string): boolean {
  return op in ELEMENTWISE || op === "dropout";
}

/**
 * The expression of `op` on argument expressions; `i` must be the element index in scope (dropout draws per
 * element). Dropout compares the hash's 24 bits with the same integer threshold as the CPU reference.
 */
export function elementwiseExpr(op: string, args: string[], attrs: Attrs, training: boolean): string {
  if (op === "dropout") {
    if (!training) return args[0]!;
    const p = attrs["p"] as number;
    return `select(${args[0]} * ${f32(1 / (1 - p))}, 0.0, (hash4(globals.seed, ${attrs["stream"]}u, globals.step, i) >> 8u) < ${dropoutThreshold(p)}u)`;
  }
  return ELEMENTWISE[op]!(args, attrs);
}
