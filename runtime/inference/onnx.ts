// Writes an InferenceProgram and its weights as an ONNX model (opset 13, IR version 7): weights as
// initializers, one input `input` and the model's output `output` with a symbolic batch axis `N`, plus
// `probabilities` where the prediction rule turns the output into them (softmax, sigmoid, exp of
// log-probabilities), so that an ONNX consumer gets what predict.mts returns.
import type { Tensor } from "../cpu/tensor.js";
import type { InferenceProgram } from "./types.js";
import { emitNode, floatTensor, type OnnxNode, type OnnxTensor } from "./onnx-ops.js";
import { FLOAT, ModelProto } from "./onnx-schema.js";

export const ONNX_OPSET = 13;
const IR_VERSION = 7;

export function writeOnnx(program: InferenceProgram, weights: ReadonlyMap<string, Tensor>, producerVersion = "0.1.0"): Uint8Array {
  const nodes: OnnxNode[] = [];
  const initializers: OnnxTensor[] = [];
  const taken = new Set<string>();
  const names = new Map<number, string>();
  for (const node of program.nodes) {
    if (node.id === program.input) names.set(node.id, "input");
    else if (node.op === "param") names.set(node.id, node.name!);
    else names.set(node.id, `${node.op}_${node.id}`);
    taken.add(names.get(node.id)!);
  }
  names.set(program.output, "output");
  const name = (id: number) => names.get(id)!;
  const emit = {
    node: (n: Omit<OnnxNode, "name">) => nodes.push({ ...n, name: `${n.opType}_${nodes.length}` }),
    constant: (t: OnnxTensor) => {
      let unique = t.name;
      for (let k = 2; taken.has(unique); k++) unique = `${t.name}.${k}`;
      taken.add(unique);
      initializers.push({ ...t, name: unique });
      return unique;
    },
  };
  for (const node of program.nodes) {
    if (node.id === program.input) continue;
    if (node.op === "param") {
      const tensor = weights.get(node.name!);
      if (!tensor) throw new Error(`internal: no weights for parameter \`${node.name}\``);
      initializers.push(floatTensor(node.name!, tensor.shape, tensor.data));
      continue;
    }
    emitNode(node, program.nodes, name, emit);
  }
  const outputs = [valueInfo("output", program.nodes[program.output]!.shape)];
  const probabilities = probabilityOp(program);
  if (probabilities) {
    emit.node({ opType: probabilities.op, input: ["output"], output: ["probabilities"], attribute: probabilities.attribute });
    outputs.push(valueInfo("probabilities", program.nodes[program.output]!.shape));
  }
  const model = {
    irVersion: IR_VERSION,
    opsetImport: [{ domain: "", version: ONNX_OPSET }],
    producerName: "dslc",
    producerVersion,
    graph: { name: program.model, node: nodes, initializer: initializers, input: [valueInfo("input", program.nodes[program.input]!.shape)], output: outputs },
    metadataProps: [
      { key: "dslc.prediction", value: program.prediction },
      { key: "dslc.task", value: program.task },
    ],
  };
  return ModelProto.encode(ModelProto.fromObject(model)).finish();
}

function valueInfo(name: string, shape: (number | "N")[]) {
  return { name, type: { tensorType: { elemType: FLOAT, shape: { dim: shape.map((d) => (d === "N" ? { dimParam: "N" } : { dimValue: d })) } } } };
}

function probabilityOp(program: InferenceProgram): { op: string; attribute: Record<string, unknown>[] } | undefined {
  const axis = program.nodes[program.output]!.shape.length - 1;
  switch (program.prediction) {
    case "softmax":
      return { op: "Softmax", attribute: [{ name: "axis", i: axis, type: 2 }] };
    case "sigmoid":
      return { op: "Sigmoid", attribute: [] };
    case "log_probabilities":
      return { op: "Exp", attribute: [] };
    default:
      return undefined;
  }
}
