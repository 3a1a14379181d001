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
  abs: ([a]) => `abs(${a})`,
  // Selected rather than sign(x)·g, so that x = 0 gives 0 even when g is not finite, as the CPU reference.
  abs_grad: ([x, g]) => `select(select(0.0, -(${g}), ${x} < 0.0), ${g}, ${x} > 0.0)`,
  leaky_relu: ([a], attrs) => `select(${f32((attrs["alpha"] as number | undefined) ?? 0.01)} * ${a}, ${a}, ${a} > 0.0)`,
  leaky_relu_grad: ([y, g], attrs) => `select(${f32(attrs["alpha"] as number)} * ${g}, ${g}, ${y} > 0.0)`,
  // tanh through exp(-2|x|): exact to rounding and never overflows.
  tanh: ([a]) => `sign(${a}) * (1.0 - exp(-2.0 * abs(${a}))) / (1.0 + exp(-2.0 * abs(${a})))`,
  tanh_grad: ([y, g]) => `${g} * (1.0 - ${y} * ${y})`,
  sigmoid: ([a]) => `1.0 / (1.0 + exp(-${a}))`,
  sigmoid_grad: ([y, g]) => `${g} * ${y} * (1.0 - ${y})`,
  // ELU's exp(x) − 1 loses relative accuracy just below 0 (WGSL has no expm1); the absolute error stays ~1e-7·α.
  elu: ([a], attrs) => `select(${f32(attrs["alpha"] as number)} * (exp(${a}) - 1.0), ${a}, ${a} > 0.0)`,
  elu_grad: ([y, g], attrs) => `select(${g} * (${y} + ${f32(attrs["alpha"] as number)}), ${g}, ${y} > 0.0)`,
  gelu: ([a]) => `${a} * ${normalCdfExpr(a!)}`,
  gelu_grad: ([a, g]) => `${g} * (${normalCdfExpr(a!)} + ${a} * exp(-0.5 * ${a} * ${a}) * ${f32(1 / Math.sqrt(2 * Math.PI))})`,
  // x / (1 + e⁻ˣ): for x → −∞ the denominator overflows to +inf and the quotient is −0, never NaN.
  silu: ([a]) => `${a} / (1.0 + exp(-${a}))`,
  silu_grad: ([a, g]) => `${g} * (1.0 / (1.0 + exp(-${a}))) * (1.0 + ${a} * (1.0 - 1.0 / (1.0 + exp(-${a}))))`,
  // s is [rows, 1]: the fused printer reads it at the row of element i (broadcast at the leaves).
  scale_rows: ([a, s]) => `${a} * ${s}`,
  constant: (_, attrs) => f32(attrs["value"] as number),
};

/**
 * erfc(z) for z ≥ 0, as an expression (fused kernels and matmul epilogues print expressions only, so no
 * helper function can be declared): the Chebyshev fit of Numerical Recipes (Press et al., 2nd ed., §6.2,
 * `erfcc`), t = 1/(1 + z/2), erfc ≈ t·exp(−z² + P(t)), whose fractional error is below 1.2e-7 for every
 * z ≥ 0 — relative, so the tails keep their accuracy (Abramowitz–Stegun 7.1.26 is only 1.5e-7 absolute). f32
 * rounding adds a few ulp. Measured against float64 over [−12, 12] (lavapipe): GELU within 3.7e-7 absolute (the
 * f32 rounding of x·Φ(x) at |x| = 12), its gradient within 2e-7.
 */
function erfcExpr(z: string): string {
  const t = `(1.0 / (1.0 + 0.5 * ${z}))`;
  const coefficients = [1.00002368, 0.37409196, 0.09678418, -0.18628806, 0.27886807, -1.13520398, 1.48851587, -0.82215223, 0.17087277];
  // Horner's rule from the innermost coefficient outwards.
  const [innermost, ...outer] = [...coefficients].reverse();
  const poly = outer.reduce((inner, c) => `(${f32(c)} + ${t} * ${inner})`, f32(innermost!));
  return `(${t} * exp(-${z} * ${z} - 1.26551223 + ${t} * ${poly}))`;
}

/**
 * Φ(x) = erfc(−x/√2)/2 for x < 0 and 1 − erfc(x/√2)/2 otherwise, written |step(0, x) − erfc(|x|/√2)/2| so
 * that erfc is printed once (h = erfc/2 ≤ 1/2: the two cases are h and 1 − h).
 */
function normalCdfExpr(x: string): string {
  return `abs(step(0.0, ${x}) - 0.5 * ${erfcExpr(`(abs(${x}) * ${f32(Math.SQRT1_2)})`)})`;
}

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
