// Builds the InferenceProgram (runtime/inference/types.ts) of a trained program: evaluation mode, dropout
// gone, BatchNorm folded into the layer before it, RepVGG branches merged, node ids compacted, and the
// folded weights. What cannot be folded stays as an evaluation-mode op, correct but unfolded.
import type { Program, ProgramNode } from "../../runtime/program.js";
import type { Tensor } from "../../runtime/cpu/tensor.js";
import type { InferenceProgram } from "../../runtime/inference/types.js";
import { evalGraph } from "./from-program.js";
import { foldAffine } from "./fold.js";
import { mergeBranches } from "./branches.js";
import { predictionRule } from "../../runtime/ensemble/average.js";
import type { WorkGraph } from "./work-graph.js";

export interface ExportedModel {
  program: InferenceProgram;
  /** Float32 tensors named as the program's `param` nodes are. */
  weights: Map<string, Tensor>;
  /** What the rewrite did, for the command's summary and the tests. */
  stats: { foldedOps: number; mergedBranches: number; nodesBefore: number; nodesAfter: number };
}

export function buildInference(program: Program, weights: ReadonlyMap<string, Tensor>): ExportedModel {
  const graph = evalGraph(program, weights);
  const nodesBefore = graph.live().length;
  let foldedOps = 0;
  let mergedBranches = 0;
  // Merging turns adds into convs, after which a following affine (a BatchNorm after a residual sum) folds too.
  for (let round = 0; round < 8; round++) {
    const f = foldAffine(graph);
    const m = mergeBranches(graph);
    foldedOps += f;
    mergedBranches += m;
    if (f + m === 0) break;
  }
  const { nodes, input, output, tensors } = compact(graph);
  const shapeOf = (id: number) => nodes[id]!.shape.slice(1) as number[];
  return {
    program: {
      format: "dslc-inference/1",
      model: program.model,
      nodes,
      input,
      output,
      inputShape: shapeOf(input),
      outputShape: shapeOf(output),
      task: program.task,
      prediction: predictionRule(program),
    },
    weights: tensors,
    stats: { foldedOps, mergedBranches, nodesBefore, nodesAfter: nodes.length },
  };
}

/** Live nodes renumbered in dependency order; constants become `param` nodes named after their tensors. */
function compact(graph: WorkGraph): { nodes: ProgramNode[]; input: number; output: number; tensors: Map<string, Tensor> } {
  const ids = new Map<number, number>();
  const nodes: ProgramNode[] = [];
  const tensors = new Map<string, Tensor>();
  for (const old of graph.live()) {
    const node = graph.nodes[old]!;
    const id = nodes.length;
    ids.set(old, id);
    if (node.op === "const") {
      const name = unique(node.name ?? `const.${id}`, tensors);
      const shape = node.value!.shape;
      tensors.set(name, { shape: [...shape], data: Float32Array.from(node.value!.data) });
      nodes.push({ id, op: "param", inputs: [], shape: [...shape], attrs: { shape: [...shape] }, name });
      continue;
    }
    nodes.push({ id, op: node.op, inputs: node.inputs.map((i) => ids.get(i)!), shape: node.shape, attrs: node.attrs, ...(node.name ? { name: node.name } : {}) });
  }
  return { nodes, input: ids.get(graph.input)!, output: ids.get(graph.output)!, tensors };
}

function unique(name: string, taken: Map<string, unknown>): string {
  if (!taken.has(name)) return name;
  for (let k = 2; ; k++) if (!taken.has(`${name}.${k}`)) return `${name}.${k}`;
}
