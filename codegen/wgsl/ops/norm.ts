// WGSL emitters of the norm family (see codegen/wgsl/emit.ts for the contract). Forward is one reduction
// kernel (`norm_stats`: both moments in one pass) and one elementwise kernel (`norm_apply`); backward the
// same shape (`norm_grad_sums`, `norm_grad_x`). A reduction runs one workgroup per group, its threads
// striding over the group's elements so that neighbouring lanes read neighbouring addresses wherever the
// group's runs are contiguous, then a tree in workgroup memory; small groups and many-column sums take a
// thread per group instead (see THREAD_PER_GROUP, COLUMNS). Views: runtime/cpu/kernels/norm.ts.
import type { ProgramNode } from "../../../runtime/program.js";
import { channelView, normView, type NormView } from "../../../runtime/cpu/kernels/norm.js";
import { countExpr, f32, GLOBALS_WGSL, type Dim } from "../common.js";
import type { Emitter } from "../emit.js";
import { decls, elementwise, shapeOf, WORKGROUP, type KernelSource } from "../kernels.js";

/**
 * The shape of input k as the graph states it. The planner hands emitters nodes whose inputs are resolved
 * through buffer aliases (a reshape's input stands for it), so shapes come from the original node.
 */
function inputShape(node: ProgramNode, nodes: ProgramNode[], k: number): Dim[] {
  return shapeOf(nodes, nodes[node.id]!.inputs[k]!);
}

/** Elements per group when known without the batch (always, unless the groups span the batch). */
function staticCount(view: NormView): number | undefined {
  if (!view.outer.every((d) => typeof d === "number")) return undefined;
  return (view.outer as number[]).reduce((p, d) => p * d, 1) * view.inner;
}

/**
 * Groups this small (LayerNorm over a short last axis) are summed by one thread each: a workgroup and a
 * tree per group of a few elements costs more in barriers and idle lanes than it saves (measured on
 * lavapipe: 64×512 rows of 16, 139 ms as workgroups against 1.2 ms as threads).
 */
const THREAD_PER_GROUP = 64;

/**
 * Per-column sums of a [rows, columns] view (LayerNorm's dγ, dβ over features): with this many columns a
 * thread per column keeps the device busy, and neighbouring threads read neighbouring addresses on every
 * row, where a workgroup per column reads addresses a row apart (lavapipe, [64, 512]: 7.1 ms → 0.4 ms).
 */
const COLUMNS = 256;

/** WebGPU's default limit of workgroups along one grid axis, and the row width past it. */
const MAX_GROUPS = 65535;
const SPLIT = 1024;

/** Linear index of element j (0 ≤ j < A·B) of group g in the view's layout, `G` and `B` in scope. */
function elementIndex(view: NormView): string {
  if (view.outer.length === 0 || view.outer.every((d) => d === 1)) return "g * B + j";
  if (view.inner === 1) return "j * G + g";
  return "((j / B) * G + g) * B + j % B";
}

interface Reduction {
  node: ProgramNode;
  inputs: number[];
  names: string[];
  view: NormView;
  /** Statements before the loop (per group). */
  setup: string;
  /** Statements adding element `i` to the accumulators `acc1` and `acc2`. */
  term: string;
  /** Statements after the tree, with the group's totals in `sum1` and `sum2`. */
  finish: string;
  extra?: string;
  /** Further buffers the finishing thread writes (after `out`), and their names. */
  extraOutputs?: KernelSource["bindings"];
  extraNames?: string[];
}

/**
 * One workgroup per group of `view` (x: the static part of the group count, y: the batch when the groups
 * count examples), two accumulators per thread, summed by a tree in workgroup memory.
 */
