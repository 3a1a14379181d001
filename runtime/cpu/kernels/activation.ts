// CPU reference kernels of the activation family (see runtime/cpu/kernels.ts for the contract).
import { forEachLine, map, type Kernel } from "../kernels.js";
import { zeros } from "../tensor.js";

const SQRT1_2 = Math.SQRT1_2;
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

/**
 * erfc(z) to float64 precision (relative error ~1e-15): for |z| < 2 through the series
 * erf(z) = 2/√π·e^(−z²)·Σ 2ⁿz^(2n+1)/(1·3·…·(2n+1)), whose terms are all positive (no cancellation); beyond,
 * through the continued fraction of erfc, which converges fast there and keeps the tail's relative accuracy.
 */
export function erfc(z: number): number {
  if (Number.isNaN(z)) return NaN;
  if (z < 0) return 2 - erfc(-z);
  if (z < 2) {
    let term = z;
    let sum = z;
    for (let n = 1; term > 1e-17 * sum; n++) {
      term *= (2 * z * z) / (2 * n + 1);
      sum += term;
    }
    return 1 - (2 / Math.sqrt(Math.PI)) * Math.exp(-z * z) * sum;
  }
  // erfc(z) = e^(−z²)/√π · 1/(z + (1/2)/(z + 1/(z + (3/2)/(z + 2/(z + …))))), evaluated from the tail.
  let fraction = z;
  for (let k = 160; k >= 1; k--) fraction = z + k / 2 / fraction;
  return Math.exp(-z * z) / Math.sqrt(Math.PI) / fraction;
}

/** The standard normal CDF Φ(x) = erfc(−x/√2)/2, accurate in both tails. */
export function normalCdf(x: number): number {
  return 0.5 * erfc(-x * SQRT1_2);
}

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

export const ACTIVATION_KERNELS: Record<string, Kernel> = {
  elu: ([x], attrs) => map(x!, (v) => (v > 0 ? v : (attrs["alpha"] as number) * Math.expm1(v))),
  elu_grad: ([y, g], attrs) => map(g!, (d, i) => (y!.data[i]! > 0 ? d : d * (y!.data[i]! + (attrs["alpha"] as number)))),
  gelu: ([x]) => map(x!, (v) => v * normalCdf(v)),
  gelu_grad: ([x, g]) => map(g!, (d, i) => {
    const v = x!.data[i]!;
    return d * (normalCdf(v) + v * INV_SQRT_2PI * Math.exp(-0.5 * v * v));
  }),
  silu: ([x]) => map(x!, (v) => v * sigmoid(v)),
  silu_grad: ([x, g]) => map(g!, (d, i) => {
    const s = sigmoid(x!.data[i]!);
    return d * s * (1 + x!.data[i]! * (1 - s));
  }),
  log_softmax: ([x], attrs) => {
    const out = zeros(x!.shape, x!.data);
    forEachLine(x!.shape, attrs["axis"] as number, (start, stride, size) => {
      let max = -Infinity;
      for (let k = 0; k < size; k++) max = Math.max(max, x!.data[start + k * stride]!);
      let sum = 0;
      for (let k = 0; k < size; k++) sum += Math.exp(x!.data[start + k * stride]! - max);
      const shift = max + Math.log(sum);
      for (let k = 0; k < size; k++) out.data[start + k * stride] = x!.data[start + k * stride]! - shift;
    });
    return out;
  },
  log_softmax_grad: ([y, g], attrs) => {
    const out = zeros(y!.shape, y!.data);
    forEachLine(y!.shape, attrs["axis"] as number, (start, stride, size) => {
      let total = 0;
      for (let k = 0; k < size; k++) total += g!.data[start + k * stride]!;
      for (let k = 0; k < size; k++) out.data[start + k * stride] = g!.data[start + k * stride]! - Math.exp(y!.data[start + k * stride]!) * total;
    });
    return out;
  },
  scale_rows: ([a, s]) => map(a!, (v, i) => v * s!.data[Math.floor(i / a!.shape[1]!)]!),
  row_dot: ([a, b]) => {
    const [rows, cols] = [a!.shape[0]!, a!.shape[1]!];
    const out = zeros([rows, 1], a!.data);
    for (let r = 0; r < rows; r++) {
      let sum = 0;
      for (let c = 0; c < cols; c++) sum += a!.data[r * cols + c]! * b!.data[r * cols + c]!;
      out.data[r] = sum;
    }
    return out;
  },
  row_norm: ([v]) => {
    const [rows, cols] = [v!.shape[0]!, v!.shape[1]!];
    const out = zeros([rows, 1], v!.data);
    for (let r = 0; r < rows; r++) {
      let sum = 0;
      for (let c = 0; c < cols; c++) sum += v!.data[r * cols + c]! ** 2;
      out.data[r] = Math.sqrt(sum);
    }
    return out;
  },
};
