// The evaluation-mode forward graph of a trained program: the eval branch of every `select_mode`, dropout
// removed, parameters and running statistics bound to their trained values, and every node computed from
// constants alone evaluated once (e.g. rsqrt of a running variance, a weight-normalized weight).
import type { Program } from "../../runtime/program.js";
import type { Tensor } from "../../runtime/cpu/tensor.js";
import { ALL_KERNELS } from "../../runtime/cpu/all-kernels.js";
import { resolveShape } from "../../runtime/cpu/kernels.js";
import { ExportError } from "./errors.js";
import { f64, WorkGraph } from "./work-graph.js";

export function evalGraph(program: Program, weights: ReadonlyMap<string, Tensor>): WorkGraph {
  const alias = new Map<number, number>();
  const copied = new Map<number, number>();
  const graph = new WorkGraph(-1, -1);
  const resolve = (id: number): number => {
    let at = id;
    while (alias.has(at)) at = alias.get(at)!;
    return at;
  };
  const needed = reachable(program);
  for (const node of program.nodes) {
    if (!needed.has(node.id)) continue;
    if (node.op === "select_mode") {
      alias.set(node.id, node.inputs[1]!);
      continue;
    }
    if (node.op === "dropout") {
      alias.set(node.id, node.inputs[0]!);
      continue;
    }
    // Whatever else the output reaches in evaluation mode is what the CPU reference computes there, so it
    // exports as it is (layer and group norm keep their per-example statistics).
    if (node.op === "param" || node.op === "state") {
      const tensor = weights.get(node.name!);
      const shape = node.shape as number[];
      if (!tensor) throw new ExportError("E0820", `the weights have no tensor \`${node.name}\``, "pass weights trained from this model (a checkpoint written by `dslc train` on this file)");
      if (tensor.shape.join(",") !== shape.join(",")) throw new ExportError("E0820", `tensor \`${node.name}\` has shape [${tensor.shape.join(", ")}], but the model's parameter is [${shape.join(", ")}]`, "pass weights trained from this model; a changed layer size needs retraining");
      copied.set(node.id, graph.add({ op: "const", inputs: [], shape, attrs: {}, name: node.name, value: f64(tensor) }));
      continue;
    }
    const inputs = node.inputs.map((i) => copied.get(resolve(i))!);
    const id = graph.add({ op: node.op, inputs, shape: node.shape, attrs: node.attrs, name: node.name });
    copied.set(node.id, id);
    if (node.op === "input") graph.input = id;
    else if (inputs.length > 0 && inputs.every((i) => graph.constant(i)) && !node.shape.includes("N")) fold(graph, id);
  }
  graph.output = copied.get(resolve(program.output))!;
  if (graph.input < 0) graph.input = graph.add({ op: "input", inputs: [], shape: program.nodes[program.input]!.shape, attrs: program.nodes[program.input]!.attrs, name: program.nodes[program.input]!.name });
  return graph;
}

function fold(graph: WorkGraph, id: number): void {
  const node = graph.nodes[id]!;
  const kernel = ALL_KERNELS[node.op];
  if (!kernel) return;
  const ctx = { seed: 0, step: 0, training: false, batch: 1 };
  const value = kernel(node.inputs.map((i) => graph.constant(i)!), node.attrs, ctx, resolveShape(node.shape, 1));
  graph.nodes[id] = { op: "const", inputs: [], shape: node.shape, attrs: {}, value, name: node.name };
}

/** The nodes the output needs in evaluation mode. */
function reachable(program: Program): Set<number> {
  const seen = new Set<number>([program.input]);
  const stack = [program.output];
  while (stack.length) {
    const id = stack.pop()!;
    if (seen.has(id) && id !== program.input) continue;
    seen.add(id);
    const node = program.nodes[id]!;
    stack.push(...(node.op === "select_mode" ? [node.inputs[1]!] : node.inputs));
  }
  return seen;
}