function groupReduction(r: Reduction): KernelSource {
  const bindings = [...r.inputs.map((id) => ({ node: id, write: false })), { node: r.node.id, write: true }, ...(r.extraOutputs ?? [])];
  const count = staticCount(r.view);
  const across = r.view.groups.reduce<number>((p, d) => p * (d === "N" ? 1 : (d as number)), 1);
  if ((count !== undefined && count <= THREAD_PER_GROUP) || (r.view.inner === 1 && across >= COLUMNS)) return threadPerGroup(r, bindings);
  const width = 256;
  const perBatch = r.view.groups.includes("N");
  // More groups per example than one grid axis takes (LayerNorm over a short last axis of a large image):
  // rows of SPLIT workgroups along x, stacked along z.
  const rowWidth = across > MAX_GROUPS ? SPLIT : across;
  return {
    label: `${r.node.op} #${r.node.id}`,
    bindings,
    dispatch: {
      kind: "grid",
      x: { elements: [rowWidth], per: 1 },
      y: perBatch ? { elements: ["N"], per: 1 } : undefined,
      z: across > MAX_GROUPS ? { elements: [across], per: SPLIT } : undefined,
    },
    code: `${GLOBALS_WGSL}${decls(bindings, [...r.names, "out", ...(r.extraNames ?? [])])}
${r.extra ?? ""}var<workgroup> part1: array<f32, ${width}>;
var<workgroup> part2: array<f32, ${width}>;
@compute @workgroup_size(${width})
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let local = wg.z * ${rowWidth}u + wg.x;
  if (local >= ${across}u) { return; }
  let g = wg.y * ${across}u + local;
  let G = ${countExpr(r.view.groups)};
  let B = ${r.view.inner}u;
  let count = ${countExpr(r.view.outer)} * B;
  ${r.setup}
  var acc1 = 0.0;
  var acc2 = 0.0;
  for (var j = lid; j < count; j = j + ${width}u) {
    let i = ${elementIndex(r.view)};
    ${r.term}
  }
  part1[lid] = acc1;
  part2[lid] = acc2;
  workgroupBarrier();
  for (var s = ${width / 2}u; s > 0u; s = s >> 1u) {
    if (lid < s) {
      part1[lid] = part1[lid] + part1[lid + s];
      part2[lid] = part2[lid] + part2[lid + s];
    }
    workgroupBarrier();
  }
  if (lid == 0u) {
    let sum1 = part1[0];
    let sum2 = part2[0];
    ${r.finish}
  }
}
`,
  };
}

/** The small-group form of `groupReduction`: one thread per group, looping over its elements. */
function threadPerGroup(r: Reduction, bindings: KernelSource["bindings"]): KernelSource {
  return {
    label: `${r.node.op} #${r.node.id}`,
    bindings,
    dispatch: { kind: "elements", shape: r.view.groups },
    code: `${GLOBALS_WGSL}${decls(bindings, [...r.names, "out", ...(r.extraNames ?? [])])}
${r.extra ?? ""}@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let g = gid.x + gid.y * groups.x * ${WORKGROUP}u;
  let G = ${countExpr(r.view.groups)};
  if (g >= G) { return; }
  let B = ${r.view.inner}u;
  let count = ${countExpr(r.view.outer)} * B;
  ${r.setup}
  var acc1 = 0.0;
  var acc2 = 0.0;
  for (var j = 0u; j < count; j = j + 1u) {
    let i = ${elementIndex(r.view)};
    ${r.term}
  }
  let sum1 = acc1;
  let sum2 = acc2;
  ${r.finish}
}
`,
  };
}

/** The statistics group of element `i` (an expression), in the statistics' view of `shape`. */
export function statGroupExpr(shape: Dim[], attrs: ProgramNode["attrs"], i = "i"): string {
  const stats = normView(shape, attrs);
  return `((${i} / ${stats.inner}u) % ${countExpr(stats.groups)})`;
}

/** The channel of element `i` (an expression): where γ and β are read. */
export function channelExpr(shape: Dim[], attrs: ProgramNode["attrs"], i = "i"): string {
  const axis = attrs["channelAxis"] as number;
  const channelInner = shape.slice(axis + 1).reduce<number>((p, d) => p * (d as number), 1);
  return `((${i} / ${channelInner}u) % ${shape[axis]}u)`;
}

/** WGSL helpers for element i: its statistics group `statGroup(i)` and its channel `channel(i)`. */
function locators(shape: Dim[], attrs: ProgramNode["attrs"]): string {
  return `fn statGroup(i: u32) -> u32 { return ${statGroupExpr(shape, attrs)}; }
fn channel(i: u32) -> u32 { return ${channelExpr(shape, attrs)}; }
`;
}

/**
 * `norm_apply` of element i as one expression: `read(k, index)` prints input k at an index expression
 * (its own kernel reads buffers; a fused kernel may hold x in a register). Inputs [x, stats, γ?, β?],
 * `running` [x, mean, var, γ?, β?], `scaled` [x, Σmean, Σvar, s, γ?, β?].
 */
