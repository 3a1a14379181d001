// The WGSL kernel of one node: the core ops (kernels.ts) and the families in ./ops/, one file each. An
// emitter returns undefined for nodes that need no kernel of their own (aliases).
import type { ProgramNode } from "../../runtime/program.js";
import { emitKernel, type KernelSource } from "./kernels.js";
import { ACTIVATION_EMITTERS } from "./ops/activation.js";
import { CONV_EMITTERS } from "./ops/conv.js";
import { LOSS_EMITTERS } from "./ops/loss.js";
import { NORM_EMITTERS } from "./ops/norm.js";
import { SPATIAL_EMITTERS } from "./ops/spatial.js";

export type Emitter = (node: ProgramNode, nodes: ProgramNode[], training: boolean) => KernelSource | undefined;

const FAMILIES: Record<string, Emitter> = { ...CONV_EMITTERS, ...NORM_EMITTERS, ...SPATIAL_EMITTERS, ...ACTIVATION_EMITTERS, ...LOSS_EMITTERS };

export function emitNode(node: ProgramNode, nodes: ProgramNode[], training: boolean): KernelSource | undefined {
  const family = FAMILIES[node.op];
  return family ? family(node, nodes, training) : emitKernel(node, nodes, training);
}
