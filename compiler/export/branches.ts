// Merges parallel branches summed by an `add` into one convolution (RepVGG, Ding et al. 2021): two convs
// of the same input become one with the smaller kernel zero-padded to the larger, centred; an identity or
// per-channel affine of the conv's own input (RepVGG's identity BatchNorm, a plain residual) becomes s on
// the kernel's centre tap of each channel's own filter and t in the bias. Runs after BatchNorm folding, so
// each branch's BatchNorm is already in its conv.
import { affineOf, type Affine } from "./affine.js";
import { linearOf, writeLinear, type Linear } from "./linear.js";
import type { WorkGraph } from "./work-graph.js";

type Branch = { kind: "conv"; layer: Linear } | { kind: "affine"; x: number; affine: Affine };

/** Returns how many `add`s were merged away. */
export function mergeBranches(graph: WorkGraph): number {
  let merged = 0;
  for (let changed = true; changed; ) {
    changed = false;
    const consumers = graph.consumers();
    for (const id of graph.live()) {
      const node = graph.nodes[id]!;
      if (node.op !== "add" || node.inputs.length !== 2 || node.inputs[0] === node.inputs[1]) continue;
      const [a, b] = node.inputs.map((i) => branchOf(graph, i, consumers));
      const layer = a && b ? merge(a, b) ?? merge(b, a) : undefined;
      if (!layer) continue;
      writeLinear(graph, id, layer);
      merged++;
      changed = true;
      break;
    }
  }
  return merged;
}

function branchOf(graph: WorkGraph, id: number, consumers: Map<number, number[]>): Branch | undefined {
  const layer = linearOf(graph, id);
  if (layer) return layer.kind === "conv2d" && (consumers.get(id) ?? []).length === 1 ? { kind: "conv", layer } : undefined;
  // A chain of affine ops back to its start; each link used only by the next.
  const channels = graph.nodes[id]!.shape[1];
  if (typeof channels !== "number") return undefined;
  const total: Affine = { s: new Float64Array(channels).fill(1), t: new Float64Array(channels) };
  let at = id;
  for (;;) {
    const node = graph.nodes[at]!;
    const from = node.inputs.find((i) => !graph.constant(i));
    const step = from === undefined ? undefined : affineOf(graph, node, from);
    if (!step || (at !== id && (consumers.get(at) ?? []).length !== 1)) break;
    // total ∘ step: x·(s_step·s) + (t_step·s + t).
    for (let c = 0; c < channels; c++) {
      total.t[c] = step.t[c]! * total.s[c]! + total.t[c]!;
      total.s[c] = step.s[c]! * total.s[c]!;
    }
    at = from!;
  }
  return { kind: "affine", x: at, affine: total };
}

function merge(a: Branch, b: Branch): Linear | undefined {
  if (a.kind !== "conv") return undefined;
  const p = a.layer;
  if (!unitDilation(p.attrs)) return undefined;
  if (b.kind === "conv") return mergeConvs(p, b.layer);
  const [out, cin, kh, kw] = p.weight.shape as [number, number, number, number];
  const [sh, sw] = p.attrs["stride"] as number[];
  const [ph, pw] = p.attrs["padding"] as number[];
  if (b.x !== p.x || out !== cin || sh !== 1 || sw !== 1 || kh % 2 === 0 || kw % 2 === 0 || ph !== (kh - 1) / 2 || pw !== (kw - 1) / 2) return undefined;
  const weight = { shape: p.weight.shape, data: p.weight.data.slice() };
  const bias = p.bias.slice();
  for (let o = 0; o < out; o++) {
    weight.data[((o * cin + o) * kh + (kh - 1) / 2) * kw + (kw - 1) / 2]! += b.affine.s[o]!;
    bias[o] = bias[o]! + b.affine.t[o]!;
  }
  return { ...p, weight, bias };
}

function mergeConvs(p: Linear, q: Linear): Linear | undefined {
  const [out, cin, kh, kw] = p.weight.shape as [number, number, number, number];
  const [qout, qcin, qh, qw] = q.weight.shape as [number, number, number, number];
  if (q.x !== p.x || !unitDilation(q.attrs) || qout !== out || qcin !== cin || qh > kh || qw > kw || (kh - qh) % 2 || (kw - qw) % 2) return undefined;
  if ((p.attrs["stride"] as number[]).join() !== (q.attrs["stride"] as number[]).join()) return undefined;
  const [dh, dw] = [(kh - qh) / 2, (kw - qw) / 2];
  const [ph, pw] = p.attrs["padding"] as number[];
  const [qph, qpw] = q.attrs["padding"] as number[];
  // Both read the same input window only when the smaller kernel sits centred in the larger one.
  if (ph! - dh !== qph || pw! - dw !== qpw) return undefined;
  const weight = { shape: p.weight.shape, data: p.weight.data.slice() };
  for (let o = 0; o < out; o++)
    for (let c = 0; c < cin; c++)
      for (let i = 0; i < qh; i++)
        for (let j = 0; j < qw; j++) weight.data[((o * cin + c) * kh + i + dh) * kw + j + dw]! += q.weight.data[((o * cin + c) * qh + i) * qw + j]!;
  const bias = p.bias.map((v, o) => v + q.bias[o]!);
  return { ...p, weight, bias };
}

function unitDilation(attrs: Record<string, any>): boolean {
  return (attrs["dilation"] as number[] | undefined)?.every((d) => d === 1) ?? true;
}
