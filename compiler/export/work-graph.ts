// The graph the exporter rewrites: the original program's evaluation-mode forward nodes, with constant
// nodes (parameters, running statistics, and anything computed from them alone) carrying their values in
// float64, so that folding rounds once, when the folded weights are written as float32.
import type { Tensor } from "../../runtime/cpu/tensor.js";
import type { Attrs } from "../../runtime/cpu/kernels.js";

export interface WorkNode {
  op: string;
  inputs: number[];
  shape: (number | "N")[];
  attrs: Attrs;
  name?: string;
  /** Set on constants (op "const"): the value, and the name its tensor gets in the exported weights. */
  value?: Tensor;
}

export class WorkGraph {
  readonly nodes: WorkNode[] = [];
  constructor(
    public input: number,
    public output: number,
  ) {}

  add(node: WorkNode): number {
    this.nodes.push(node);
    return this.nodes.length - 1;
  }

  constant(id: number): Tensor | undefined {
    return this.nodes[id]!.op === "const" ? this.nodes[id]!.value : undefined;
  }

  /** Consumers among the nodes the output still depends on (a rewritten node's old chain no longer counts). */
  consumers(): Map<number, number[]> {
    const live = this.live();
    const out = new Map<number, number[]>();
    for (const id of live) for (const i of this.nodes[id]!.inputs) out.set(i, [...(out.get(i) ?? []), id]);
    return out;
  }

  /** The nodes the output depends on, inputs before their consumers. */
  live(): number[] {
    const order: number[] = [];
    const seen = new Set<number>();
    const visit = (root: number) => {
      // Iterative post-order: deep networks would overflow the stack with recursion.
      const stack: [number, number][] = [[root, 0]];
      while (stack.length) {
        const top = stack[stack.length - 1]!;
        const [id, next] = top;
        if (next === 0 && seen.has(id)) {
          stack.pop();
          continue;
        }
        seen.add(id);
        const inputs = this.nodes[id]!.inputs;
        if (next < inputs.length) {
          top[1]++;
          if (!seen.has(inputs[next]!)) stack.push([inputs[next]!, 0]);
        } else {
          stack.pop();
          order.push(id);
        }
      }
    };
    visit(this.input);
    visit(this.output);
    return order;
  }
}

export function f64(t: Tensor): Tensor {
  return { shape: [...t.shape], data: Float64Array.from(t.data) };
}
