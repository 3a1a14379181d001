// Fusion of elementwise chains: a value with exactly one consumer, computed elementwise with the same shape
// as that consumer, is folded into the consumer's kernel. Each fused kernel evaluates its little expression
// tree per element in registers; only its leaves (other kernels' outputs, parameters, inputs) are read from
// memory, with broadcasting resolved at the leaves. Decided here, in one pass over the graph; the emitter
// only prints the result.
import type { ProgramNode } from "../../runtime/program.js";
import { broadcastIndex, countExpr, GLOBALS_WGSL, HASH_WGSL } from "./common.js";
import { elementwiseExpr, isElementwise } from "./elementwise.js";
import type { KernelSource } from "./kernels.js";
import { normApplyExpr } from "./ops/norm.js";

export { isElementwise };

/**
 * Ops a fused chain may hold besides the elementwise table: `norm_apply` (elementwise in x, its statistics
 * and γ, β read at the element's group and channel) and `select_mode` (the mode's branch, a plain alias).
 */
export function isFusible(op: string): boolean {
  return isElementwise(op) || op === "norm_apply" || op === "select_mode";
}

/** The inputs a node reads in this mode: select_mode reads only its mode's branch. */
function modeInputs(node: ProgramNode, training: boolean): number[] {
  return node.op === "select_mode" ? [node.inputs[training ? 0 : 1]!] : node.inputs;
}

/** Whether `node` is the root of a fused kernel (it consumes a value folded into it). */
export function hasFusedInput(node: ProgramNode, internal: FusedGroups, training: boolean): boolean {
  return isFusible(node.op) && modeInputs(node, training).some((i) => foldedInto(i, node.id, internal));
}

