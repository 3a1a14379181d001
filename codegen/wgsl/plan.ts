// The kernels of a Program for each mode, in dispatch order: the training step (forward, backward,
// BatchNorm statistics, optimizer updates, metrics) and the evaluation pass (forward, metrics). Nodes that
// need no kernel of their own (inputs, parameters, a mode's chosen branch) become buffer aliases.
import type { Program, ProgramNode } from "../../runtime/program.js";
import { neededNodes } from "../../runtime/graph.js";
import { cyclesMomentum } from "../../runtime/schedules.js";
import { binaryThreshold, monitorsProbe } from "../../runtime/metrics.js";
import { flatKey, flatLayout, type FlatLayout } from "../../runtime/webgpu/layout.js";
import { inputShape, matmul, type Epilogue, type KernelSource } from "./kernels.js";
import { matmulShape, type MatmulChooser } from "./matmul.js";
import { emitNode } from "./emit.js";
import { conv2dKernel } from "./ops/conv.js";
import { columnSumsIntoProducers, elementwiseGroups, emitColumnSums, emitFused, foldedNormRows, foldedRunningUpdates, hasFusedInput, mergedColumnSums, mergedLossGrads } from "./fuse.js";
import { softmaxCrossEntropyWithGrad } from "./ops/loss.js";
import { normGradSumsKernel, normStatsKernel } from "./ops/norm.js";
import { decayLookup, emitPenaltyLoss, foldL2, type L2Fold } from "./l2-fold.js";
import { emitMetrics, emitProbe, type MetricsSpec } from "./metrics.js";
import { emitOptimizer, supportsOptimizer, type OptimizerKernelOptions } from "./optimizer.js";
import { CLIP_BUFFER, clipCoefficientIndex, emitClipCoefficient, emitGradSquares, emitMaxNorm } from "./constraints.js";
import { emitAugmentations } from "./augment.js";
import { augmentationsOf } from "../../runtime/data/pipeline.js";
import { assertGroupsTrainable, groupSpecs, paramGroupIndices } from "../../runtime/param-groups.js";
import { GROUP_SCALARS } from "../../runtime/webgpu/globals.js";

export interface ModePlan {
  kernels: KernelSource[];
  /** node → the node whose buffer it shares in this mode (select_mode's chosen input). */
  aliases: Map<number, number>;
}

export interface KernelPlan {
  train: ModePlan;
  eval: ModePlan;
  /**
   * Run first in every training step when the data has augmentations: they read the raw batch the host
   * wrote and write the augmented batch into the model's input (runtime/webgpu/augment-buffers.ts).
   */
  augment?: KernelSource[];
  /** Run after a logged training step when `monitor` asks for update/weight ratios or the gradient norm (one per chunk). */
  probe?: KernelSource[];
  /** Where each parameter lives in the flat buffers, in chunks of at most one storage binding. */
  layout: FlatLayout;
}

export class UnsupportedOnWebGpu extends Error {}

const ACTIVATIONS = new Set(["relu", "leaky_relu", "tanh", "sigmoid", "elu", "gelu", "silu"]);

/**
 * Fusion: a matmul whose only consumer adds a bias vector, optionally followed by an activation that is the
 * bias add's only consumer, becomes one kernel that applies both in its epilogue. Returns, for each matmul
 * fused, its epilogue; and the nodes that no longer need a kernel. A conv2d (whose bias is an input of its
 * own) likewise takes an activation that is its only consumer into its store.
 */
function consumersOf(nodes: ProgramNode[], need: boolean[], training: boolean): Map<number, number[]> {
  const consumers = new Map<number, number[]>();
  for (const node of nodes) {
    if (!need[node.id]) continue;
    const inputs = node.op === "select_mode" ? [node.inputs[training ? 0 : 1]!] : node.inputs;
    for (const input of inputs) consumers.set(input, [...(consumers.get(input) ?? []), node.id]);
  }
  return consumers;
}

