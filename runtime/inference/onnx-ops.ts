// How each op of an InferenceProgram becomes ONNX nodes (opset 13). An op without a mapping is refused
// (E0821) naming it, never approximated. Batch-sized axes stay symbolic, so `model.onnx` takes any batch.
import type { ProgramNode } from "../program.js";
import { ATTR, FLOAT, INT64 } from "./onnx-schema.js";

export interface OnnxNode {
  opType: string;
  input: string[];
  output: string[];
  name: string;
  attribute: Record<string, unknown>[];
}

export interface OnnxTensor {
  name: string;
  dims: number[];
  dataType: number;
  rawData: Uint8Array;
}

/** Why a node has no ONNX form; the export command reports it as E0821. */
export class OnnxMappingError extends Error {
  readonly code = "E0821";
  constructor(
    message: string,
    readonly help: string,
  ) {
    super(message);
  }
}

const int = (name: string, i: number) => ({ name, i, type: ATTR.INT });
const float = (name: string, f: number) => ({ name, f, type: ATTR.FLOAT });
const ints = (name: string, values: number[]) => ({ name, ints: values, type: ATTR.INTS });

export function floatTensor(name: string, dims: number[], values: ArrayLike<number>): OnnxTensor {
  const raw = new Uint8Array(values.length * 4);
  const view = new DataView(raw.buffer);
  for (let i = 0; i < values.length; i++) view.setFloat32(i * 4, values[i]!, true);
  return { name, dims, dataType: FLOAT, rawData: raw };
}

function int64Tensor(name: string, values: number[]): OnnxTensor {
  const raw = new Uint8Array(values.length * 8);
  const view = new DataView(raw.buffer);
  values.forEach((v, i) => view.setBigInt64(i * 8, BigInt(v), true));
  return { name, dims: [values.length], dataType: INT64, rawData: raw };
}

