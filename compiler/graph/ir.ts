// The graph IR: a list of nodes in topological order, each an op from the registry (ops.ts) with input node
// ids, a static shape (dimension "N" is the batch, bound when the program runs) and attributes. Plain data:
// the CPU reference backend interprets it, and the WGSL code generator will compile it.

export type Dim = number | "N";
export type Shape = Dim[];

export type Attrs = Record<string, number | string | boolean | Dim[]>;

export interface GraphNode {
  id: number;
  op: string;
  inputs: number[];
  shape: Shape;
  attrs: Attrs;
  /** What a person would call it (`fc1.weight`, `h`), for error messages and generated code. */
  name?: string;
}

import type { InitSpec, ProgramParam } from "../../runtime/program.js";
export type { InitSpec };

/** A trainable parameter: the runtime's ProgramParam (name, shape, initializer, role, fans). */
export type ParamInfo = ProgramParam;

/** Non-trainable state that the training step updates (BatchNorm running statistics). */
export interface StateInfo {
  node: number;
  name: string;
  shape: number[];
  fill: number;
}

export class Graph {
  readonly nodes: GraphNode[] = [];
  readonly params: ParamInfo[] = [];
  readonly state: StateInfo[] = [];

  add(op: string, inputs: number[], shape: Shape, attrs: Attrs = {}, name?: string): number {
    const id = this.nodes.length;
    this.nodes.push({ id, op, inputs, shape, attrs, name });
    return id;
  }

  shape(id: number): Shape {
    return this.nodes[id]!.shape;
  }
}