function fuseEpilogues(nodes: ProgramNode[], need: boolean[], consumers: Map<number, number[]>, targets: Set<number>): { epilogues: Map<number, Epilogue>; absorbed: Set<number> } {
  const only = (id: number) => {
    const list = consumers.get(id) ?? [];
    return list.length === 1 && !targets.has(id) ? nodes[list[0]!]! : undefined;
  };
  const epilogues = new Map<number, Epilogue>();
  const absorbed = new Set<number>();
  for (const node of nodes) {
    if (need[node.id] && node.op === "conv2d") {
      // The conv's bias is its own third input; only the activation is left to fold into its store.
      const act = only(node.id);
      if (!act || !ACTIVATIONS.has(act.op)) continue;
      epilogues.set(node.id, { activation: { op: act.op as "relu", alpha: act.attrs["alpha"] as number | undefined }, output: act.id });
      absorbed.add(act.id);
      continue;
    }
    if (!need[node.id] || node.op !== "matmul") continue;
    const add = only(node.id);
    const bias = add?.op === "add" && add.inputs[0] === node.id ? add.inputs[1]! : undefined;
    if (!add || bias === undefined || nodes[bias]!.shape.length !== 1 || nodes[bias]!.shape[0] !== node.shape[1]) continue;
    const act = only(add.id);
    const activation = act && ACTIVATIONS.has(act.op) ? act : undefined;
    epilogues.set(node.id, {
      bias,
      activation: activation ? { op: activation.op as "relu", alpha: activation.attrs["alpha"] as number | undefined } : undefined,
      output: (activation ?? add).id,
    });
    absorbed.add(add.id);
    if (activation) absorbed.add(activation.id);
  }
  return { epilogues, absorbed };
}

/**
 * The evaluation-mode kernels computing `targets` from a node list alone: an exported model's forward pass
 * (codegen/inference/), which has no loss, optimizer or data to plan.
 */
export function planForward(nodes: ProgramNode[], targets: number[], options: { fuse?: boolean; matmul?: MatmulChooser } = {}): ModePlan {
  return modePlan({ nodes }, targets, false, options.fuse ?? true, {}, options.matmul);
}

/** What the fusion scheduler may fold into the loss's kernel: the metrics, which it marks `taken`. */
interface LossExtras {
  l2?: { fold: L2Fold; layout: FlatLayout };
  metrics?: { spec: MetricsSpec; loss: number; taken?: boolean };
}

function modePlan(program: Pick<Program, "nodes">, targets: number[], training: boolean, fuse: boolean, extras: LossExtras = {}, chooseMatmul?: MatmulChooser): ModePlan {
  const l2 = extras.l2;
  const takeMetrics = (id: number) => {
    if (!extras.metrics || extras.metrics.loss !== id) return undefined;
    extras.metrics.taken = true;
    return extras.metrics.spec;
  };
  const { nodes } = program;
  const need = neededNodes(nodes, targets, training);
  const aliases = new Map<number, number>();
  const resolve = (id: number): number => aliases.get(id) ?? id;
  const kernels: KernelSource[] = [];
  const consumers = consumersOf(nodes, need, training);
  const { epilogues, absorbed } = fuse ? fuseEpilogues(nodes, need, consumers, new Set(targets)) : { epilogues: new Map<number, Epilogue>(), absorbed: new Set<number>() };
  // Values the matmul epilogues produce, and the targets, keep their own buffers.
  const fixed = new Set<number>([...targets, ...absorbed, ...[...epilogues.values()].map((e) => e.output)]);
  const internal = fuse ? elementwiseGroups(nodes, need, consumers, fixed, training) : new Set<number>();
  const statsUpdates = fuse ? foldedRunningUpdates(nodes, need, training) : new Map<number, ProgramNode>();
  const normRows = fuse ? foldedNormRows(nodes, need, consumers) : new Map<number, ProgramNode[]>();
  const producerSums = fuse ? columnSumsIntoProducers(nodes, need, consumers, new Set(targets), fixed, internal, training) : new Map<number, ProgramNode>();
  const lossGrads = fuse ? mergedLossGrads(nodes, need, consumers, new Set(targets)) : new Map<number, { grad: ProgramNode; sum?: ProgramNode }>();
  const foldedSums = [...producerSums.values(), ...[...lossGrads.values()].flatMap((l) => (l.sum ? [l.sum] : []))];
  const columnSums = fuse ? mergedColumnSums(nodes, need, consumers, new Set(targets), new Set(foldedSums.map((n) => n.id))) : new Map<number, ProgramNode[]>();
  const foldedUpdates = new Set([...statsUpdates.values(), ...foldedSums, ...[...normRows.values()].flat(), ...[...columnSums.values()].flatMap((g) => g.slice(0, -1)), ...[...lossGrads.values()].map((l) => l.grad)].map((u) => u.id));
  for (const node of nodes) {
    if (!need[node.id] || absorbed.has(node.id) || internal.has(node.id) || foldedUpdates.has(node.id)) continue;
    if (fuse && !fixed.has(node.id) && (hasFusedInput(node, internal, training) || producerSums.has(node.id))) {
      kernels.push(emitFused(node, nodes, internal, resolve, training, consumers, producerSums.get(node.id)));
      continue;
    }
    const update = statsUpdates.get(node.id);
    if (update) {
      kernels.push(normStatsKernel({ ...node, inputs: node.inputs.map(resolve) }, nodes, { ...update, inputs: update.inputs.map(resolve) }));
      continue;
    }
    const lossGrad = lossGrads.get(node.id);
    if (lossGrad) {
      kernels.push(softmaxCrossEntropyWithGrad(node, lossGrad.grad, nodes, resolve, takeMetrics(node.id), lossGrad.sum));
      continue;
    }
    const sums = columnSums.get(node.id);
    if (sums) {
      kernels.push(emitColumnSums(sums, nodes, resolve));
      continue;
    }
    if (node.op === "l2_penalty_loss") {
      kernels.push(emitPenaltyLoss(l2!.fold.loss!, l2!.layout, nodes, resolve, takeMetrics(node.id)));
      continue;
    }
    const rows = normRows.get(node.id);
    if (rows) {
      kernels.push(normGradSumsKernel({ ...node, inputs: node.inputs.map(resolve) }, nodes, rows));
      continue;
    }
    const epilogue = epilogues.get(node.id);
    if (epilogue && node.op === "conv2d") {
      kernels.push(conv2dKernel({ ...node, inputs: node.inputs.map(resolve) }, nodes, epilogue));
      continue;
    }
    if (node.op === "matmul") {
      const config = chooseMatmul?.(matmulShape(node, inputShape(nodes, node, 0)));
      kernels.push(matmul({ ...node, inputs: node.inputs.map(resolve) }, nodes, epilogue && { ...epilogue, bias: epilogue.bias === undefined ? undefined : resolve(epilogue.bias) }, config));
      continue;
    }
    if (node.op === "select_mode") {
      aliases.set(node.id, resolve(node.inputs[training ? 0 : 1]!));
      continue;
    }
    if (node.op === "reshape") {
      // The same elements in the same order: the input's buffer under another shape.
      aliases.set(node.id, resolve(node.inputs[0]!));
      continue;
    }
    const resolved: ProgramNode = { ...node, inputs: node.inputs.map(resolve) };
    const kernel = emitNode(resolved, nodes, training);
    if (kernel) kernels.push(kernel);
  }
  return { kernels, aliases };
}