/** Emits one program node; `name(id)` is the value name of node `id`, `out` this node's. */
export function emitNode(node: ProgramNode, nodes: ProgramNode[], name: (id: number) => string, emit: { node: (n: Omit<OnnxNode, "name">) => void; constant: (t: OnnxTensor) => string }): void {
  const out = name(node.id);
  const ins = node.inputs.map(name);
  const a = node.attrs;
  const simple = (opType: string, attribute: Record<string, unknown>[] = []) => emit.node({ opType, input: ins, output: [out], attribute });
  const scalar = (value: number) => emit.constant(floatTensor(`${out}.const${value}`.replace(/[^A-Za-z0-9_.-]/g, "_"), [], [value]));
  const through = (steps: [string, string[], Record<string, unknown>[]?][]) => {
    let last = "";
    steps.forEach(([opType, input, attribute], k) => {
      const output = k === steps.length - 1 ? out : `${out}.${k}`;
      emit.node({ opType, input: input.map((i) => (i === "$" ? last : i)), output: [output], attribute: attribute ?? [] });
      last = output;
    });
  };
  switch (node.op) {
    case "add":
    case "sub":
    case "mul":
    case "div":
      return simple(node.op[0]!.toUpperCase() + node.op.slice(1));
    case "relu":
    case "tanh":
    case "sigmoid":
    case "abs":
      return simple(node.op[0]!.toUpperCase() + node.op.slice(1));
    case "leaky_relu":
      return simple("LeakyRelu", [float("alpha", a["alpha"] as number)]);
    case "elu":
      return simple("Elu", [float("alpha", a["alpha"] as number)]);
    case "silu":
      return through([["Sigmoid", [ins[0]!]], ["Mul", [ins[0]!, "$"]]]);
    case "gelu":
      // x·Φ(x) with the exact normal CDF, as the CPU reference computes it (Gelu itself is opset 20).
      return through([["Div", [ins[0]!, scalar(Math.SQRT2)]], ["Erf", ["$"]], ["Add", ["$", scalar(1)]], ["Mul", ["$", ins[0]!]], ["Mul", ["$", scalar(0.5)]]]);
    case "softmax":
      return simple("Softmax", [int("axis", a["axis"] as number)]);
    case "log_softmax":
      return simple("LogSoftmax", [int("axis", a["axis"] as number)]);
    case "scale":
      return emit.node({ opType: "Mul", input: [ins[0]!, scalar(a["c"] as number)], output: [out], attribute: [] });
    case "pow":
      return emit.node({ opType: "Pow", input: [ins[0]!, scalar(a["p"] as number)], output: [out], attribute: [] });
    case "rsqrt":
      return through([["Add", [ins[0]!, scalar(a["eps"] as number)]], ["Sqrt", ["$"]], ["Reciprocal", ["$"]]]);
    case "materialize":
      return simple("Identity");
    case "concat":
      return simple("Concat", [int("axis", a["axis"] as number)]);
    case "matmul":
      if (nodes[node.inputs[0]!]!.shape.length !== 2 || nodes[node.inputs[1]!]!.shape.length !== 2) break;
      return simple("Gemm", [int("transA", a["transA"] ? 1 : 0), int("transB", a["transB"] ? 1 : 0)]);
    case "conv2d": {
      const w = nodes[node.inputs[1]!]!.shape as number[];
      const [ph, pw] = a["padding"] as number[];
      return simple("Conv", [ints("kernel_shape", w.slice(2)), ints("strides", a["stride"] as number[]), ints("pads", [ph!, pw!, ph!, pw!]), ints("dilations", (a["dilation"] as number[]) ?? [1, 1])]);
    }
    case "maxpool2d":
    case "avgpool2d": {
      const window = [ints("kernel_shape", [a["kh"] as number, a["kw"] as number]), ints("strides", [a["sh"] as number, a["sw"] as number]), ints("pads", [a["ph"], a["pw"], a["ph"], a["pw"]] as number[])];
      // The CPU reference divides every window by kh·kw, padding included (PyTorch's default).
      return node.op === "maxpool2d" ? simple("MaxPool", window) : simple("AveragePool", [...window, int("count_include_pad", 1)]);
    }
    case "reshape": {
      const shape = node.shape.map((d) => (d === "N" ? -1 : d));
      return emit.node({ opType: "Reshape", input: [ins[0]!, emit.constant(int64Tensor(`${out}.shape`, shape))], output: [out], attribute: [] });
    }
    case "norm_apply": {
      if (a["mode"] !== "batch" || !a["running"] || a["channelAxis"] !== 1) break;
      const channels = nodes[node.inputs[1]!]!.shape[0] as number;
      const [x, sumOrMean, sumOrVariance] = ins;
      // Caffe's statistics are sums divided by their scale factor (input 3) when used.
      const [gamma, beta] = a["scaled"] ? ins.slice(4) : ins.slice(3);
      const divided = (sum: string, k: string) => {
        emit.node({ opType: "Div", input: [sum, ins[3]!], output: [`${out}.${k}`], attribute: [] });
        return `${out}.${k}`;
      };
      const mean = a["scaled"] ? divided(sumOrMean!, "mean") : sumOrMean;
      const variance = a["scaled"] ? divided(sumOrVariance!, "var") : sumOrVariance;
      const scale = a["affine"] ? gamma! : emit.constant(floatTensor(`${out}.scale`, [channels], new Float32Array(channels).fill(1)));
      const bias = a["affine"] ? beta! : emit.constant(floatTensor(`${out}.bias`, [channels], new Float32Array(channels)));
      return emit.node({ opType: "BatchNormalization", input: [x!, scale, bias, mean!, variance!], output: [out], attribute: [float("epsilon", a["eps"] as number)] });
    }
  }
  throw new OnnxMappingError(`op \`${node.op}\` (${node.name ? `\`${node.name}\`` : `node ${node.id}`}) has no ONNX mapping in dslc`, "export without this layer, or use the WGSL/CPU bundle (predict.mts), which runs every op");
}
