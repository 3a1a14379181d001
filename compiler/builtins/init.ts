// Initializers (features.md §5): used as `init:` / `bias_init:` arguments and in `param(...)`.
import type { BuiltinSpec, ParamSpec } from "./types.js";

const gain: ParamSpec = { name: "gain", type: { t: "number", min: 0, minExclusive: true }, default: 1, doc: "Scale factor (e.g. √2 for ReLU)." };
const xavierMode: ParamSpec = { name: "mode", type: { t: "enum", values: ["fan_avg", "fan_in"] }, default: "fan_avg", doc: "Average of fan_in and fan_out (Glorot and Bengio), or fan_in only (Caffe's xavier filler; what `compat caffe` picks)." };
const kaiming: ParamSpec[] = [
  { name: "a", type: { t: "number", min: 0 }, default: 0, doc: "Negative slope of the following leaky ReLU (gain √(2/(1+a²)))." },
  { name: "mode", type: { t: "enum", values: ["fan_in", "fan_out"] }, default: "fan_in", doc: "Preserve the variance of the forward (fan_in) or backward (fan_out) pass." },
  { name: "nonlinearity", type: { t: "enum", values: ["relu", "leaky_relu", "tanh", "sigmoid", "linear"] }, default: "leaky_relu", doc: "Sets the gain, as in PyTorch." },
];

export const INITIALIZERS: BuiltinSpec[] = [
  { name: "zeros", category: "init", doc: "All zeros.", params: [] },
  { name: "ones", category: "init", doc: "All ones.", params: [] },
  { name: "constant", category: "init", doc: "Every entry set to one value.", params: [{ name: "value", type: { t: "number" }, required: true, doc: "The value." }] },
  {
    name: "normal",
    category: "init",
    doc: "Gaussian N(mean, std²).",
    params: [
      { name: "mean", type: { t: "number" }, default: 0, doc: "Mean." },
      { name: "std", type: { t: "number", min: 0 }, default: 1, doc: "Standard deviation." },
    ],
  },
  {
    name: "uniform",
    category: "init",
    doc: "Uniform U(a, b).",
    params: [
      { name: "a", type: { t: "number" }, default: 0, doc: "Lower bound." },
      { name: "b", type: { t: "number" }, default: 1, doc: "Upper bound." },
    ],
  },
  { name: "xavier_uniform", category: "init", aliases: ["glorot_uniform"], doc: "U(−b, b) with b = gain·√(6/(fan_in + fan_out)); `mode: fan_in` is Caffe's xavier filler, b = gain·√(3/fan_in).", params: [gain, xavierMode] },
  { name: "xavier_normal", category: "init", aliases: ["glorot_normal"], doc: "N(0, s²) with s = gain·√(2/(fan_in + fan_out)); `mode: fan_in`: s = gain·√(1/fan_in).", params: [gain, xavierMode] },
  { name: "kaiming_uniform", category: "init", aliases: ["he_uniform"], doc: "U(−b, b) with b = gain·√(3/fan).", params: kaiming },
  { name: "kaiming_normal", category: "init", aliases: ["he_normal"], doc: "N(0, s²) with s = gain/√fan.", params: kaiming },
  { name: "orthogonal", category: "init", doc: "A (semi-)orthogonal matrix from the QR decomposition of a Gaussian matrix with sign correction, times gain.", params: [gain] },
  { name: "pytorch_default", category: "init", doc: "PyTorch's default for dense and conv: weights kaiming_uniform(a: √5), biases U(−1/√fan_in, 1/√fan_in).", params: [] },
];