/** `fuse: false` keeps one kernel per op (to measure what fusion saves). */
/**
 * `matmul` picks each matmul's configuration (runtime/webgpu/matmul-tune.ts: this adapter's measured
 * choices); without it, every matmul gets the shape's default. A configuration changes speed, not results.
 */
export function planKernels(program: Program, options: { fuse?: boolean; bindingLimit?: number; matmul?: MatmulChooser } = {}): KernelPlan {
  const fuse = options.fuse ?? true;
  if (!supportsOptimizer(program.optimizer)) throw new UnsupportedOnWebGpu(`the optimizer \`${program.optimizer.kind}\` has no WebGPU kernel yet`);
  const classes = program.task === "classification" ? (program.nodes[program.output]!.shape[1] as number) : undefined;
  const threshold = binaryThreshold(program.nodes);
  // One dispatch updates every parameter: parameters, gradients and moments are flat buffers.
  // One update per chunk of parameters (a chunk fits one storage binding; runtime/webgpu/layout.ts).
  const layout = flatLayout(program, options.bindingLimit);
  // The L2 penalty's loss term and gradient terms, planned as one reduction and as part of the update
  // (codegen/wgsl/l2-fold.ts says when it cannot be).
  const fold = fuse ? foldL2(program, layout, { gradients: !program.clip && !program.optimizer.groups && program.optimizer.kind !== "lbfgs" }) : undefined;
  const l2 = fold && { fold, layout };
  const metrics = { spec: { output: program.output, labels: program.labels, classes, threshold }, loss: program.loss, taken: false };
  const train = modePlan(fold ? { nodes: fold.nodes } : program, [program.loss, program.output, ...program.paramGrads, ...program.sideEffects], true, fuse, { l2, metrics: fuse ? metrics : undefined }, options.matmul);
  train.kernels.push(...clipKernels(program, layout));
  const clip = program.clip && (program.clip.kind === "value" ? { kind: "value" as const, max: program.clip.max } : { kind: "norm" as const, buffer: CLIP_BUFFER, coefficient: clipCoefficientIndex(layout.chunks.length) });
  const groups = groupRuns(program, layout);
  // L-BFGS has no update on the device: the step's pass only computes loss and gradients (runtime/lbfgs.ts).
  if (program.optimizer.kind !== "lbfgs") layout.chunks.forEach((floats, c) => {
    const l2Decay = fold ? decayLookup(fold.decay, layout, c, program.nodes) : undefined;
    train.kernels.push(emitOptimizer(program.optimizer, flatKey("params", c), flatKey("grads", c), floats, { statePrefix: `opt:${c}`, cyclesMomentum: cyclesMomentum(program.schedule.spec), clip, groups: groups?.[c], l2Decay }));
  });
  train.kernels.push(...maxNormKernels(program, layout));
  if (!metrics.taken) train.kernels.push(emitMetrics(program.loss, train.aliases.get(program.output) ?? program.output, program.labels, classes, threshold));
  const evaluation = modePlan(fold ? { nodes: fold.nodes } : program, [program.loss, program.output], false, fuse, { l2 }, options.matmul);
  evaluation.kernels.push(emitMetrics(program.loss, evaluation.aliases.get(program.output) ?? program.output, program.labels, classes, threshold));
  const probing = monitorsProbe(program.loop.monitor);
  const tensors = program.params.map((p, index) => ({ ...layout.place.get(p.node)!, count: p.shape.reduce((a, d) => a * d, 1), index, decay: fold?.decay.get(p.node) }));
  const probe = layout.chunks.map((_, c) => emitProbe(c, tensors.filter((t) => t.chunk === c)));
  return { train, eval: evaluation, augment: augmentKernels(program), probe: probing ? probe : undefined, layout };
}