function sameShape(a: ProgramNode["shape"], b: ProgramNode["shape"]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/**
 * Which nodes fold into a consumer's kernel. `consumers` counts uses in this mode; `fixed` nodes (targets,
 * values other fusions produce) always keep their own buffer. A value with several consumers still folds
 * into its first fusible consumer of the same shape when every other consumer runs after that kernel: the
 * kernel then writes it too (`exported`), which costs the same store its own kernel would have made.
 */
export function elementwiseGroups(nodes: ProgramNode[], need: boolean[], consumers: Map<number, number[]>, fixed: Set<number>, training: boolean): FusedGroups {
  const target = new Map<number, number>();
  const internal: FusedGroups = Object.assign(new Set<number>(), { target });
  const fusible = (n: ProgramNode) => need[n.id] && !fixed.has(n.id) && isFusible(n.op) && (n.op !== "dropout" || training);
  for (const node of nodes) {
    if (!fusible(node)) continue;
    const users = consumers.get(node.id) ?? [];
    const candidates = users.filter((u) => fusible(nodes[u]!) && sameShape(node.shape, nodes[u]!.shape));
    if (candidates.length === 0) continue;
    internal.add(node.id);
    target.set(node.id, Math.min(...candidates));
  }
  // Another consumer must run after the kernel that writes the value: the root of its group. A select_mode
  // is never a root: the planner makes it an alias of its branch, which must then have its own buffer.
  const rootOf = (id: number): number => (internal.has(id) ? rootOf(target.get(id)!) : id);
  let changed = true;
  while (changed) {
    changed = false;
    for (const id of [...internal]) {
      const root = rootOf(id);
      if (nodes[root]!.op !== "select_mode" && (consumers.get(id) ?? []).every((u) => u === target.get(id) || u > root)) continue;
      internal.delete(id);
      changed = true;
    }
  }
  capBindings(nodes, internal, consumers, training);
  return internal;
}

/** The folded nodes, each with the consumer whose kernel computes it (`target`; tests may omit it). */
export type FusedGroups = Set<number> & { target?: Map<number, number> };

/** Whether `input` is computed inside the kernel of its consumer `id`. */
function foldedInto(input: number, id: number, internal: FusedGroups): boolean {
  return internal.has(input) && (internal.target?.get(input) ?? id) === id;
}

/** Members of a group that other kernels read too, so the group's kernel stores them. */
function exportedOf(id: number, internal: Set<number>, consumers: Map<number, number[]>): boolean {
  return internal.has(id) && (consumers.get(id) ?? []).length > 1;
}

/**
 * WebGPU's default limit of storage buffers per shader stage (8): a fused kernel binds its leaves and its
 * outputs, so a group may use at most 8 bindings. Walking the graph in order, a node whose group would bind
 * more cuts off its largest fused input, which gets a kernel of its own and counts as one leaf; a long sum
 * (of many L2 terms) becomes a few kernels of 7 terms rather than one too wide for the device.
 */
export const MAX_STORAGE_BINDINGS = 8;

function capBindings(nodes: ProgramNode[], internal: FusedGroups, consumers: Map<number, number[]>, training: boolean): void {
  const leaves = new Map<number, Set<number>>();
  const outputs = new Map<number, number>();
  for (const node of nodes) {
    const inputs = modeInputs(node, training);
    const gather = () => new Set(inputs.flatMap((input) => (foldedInto(input, node.id, internal) ? [...leaves.get(input)!] : [input])));
    // Members of the group so far that it must store besides its root (counted once per path: an upper bound).
    const exported = () => inputs.reduce((n, input) => n + (foldedInto(input, node.id, internal) ? outputs.get(input)! + (exportedOf(input, internal, consumers) ? 1 : 0) : 0), 0);
    let own = gather();
    while (own.size + 1 + exported() > MAX_STORAGE_BINDINGS) {
      const fused = inputs.filter((input) => foldedInto(input, node.id, internal));
      if (fused.length === 0) break;
      internal.delete(fused.reduce((a, b) => (leaves.get(b)!.size > leaves.get(a)!.size ? b : a)));
      own = gather();
    }
    leaves.set(node.id, own);
    outputs.set(node.id, exported());
  }
}

/** The fused kernel of `root`, folding in the `internal` nodes it (transitively) consumes. */
export function emitFused(root: ProgramNode, nodes: ProgramNode[], internal: FusedGroups, resolve: (id: number) => number, training: boolean, consumers?: Map<number, number[]>, columnSum?: ProgramNode): KernelSource {
  const members: number[] = [];
  const visit = (id: number) => {
    if (members.includes(id)) return;
    for (const input of modeInputs(nodes[id]!, training)) if (foldedInto(input, id, internal)) visit(input);
    members.push(id);
  };
  visit(root.id);
  const leaves: number[] = [];
  const lines: string[] = [];
  const leafAt = (id: number, index: string): string => {
    const leaf = resolve(id);
    let k = leaves.indexOf(leaf);
    if (k < 0) {
      k = leaves.length;
      leaves.push(leaf);
    }
    return `in${k}[${index}]`;
  };
  const value = (id: number): string => (members.includes(id) ? `v${id}` : leafAt(id, broadcastIndex(root.shape, nodes[id]!.shape)));
  let needsHash = false;
  for (const id of members) {
    const node = nodes[id]!;
    needsHash ||= training && node.op === "dropout";
    const expr =
      node.op === "select_mode"
        ? value(modeInputs(node, training)[0]!)
        : node.op === "norm_apply"
          ? normApplyExpr(node, node.shape, (k, index) => (k === 0 ? value(node.inputs[0]!) : leafAt(node.inputs[k]!, index)))
          : elementwiseExpr(node.op, node.inputs.map(value), node.attrs, training);
    lines.push(`let v${id} = ${expr};`);
  }
  const exported = consumers ? members.filter((id) => id !== root.id && exportedOf(id, internal, consumers)) : [];
  const bindings = [...leaves.map((node) => ({ node, write: false })), { node: root.id, write: true }, ...exported.map((node) => ({ node, write: true }))];
  const names = [...leaves.map((_, k) => `in${k}`), "out", ...exported.map((id) => `out${id}`)];
  if (columnSum) {
    bindings.push({ node: columnSum.id, write: true });
    names.push("columnSum");
  }
  const decls = bindings.map((b, k) => `@group(0) @binding(${k + 1}) var<storage, ${b.write ? "read_write" : "read"}> ${names[k]}: array<f32>;`).join("\n");
  const stores = exported.map((id) => `out${id}[i] = v${id};\n  `).join("");
  if (columnSum) return columnSumKernel(root, nodes, members, columnSum, bindings, `${GLOBALS_WGSL}${needsHash ? HASH_WGSL : ""}${decls}`, `${lines.join("\n    ")}\n    ${stores.replace(/\n  /g, "\n    ")}out[i] = v${root.id};`);
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
  ${stores}out[i] = v${root.id};
}
`,
  };
}

/**
 * BatchNorm's running-estimate updates that fold into the kernel computing their statistics (training
 * only): statistics node → its update. Per-channel statistics only (`mode: "batch"`), where the thread
 * finishing a channel's moments holds everything the channel's update needs.
 */
export function foldedRunningUpdates(nodes: ProgramNode[], need: boolean[], training: boolean): Map<number, ProgramNode> {
  const folded = new Map<number, ProgramNode>();
  if (!training) return folded;
  for (const node of nodes) {
    if (!need[node.id] || node.op !== "norm_running_update") continue;
    const stats = nodes[node.inputs[0]!]!;
    if (stats.op === "norm_stats" && stats.attrs["mode"] === "batch" && !folded.has(stats.id)) folded.set(stats.id, node);
  }
  return folded;
}

/**
 * γ's and β's gradients (`norm_row` of per-channel sums) that the sums' kernel writes itself: sums node →
 * its row nodes. Only when the sums are per channel with no batch axis, so group g is row element g.
 */
export function foldedNormRows(nodes: ProgramNode[], need: boolean[], consumers: Map<number, number[]>): Map<number, ProgramNode[]> {
  const folded = new Map<number, ProgramNode[]>();
  for (const node of nodes) {
    if (!need[node.id] || node.op !== "norm_grad_sums" || node.attrs["reduce"] !== "channels" || node.shape.length !== 2) continue;
    const rows = (consumers.get(node.id) ?? []).map((id) => nodes[id]!).filter((n) => n.op === "norm_row");
    if (rows.length) folded.set(node.id, rows);
  }
  return folded;
}

/** Bias gradients per merged kernel: two bindings each, within the 8 storage buffers. */
const SUMS_PER_KERNEL = 4;

/**
 * Bias gradients (`sum_to` of [N, F] to [F] that only the optimizer reads) summed by one kernel per few
 * layers instead of one each: the kernel runs where the last of them would, when all their inputs exist.
 * Returns, for that last node, the whole group; the others need no kernel.
 */
export function mergedColumnSums(nodes: ProgramNode[], need: boolean[], consumers: Map<number, number[]>, targets: Set<number>, foldedSums: Set<number> = new Set()): Map<number, ProgramNode[]> {
  const sums = nodes.filter((n) => isColumnSum(n, nodes, need, consumers, targets) && !foldedSums.has(n.id));
  const merged = new Map<number, ProgramNode[]>();
  for (let k = 0; k + 1 < sums.length; k += SUMS_PER_KERNEL) {
    const group = sums.slice(k, k + SUMS_PER_KERNEL);
    if (group.length > 1) merged.set(group[group.length - 1]!.id, group);
  }
  return merged;
}

/**
 * The kernel of a `mergedColumnSums` group: a thread per column of all of them, each summing its column over
 * the batch in row order, as the one-per-op `sum_to` kernel does (so the sums round the same).
 */
export function emitColumnSums(group: ProgramNode[], nodes: ProgramNode[], resolve: (id: number) => number): KernelSource {
  const inputs = group.map((n) => resolve(n.inputs[0]!));
  const bindings = [...inputs.map((node) => ({ node, write: false })), ...group.map((n) => ({ node: n.id, write: true }))];
  const names = [...inputs.map((_, k) => `in${k}`), ...group.map((_, k) => `out${k}`)];
  const decls = bindings.map((b, k) => `@group(0) @binding(${k + 1}) var<storage, ${b.write ? "read_write" : "read"}> ${names[k]}: array<f32>;`).join("\n");
  const widths = group.map((n) => n.shape[0] as number);
  const total = widths.reduce((a, b) => a + b, 0);
  const rows = countExpr([nodes[group[0]!.inputs[0]!]!.shape[0]!]);
  let start = 0;
  const branches = group.map((_, k) => {
    const f = widths[k]!;
    const branch = `if (j < ${start + f}u) {
    let c = j - ${start}u;
    var acc = 0.0;
    for (var r = c; r < ${rows} * ${f}u; r = r + ${f}u) { acc = acc + in${k}[r]; }
    out${k}[c] = acc;
    return;
  }`;
    start += f;
    return branch;
  });
  return {
    label: `sum_to ${group.map((n) => `#${n.id}`).join(" ")}`,
    bindings,
    dispatch: { kind: "elements", shape: [total] },
    code: `${GLOBALS_WGSL}${decls}
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let j = gid.x;
  ${branches.join("\n  ")}
}
`,
  };
}

/**
 * Softmax cross-entropy gradients computed by their loss's kernel (`softmaxCrossEntropyWithGrad`): loss
 * node → gradient node (and the bias gradient summing it, if any), when the gradient's seed is a literal (nothing else to wait for) and both read the
 * same logits and labels with the same smoothing and reduction.
 */
export function mergedLossGrads(nodes: ProgramNode[], need: boolean[], consumers: Map<number, number[]>, targets: Set<number>): Map<number, { grad: ProgramNode; sum?: ProgramNode }> {
  const merged = new Map<number, { grad: ProgramNode; sum?: ProgramNode }>();
  for (const grad of nodes) {
    if (!need[grad.id] || grad.op !== "softmax_cross_entropy_grad" || grad.attrs["seed"] === undefined) continue;
    const loss = nodes.find(
      (n) => need[n.id] && n.op === "softmax_cross_entropy" && n.inputs[0] === grad.inputs[0] && n.inputs[1] === grad.inputs[1] && n.attrs["smoothing"] === grad.attrs["smoothing"] && n.attrs["reduction"] === grad.attrs["reduction"],
    );
    if (!loss || merged.has(loss.id)) continue;
    // The last layer's bias gradient: its column sums, after the rows (one workgroup sees all of them).
    const sum = (consumers.get(grad.id) ?? []).map((id) => nodes[id]!).find((n) => isColumnSum(n, nodes, need, consumers, targets));
    merged.set(loss.id, { grad, sum });
  }
  return merged;
}

/**
 * A fused elementwise kernel that also sums its [N, F] result over the batch (a bias gradient): a thread per
 * column walks the rows, computing and storing each element and adding it up in row order, as the one-per-op
 * `sum_to` kernel does (so the sum rounds the same). Tinygrad's elementwise-into-reduction fusion, for the
 * one reduction a dense layer's backward pass has besides its matmuls.
 */
function columnSumKernel(root: ProgramNode, nodes: ProgramNode[], members: number[], sum: ProgramNode, bindings: KernelSource["bindings"], header: string, body: string): KernelSource {
  const width = sum.shape[0] as number;
  return {
    label: `${members.map((id) => nodes[id]!.op).join("+")} #${root.id} + sum_to #${sum.id}`,
    bindings,
    dispatch: { kind: "elements", shape: [width] },
    code: `${header}
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let c = gid.x;
  if (c >= ${width}u) { return; }
  var acc = 0.0;
  for (var i = c; i < ${countExpr(root.shape)}; i = i + ${width}u) {
    ${body}
    acc = acc + v${root.id};
  }
  columnSum[c] = acc;
}
`,
  };
}