export function normApplyExpr(node: ProgramNode, shape: Dim[], read: (k: number, index: string) => string): string {
  const running = Boolean(node.attrs["running"]);
  // Caffe's sums (runtime/cpu/kernels/norm.ts caffeScale): scaled by 1/s, or 0 before the first step.
  const scaled = running && Boolean(node.attrs["scaled"]);
  const affine = Boolean(node.attrs["affine"]);
  const G = countExpr(normView(shape, node.attrs).groups);
  const s = statGroupExpr(shape, node.attrs);
  const k = scaled ? `select(0.0, 1.0 / ${read(3, "0u")}, ${read(3, "0u")} != 0.0) * ` : "";
  const mean = `${k}${read(1, s)}`;
  const variance = running ? `${k}${read(2, s)}` : read(1, `${G} + ${s}`);
  const first = running ? (scaled ? 4 : 3) : 2;
  const value = `((${read(0, "i")} - ${mean}) * inverseSqrt(${variance} + ${f32(node.attrs["eps"] as number)}))`;
  if (!affine) return value;
  const c = channelExpr(shape, node.attrs);
  return `(${value} * ${read(first, c)} + ${read(first + 1, c)})`;
}

/** Elements per statistics group, as an f32 expression. */
function groupCount(shape: Dim[], attrs: ProgramNode["attrs"]): string {
  const stats = normView(shape, attrs);
  return `f32(${countExpr(stats.outer)} * ${stats.inner}u)`;
}

/**
 * The running estimates' update of channel `c` (of `C`), reading the batch statistics from `stats`: the
 * rules of runtime/cpu/kernels/norm.ts `norm_running_update`. Shared by its own kernel and by the statistics
 * kernel that the planner folds it into (`normStatsKernel`).
 */
function runningUpdate(node: ProgramNode, stats = "stats", n = "n"): string {
  const m = node.attrs["momentum"] as number;
  const rule = node.attrs["rule"];
  const update =
    rule === "caffe"
      ? `if (c == 0u) { scaleFactor[0] = ${f32(m)} * scaleFactor[0] + 1.0; }
  runningMean[c] = ${f32(m)} * runningMean[c] + ${stats}[c];
  runningVar[c] = ${f32(m)} * runningVar[c] + ${stats}[C + c] * ${n} / max(1.0, ${n} - 1.0);`
      : rule === "keras"
        ? `runningMean[c] = runningMean[c] - (runningMean[c] - ${stats}[c]) * ${f32(m)};
  runningVar[c] = runningVar[c] - (runningVar[c] - ${stats}[C + c]) * ${f32(m)};`
        : `runningMean[c] = ${f32(1 - m)} * runningMean[c] + ${f32(m)} * ${stats}[c];
  runningVar[c] = ${f32(1 - m)} * runningVar[c] + ${f32(m)} * ${stats}[C + c] * ${n} / max(1.0, ${n} - 1.0);`;
  return `let ${n} = f32(${countExpr(node.attrs["count"] as Dim[])});\n  ${update}`;
}

/**
 * `norm_stats`, with the running estimates' update of the same statistics folded in when `update` is given
 * (BatchNorm in training): the thread that finishes channel g's statistics updates channel g's estimates
 * too, reading back what it just wrote, so the update costs no dispatch of its own.
 */
export function normStatsKernel(node: ProgramNode, nodes: ProgramNode[], update?: ProgramNode): KernelSource {
  const x = node.inputs[0]!;
  const view = normView(inputShape(node, nodes, 0), node.attrs);
  const first = elementIndex(view).replace(/\bj\b/g, "0u");
  const finish = "let n = f32(count);\n    let m = sum1 / n;\n    out[g] = shift + m;\n    out[G + g] = max(sum2 / n - m * m, 0.0);";
  if (update && (view.groups.length !== 1 || view.groups[0] === "N")) throw new Error("internal: a running update folds only into per-channel statistics");
  const extraInputs = update ? update.inputs.slice(1) : [];
  const kernel = groupReduction({
    node,
    inputs: [x],
    names: ["x"],
    view,
    setup: `let shift = x[${first}];`,
    term: "let d = x[i] - shift;\n    acc1 = acc1 + d;\n    acc2 = acc2 + d * d;",
    finish: update ? `${finish}\n    let c = g;\n    let C = G;\n    ${runningUpdate(update, "out", "runningCount")}` : finish,
    extraOutputs: extraInputs.map((id) => ({ node: id, write: true })),
    extraNames: ["runningMean", "runningVar", "scaleFactor"].slice(0, extraInputs.length),
  });
  return update ? { ...kernel, label: `${kernel.label} + running update #${update.id}` } : kernel;
}

/**
 * `norm_grad_sums`, also writing the `norm_row` nodes that read its rows (γ's and β's gradients) when
 * the planner folds them in: the finishing thread of group g stores Σ dy·x̂ and Σ dy there as well.
 */
