// Fusion of elementwise chains: a value with exactly one consumer, computed elementwise with the same shape
// as that consumer, is folded into the consumer's kernel. Each fused kernel evaluates its little expression
// tree per element in registers; only its leaves (other kernels' outputs, parameters, inputs) are read from
// memory, with broadcasting resolved at the leaves. Decided here, in one pass over the graph; the emitter
// only prints the result.
import type { ProgramNode } from "../../runtime/program.js";
import { broadcastIndex, countExpr, GLOBALS_WGSL, HASH_WGSL } from "./common.js";
import { elementwiseExpr, isElementwise } from "./elementwise.js";
import type { KernelSource } from "./kernels.js";

export { isElementwise };

function sameShape(a: ProgramNode["shape"], b: ProgramNode["shape"]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/**
 * Which nodes fold into their consumer's kernel. `consumers` counts uses in this mode; `fixed` nodes
 * (targets, values other fusions produce) always keep their own buffer.
 */
export function elementwiseGroups(nodes: ProgramNode[], need: boolean[], consumers: Map<number, number[]>, fixed: Set<number>, training: boolean): Set<number> {
  const internal = new Set<number>();
  const fusible = (n: ProgramNode) => need[n.id] && !fixed.has(n.id) && isElementwise(n.op) && (n.op !== "dropout" || training);
  for (const node of nodes) {
    if (!fusible(node)) continue;
    const users = consumers.get(node.id) ?? [];
    if (users.length !== 1) continue;
    const user = nodes[users[0]!]!;
    if (fusible(user) && sameShape(node.shape, user.shape)) internal.add(node.id);
  }
  capBindings(nodes, internal);
  return internal;
}

/**
 * WebGPU's default limit of storage buffers per shader stage (8): a fused kernel binds its leaves and its
 * output, so a group may read at most 7 leaves. Walking the graph in order, a node whose group would read
 * more cuts off its largest fused input, which gets a kernel of its own and counts as one leaf; a long sum
 * (of many L2 terms) becomes a few kernels of 7 terms rather than one too wide for the device.
 */
export const MAX_STORAGE_BINDINGS = 8;

function capBindings(nodes: ProgramNode[], internal: Set<number>): void {
  const leaves = new Map<number, Set<number>>();
  for (const node of nodes) {
    const gather = () => new Set(node.inputs.flatMap((input) => (internal.has(input) ? [...leaves.get(input)!] : [input])));
    let own = gather();
    while (own.size >= MAX_STORAGE_BINDINGS) {
      const fused = node.inputs.filter((input) => internal.has(input));
      if (fused.length === 0) break;
      internal.delete(fused.reduce((a, b) => (leaves.get(b)!.size > leaves.get(a)!.size ? b : a)));
      own = gather();
    }
    leaves.set(node.id, own);
  }
}

/** The fused kernel of `root`, folding in the `internal` nodes it (transitively) consumes. */
export function emitFused(root: ProgramNode, nodes: ProgramNode[], internal: Set<number>, resolve: (id: number) => number, training: boolean): KernelSource {
  const members: number[] = [];
  const visit = (id: number) => {
    if (members.includes(id)) return;
    for (const input of nodes[id]!.inputs) if (internal.has(input)) visit(input);
    members.push(id);
  };
  visit(root.id);
  const leaves: number[] = [];
  const lines: string[] = [];
  const value = (id: number): string => {
    if (members.includes(id)) return `v${id}`;
    const leaf = resolve(id);
    let k = leaves.indexOf(leaf);
    if (k < 0) {
      k = leaves.length;
      leaves.push(leaf);
    }
    return `in${k}[${broadcastIndex(root.shape, nodes[id]!.shape)}]`;
  };
  let needsHash = false;
  for (const id of members) {
    const node = nodes[id]!;
    needsHash ||= training && node.op === "dropout";
    lines.push(`let v${id} = ${elementwiseExpr(node.op, node.inputs.map(value), node.attrs, training)};`);
  }
  const bindings = [...leaves.map((node) => ({ node, write: false })), { node: root.id, write: true }];
  const decls = bindings.map((b, k) => `@group(0) @binding(${k + 1}) var<storage, ${b.write ? "read_write" : "read"}> ${b.write ? "out" : `in${k}`}: array<f32>;`).join("\n");
  return {
    label: `${members.map((id) => nodes[id]!.op).join("+")} #${root.id}`,
    bindings,
    dispatch: { kind: "elements", shape: root.shape },
    code: `${GLOBALS_WGSL}${needsHash ? HASH_WGSL : ""}${decls}
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = gid.x + gid.y * groups.x * 64u;
  if (i >= ${countExpr(root.shape)}) { return; }
  ${lines.join("\n  ")}
  out[i] = v${root.id};
}
`,
  };
}
