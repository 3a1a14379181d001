// An ensemble exported as one model: every member's folded graph on the shared input, each member's output
// turned into predictions by the loss's rule (softmax, sigmoid), and their mean as the output, as
// runtime/ensemble/average.ts averages them while training. Member tensors are named `member-<i>.<name>`.
import type { Program, ProgramNode } from "../../runtime/program.js";
import type { Tensor } from "../../runtime/cpu/tensor.js";
import { buildInference, type ExportedModel } from "./build.js";
import { ExportError } from "./errors.js";

export function buildEnsemble(program: Program, members: ReadonlyMap<string, Tensor>[]): ExportedModel {
  const exported = members.map((weights) => buildInference(program, weights));
  const first = exported[0]!.program;
  if (first.prediction === "log_probabilities")
    throw new ExportError("E0822", `the ensemble's members output log-probabilities (the model is trained with \`nll\` or \`kl_div\`), and exported models have no exp op to average them as probabilities`, "export one member at a time: `--weights DIR/member-0.safetensors`");
  const nodes: ProgramNode[] = [{ ...first.nodes[first.input]!, id: 0, inputs: [] }];
  const weights = new Map<string, Tensor>();
  const add = (node: Omit<ProgramNode, "id">) => nodes.push({ ...node, id: nodes.length }) - 1;
  const outputs: number[] = [];
  const predictions: number[] = [];
  exported.forEach((member, index) => {
    const ids = new Map<number, number>([[member.program.input, 0]]);
    for (const node of member.program.nodes) {
      if (node.id === member.program.input) continue;
      const name = node.op === "param" ? `member-${index}.${node.name}` : node.name;
      if (node.op === "param") weights.set(name!, member.weights.get(node.name!)!);
      ids.set(node.id, add({ op: node.op, inputs: node.inputs.map((i) => ids.get(i)!), shape: node.shape, attrs: node.attrs, ...(name ? { name } : {}) }));
    }
    const output = ids.get(member.program.output)!;
    outputs.push(output);
    const shape = nodes[output]!.shape;
    if (first.prediction === "softmax") predictions.push(add({ op: "softmax", inputs: [output], shape, attrs: { axis: shape.length - 1 } }));
    else if (first.prediction === "sigmoid") predictions.push(add({ op: "sigmoid", inputs: [output], shape, attrs: {} }));
    else predictions.push(output);
  });
  const shape = nodes[outputs[0]!]!.shape;
  let sum = predictions[0]!;
  for (const p of predictions.slice(1)) sum = add({ op: "add", inputs: [sum, p], shape, attrs: {} });
  const mean = add({ op: "scale", inputs: [sum], shape, attrs: { c: 1 / members.length } });
  const probabilities = first.prediction === "softmax" || first.prediction === "sigmoid" || first.prediction === "probabilities";
  const stats = exported.reduce((a, e) => ({ foldedOps: a.foldedOps + e.stats.foldedOps, mergedBranches: a.mergedBranches + e.stats.mergedBranches, nodesBefore: a.nodesBefore + e.stats.nodesBefore, nodesAfter: nodes.length }), { foldedOps: 0, mergedBranches: 0, nodesBefore: 0, nodesAfter: 0 });
  return { program: { ...first, nodes, input: 0, output: mean, prediction: probabilities ? "probabilities" : "identity", members: outputs }, weights, stats };
}