/** Whether `sum` is a bias gradient: [N, F] summed to [F], a target nothing else in the step reads. */
export function isColumnSum(sum: ProgramNode, nodes: ProgramNode[], need: boolean[], consumers: Map<number, number[]>, targets: Set<number>): boolean {
  if (!need[sum.id] || sum.op !== "sum_to" || !targets.has(sum.id) || (consumers.get(sum.id) ?? []).length > 0) return false;
  const from = nodes[sum.inputs[0]!]!.shape;
  return from.length === 2 && sum.shape.length === 1 && from[1] === sum.shape[0] && typeof sum.shape[0] === "number";
}

/**
 * Bias gradients summed by the kernel of the elementwise value they sum (a relu_grad, say): producer → its
 * sum_to. The producer must be a kernel's root of its own (not folded into another, not another fusion's
 * output), and the sum binds one more buffer, so the group must leave room for it.
 */
export function columnSumsIntoProducers(nodes: ProgramNode[], need: boolean[], consumers: Map<number, number[]>, targets: Set<number>, fixed: Set<number>, internal: FusedGroups, training: boolean): Map<number, ProgramNode> {
  const folded = new Map<number, ProgramNode>();
  for (const sum of nodes) {
    if (!isColumnSum(sum, nodes, need, consumers, targets)) continue;
    const producer = nodes[sum.inputs[0]!]!;
    if (folded.has(producer.id) || fixed.has(producer.id) || internal.has(producer.id) || !isFusible(producer.op) || producer.op === "select_mode") continue;
    if (producer.op === "dropout" && !training) continue;
    if (bindingsOf(producer, nodes, internal, consumers, training) + 1 > MAX_STORAGE_BINDINGS) continue;
    folded.set(producer.id, sum);
  }
  return folded;
}

/** The bindings of the fused kernel rooted at `root`: its leaves, its output and its exported members. */
function bindingsOf(root: ProgramNode, nodes: ProgramNode[], internal: FusedGroups, consumers: Map<number, number[]>, training: boolean): number {
  const leaves = new Set<number>();
  let exported = 0;
  const visit = (id: number, top: boolean) => {
    if (!top && exportedOf(id, internal, consumers)) exported++;
    for (const input of modeInputs(nodes[id]!, training)) {
      if (foldedInto(input, id, internal)) visit(input, false);
      else leaves.add(input);
    }
  };
  visit(root.id, true);
  return leaves.size + 1 + exported;
}