/**
 * Parameter groups: for each chunk, its elements' groups as runs (consecutive parameters of one group merged;
 * a parameter's alignment padding goes with it). Undefined without groups, so those kernels stay as they were.
 */
function groupRuns(program: Program, layout: FlatLayout): NonNullable<OptimizerKernelOptions["groups"]>[] | undefined {
  if (!program.optimizer.groups) return undefined;
  assertGroupsTrainable(program);
  const specs = groupSpecs(program.optimizer);
  const momentumOf = (spec: (typeof specs)[number]) => ("momentum" in spec ? spec.momentum : undefined);
  const momentum = specs.some((spec) => momentumOf(spec) !== momentumOf(specs[0]!));
  const indices = paramGroupIndices(program.optimizer, program.params);
  return layout.chunks.map((_, c) => {
    const runs: { start: number; group: number }[] = [];
    program.params.forEach((p, k) => {
      const { chunk, offset } = layout.place.get(p.node)!;
      if (chunk !== c || runs[runs.length - 1]?.group === indices[k]) return;
      runs.push({ start: offset, group: indices[k]! });
    });
    // An empty chunk (a model without parameters) still has its one aligned block.
    if (runs.length === 0) runs.push({ start: 0, group: 0 });
    return { buffer: GROUP_SCALARS, runs, momentum };
  });
}

/** Clipping by global norm: Σg² per chunk, then the coefficient the updates read (codegen/wgsl/constraints.ts). */
function clipKernels(program: Program, layout: FlatLayout): KernelSource[] {
  if (program.clip?.kind !== "norm") return [];
  return [...layout.chunks.map((floats, c) => emitGradSquares(c, floats)), emitClipCoefficient(layout.chunks.length, program.clip.max)];
}

/** The max-norm constraint after the updates: one dispatch per chunk holding a constrained parameter. */
function maxNormKernels(program: Program, layout: FlatLayout): KernelSource[] {
  const spec = program.maxNorm;
  if (!spec) return [];
  const tensors = program.params
    .filter((p) => spec.params.includes(p.node))
    .map((p) => ({ ...layout.place.get(p.node)!, rows: p.shape[0] ?? 1, cols: p.shape.slice(1).reduce((a, d) => a * d, 1) }));
  return layout.chunks.flatMap((_, c) => {
    const mine = tensors.filter((t) => t.chunk === c);
    return mine.length ? [emitMaxNorm(c, mine, spec.value)] : [];
  });
}

function augmentKernels(program: Program): KernelSource[] | undefined {
  const augmentations = augmentationsOf(program.data);
  if (augmentations.length === 0) return undefined;
  // The checker makes the model's input [N, ...example shape] and refuses augmentations of non-images.
  const example = program.nodes[program.input]!.shape.slice(1);
  if (example.length !== 3 || !example.every((d): d is number => typeof d === "number")) throw new UnsupportedOnWebGpu(`image augmentations need an input shaped [N, C, H, W], but it is [${program.nodes[program.input]!.shape.join(", ")}]`);
  return emitAugmentations(augmentations, example as [number, number, number], program.input);
}