export function normGradSumsKernel(node: ProgramNode, nodes: ProgramNode[], rows: ProgramNode[] = []): KernelSource {
  const [dy, x, stats, gamma] = node.inputs as [number, number, number, number | undefined];
  const shape = inputShape(node, nodes, 1);
  const view = node.attrs["reduce"] === "channels" ? channelView(shape, node.attrs) : normView(shape, node.attrs);
  const statsG = countExpr(normView(shape, node.attrs).groups);
  const eps = f32(node.attrs["eps"] as number);
  const d = gamma === undefined ? "dy[i]" : "dy[i] * gamma[channel(i)]";
  const kernel = groupReduction({
    node,
    inputs: gamma === undefined ? [dy, x, stats] : [dy, x, stats, gamma],
    names: gamma === undefined ? ["dy", "x", "stats"] : ["dy", "x", "stats", "gamma"],
    view,
    setup: "",
    term: `let s = statGroup(i);\n    let d = ${d};\n    acc1 = acc1 + d * (x[i] - stats[s]) * inverseSqrt(stats[${statsG} + s] + ${eps});\n    acc2 = acc2 + d;`,
    finish: `out[g] = sum1;\n    out[G + g] = sum2;${rows.map((r, k) => `\n    row${k}[g] = sum${(r.attrs["row"] as number) + 1};`).join("")}`,
    extra: locators(shape, node.attrs),
    extraOutputs: rows.map((r) => ({ node: r.id, write: true })),
    extraNames: rows.map((_, k) => `row${k}`),
  });
  return rows.length ? { ...kernel, label: `${kernel.label} + ${rows.map((r) => `norm_row #${r.id}`).join(" + ")}` } : kernel;
}

export const NORM_EMITTERS: Record<string, Emitter> = {
  /**
   * Mean and biased variance per group in one pass, as sums of x − K with K the group's first element:
   * all threads share the shift, so their partial sums simply add, and the variance keeps its digits when
   * the mean is large next to the spread (Σd² − (Σd)²/n loses nothing while K is near the data).
   */
  norm_stats: (node, nodes) => normStatsKernel(node, nodes),
  norm_apply: (node, nodes) => {
    const shape = inputShape(node, nodes, 0);
    return elementwise(node, node.inputs, `out[i] = ${normApplyExpr(node, shape, (k, index) => `in${k}[${index}]`)};`);
  },
  /** Σ dy·γ·x̂ and Σ dy·γ per group of the reduction view; inputs [dy, x, stats, γ?]. */
  norm_grad_sums: (node, nodes) => normGradSumsKernel(node, nodes),
  /** dx = rstd·(d − mean(d) − x̂·mean(d·x̂)), d = dy·γ; inputs [dy, x, stats, sums, γ?]. */
  norm_grad_x: (node, nodes) => {
    const [dy, x, stats, sums, gamma] = node.inputs as [number, number, number, number, number | undefined];
    const shape = inputShape(node, nodes, 1);
    const G = countExpr(normView(shape, node.attrs).groups);
    const scale = gamma === undefined ? "1.0" : "in4[channel(i)]";
    const sumScale = node.attrs["sumsPerChannel"] ? "gam" : "1.0";
    return elementwise(
      node,
      gamma === undefined ? [dy, x, stats, sums] : [dy, x, stats, sums, gamma],
      `let s = statGroup(i);
  let rstd = inverseSqrt(in2[${G} + s] + ${f32(node.attrs["eps"] as number)});
  let xh = (in1[i] - in2[s]) * rstd;
  let gam = ${scale};
  let k = ${sumScale} / ${groupCount(shape, node.attrs)};
  out[i] = rstd * (in0[i] * gam - in3[${G} + s] * k - xh * in3[s] * k);`,
      locators(shape, node.attrs),
    );
  },
  norm_row: (node) => elementwise(node, [node.inputs[0]!], `out[i] = in0[${node.attrs["row"] as number}u * ${countExpr(node.shape)} + i];`),
  /** The rules of runtime/cpu/kernels/norm.ts `norm_running_update`, one thread per channel. */
  norm_running_update: (node, nodes) => {
    const [stats, runningMean, runningVar, scaleFactor] = node.inputs as [number, number, number, number | undefined];
    const channels = inputShape(node, nodes, 1);
    const bindings = [{ node: stats, write: false }, { node: runningMean, write: true }, { node: runningVar, write: true }];
    if (node.attrs["rule"] === "caffe") bindings.push({ node: scaleFactor!, write: true });
    return {
      label: `norm_running_update #${node.id}`,
      bindings,
      dispatch: { kind: "elements", shape: channels },
      code: `${GLOBALS_WGSL}${decls(bindings, ["stats", "runningMean", "runningVar", "scaleFactor"].slice(0, bindings.length))}
@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let c = gid.x;
  let C = ${countExpr(channels)};
  if (c >= C) { return; }
  ${runningUpdate(node)}
}
`,
    };
  },
};
