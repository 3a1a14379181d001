// Lowering of the normalization layers (see compiler/lower/layer-scope.ts for the contract). BatchNorm (over
// features or channels), LayerNorm, GroupNorm and InstanceNorm lower to the same pair of ops (`norm_stats`, then
// `norm_apply`: compiler/graph/ops/norm.ts), told apart only by the view of x their attributes name.
import type { Attrs, Dim } from "../../graph/ir.js";
import type { LayerLowering, LayerScope } from "../layer-scope.js";

/**
 * Whose BatchNorm running statistics (features.md §13, `compat`): compiler/lower/compat.ts marks the
 * batchnorm calls of a `compat keras | caffe` file with it, as the hidden argument CONVENTION_ARG.
 */
export type BatchnormConvention = "pytorch" | "keras" | "caffe";
export const CONVENTION_ARG = "__convention";

export interface Owned {
  gamma?: number;
  beta?: number;
  runningMean?: number;
  runningVar?: number;
  /** Caffe's scale factor (blobs[2]); then runningMean and runningVar hold its sums (blobs[0], blobs[1]). */
  scaleFactor?: number;
  convention?: BatchnormConvention;
}

/** γ (ones) and β (zeros) of `size` channels when `affine`, named as PyTorch's weight and bias are here. */
function affineParams(scope: LayerScope, name: string, size: number, affine: boolean): Owned {
  return affine ? { gamma: scope.param(`${name}.gamma`, [size], { kind: "ones" }, "norm"), beta: scope.param(`${name}.beta`, [size], { kind: "zeros" }, "norm") } : {};
}

/** Normalizes x with its own statistics (the view in `attrs`), then γ and β. */
function normalize(scope: LayerScope, x: number, attrs: Attrs, owned: Owned): { y: number; stats: number } {
  const { b } = scope;
  const stats = b.add("norm_stats", [x], undefined, attrs);
  const affine = owned.gamma !== undefined && owned.beta !== undefined ? [owned.gamma, owned.beta] : [];
  return { y: b.add("norm_apply", [x, stats, ...affine], undefined, { ...attrs, affine: affine.length > 0 }), stats };
}

/** Layers normalizing each example on its own (no running statistics): `groups` runs of each example. */
function perExample(scope: LayerScope, layer: { name: string }, eps: number, affine: boolean, groupsOf: (shape: Dim[]) => number, channelAxisOf: (shape: Dim[]) => number): (x: number) => number {
  let owned: Owned | undefined;
  return (x) => {
    const shape = scope.graph.shape(x);
    const channelAxis = channelAxisOf(shape);
    owned ??= affineParams(scope, layer.name, shape[channelAxis] as number, affine);
    return normalize(scope, x, { mode: "example", groups: groupsOf(shape), channelAxis, eps }, owned).y;
  };
}

const product = (dims: Dim[]) => dims.reduce<number>((p, d) => p * (d as number), 1);

/**
 * The parameters and running statistics of a BatchNorm over `channels`, named after `name`. Caffe keeps
 * sums and a scale factor, all zero at first (batch_norm_layer.cpp LayerSetUp: caffe_set(…, 0) on the three
 * blobs), named apart so that nothing mistakes its sums for means; Keras starts as PyTorch (moving_mean
 * zeros, moving_variance ones). Caffe's BatchNorm has no γ, β (a Scale layer follows it in Caffe's nets):
 * dslc's keeps them under every convention, `affine: false` drops them.
 */
export function batchnormState(scope: LayerScope, name: string, channels: number, affine: boolean, track: boolean, convention: BatchnormConvention = "pytorch"): Owned {
  const params = affineParams(scope, name, channels, affine);
  if (!track) return { ...params, convention };
  if (convention === "caffe") {
    return {
      ...params,
      convention,
      runningMean: scope.state(`${name}.mean_sum`, [channels], 0),
      runningVar: scope.state(`${name}.var_sum`, [channels], 0),
      scaleFactor: scope.state(`${name}.scale_factor`, [1], 0),
    };
  }
  return { ...params, convention, runningMean: scope.state(`${name}.running_mean`, [channels], 0), runningVar: scope.state(`${name}.running_var`, [channels], 1) };
}

/**
 * BatchNorm over the channels of [N, C, …] (torch.nn.BatchNorm1d/2d): batch statistics in training, with
 * the running estimates updated as a side effect and used in evaluation when they are kept. `momentum` is
 * PyTorch's weight of the new batch, or under Caffe's convention its moving_average_fraction. The update
 * rules, each with its source, are in runtime/cpu/kernels/norm.ts (`norm_running_update`).
 */
export function batchnormChannels(scope: LayerScope, x: number, owned: Owned, options: { eps: number; momentum: number }): number {
  const { b } = scope;
  const shape = scope.graph.shape(x);
  const attrs: Attrs = { mode: "batch", channelAxis: 1, eps: options.eps };
  const { y, stats } = normalize(scope, x, attrs, owned);
  if (owned.runningMean === undefined || owned.runningVar === undefined) return y;
  const count = [shape[0]!, product(shape.slice(2))];
  const caffe = owned.scaleFactor !== undefined;
  // Keras normalizes [N, F] with tf.nn.moments and its own moving average (biased variance); [N, C, H, W]
  // goes to TF's fused kernel, whose rule is PyTorch's (see the kernel's comment).
  const rule = caffe ? "caffe" : owned.convention === "keras" && shape.length === 2 ? "keras" : undefined;
  const updateInputs = caffe ? [stats, owned.runningMean, owned.runningVar, owned.scaleFactor!] : [stats, owned.runningMean, owned.runningVar];
  scope.sideEffect(b.add("norm_running_update", updateInputs, [], { momentum: options.momentum, count, ...(rule ? { rule } : {}) }));
  const affineInputs = owned.gamma !== undefined && owned.beta !== undefined ? [owned.gamma, owned.beta] : [];
  const estimates = caffe ? [owned.runningMean, owned.runningVar, owned.scaleFactor!] : [owned.runningMean, owned.runningVar];
  const evaluation = b.add("norm_apply", [x, ...estimates, ...affineInputs], shape, { ...attrs, affine: affineInputs.length > 0, running: true, ...(caffe ? { scaled: true } : {}) });
  return b.add("select_mode", [y, evaluation], shape);
}

/**
 * TF's fused batch norm (keras' path for [N, C, H, W]) raises ε to 1.001e-5 (tensorflow/python/ops/
 * nn_impl.py fused_batch_norm: "min_epsilon = 1.001e-5 … requirement by CUDNN"); tf.nn.batch_normalization
 * ([N, F]) takes it as given.
 */
const KERAS_FUSED_MIN_EPS = 1.001e-5;

export const NORM_LAYERS: Record<string, LayerLowering> = {
  /**
   * BatchNorm over features or channels, as torch.nn.BatchNorm1d / BatchNorm2d: training normalizes with
   * the batch mean and biased variance (over N, or N·H·W per channel); with `track_running_stats` the
   * running estimates (unbiased variance, weight `momentum` for the new batch) are what evaluation uses,
   * without them evaluation uses the batch statistics too. Under `compat keras | caffe` the running
   * estimates follow that framework (`batchnormChannels`; training's normalization is the same everywhere).
   */
  batchnorm: (scope, layer, a) => {
    const eps = a.num("eps");
    const momentum = a.num("momentum");
    const affine = a.bool("affine");
    const track = a.bool("track_running_stats");
    const convention = (a.call.args.get(CONVENTION_ARG) as BatchnormConvention | undefined) ?? "pytorch";
    let owned: Owned | undefined;
    return (x) => {
      const shape = scope.graph.shape(x);
      const f = shape[1] as number;
      owned ??= batchnormState(scope, layer.name, f, affine, track, convention);
      // [N, F] and [N, C, H, W] alike: statistics per axis-1 channel (one reduction), then the apply, whose
      // elementwise consumers (activation, dropout) the WGSL planner folds into it.
      return batchnormChannels(scope, x, owned, { eps: shape.length !== 2 && convention === "keras" ? Math.max(eps, KERAS_FUSED_MIN_EPS) : eps, momentum });
    };
  },
  /** torch.nn.LayerNorm(last axis): every run of the last axis normalized on its own; γ, β over that axis. */
  layernorm: (scope, layer, a) =>
    perExample(scope, layer, a.num("eps"), a.bool("affine"), (shape) => product(shape.slice(1, -1)), (shape) => shape.length - 1),
  /** torch.nn.GroupNorm: each example's channels in `groups` groups, each over its channels and positions. */
  groupnorm: (scope, layer, a) => {
    const groups = a.num("groups");
    return perExample(scope, layer, a.num("eps"), a.bool("affine"), () => groups, () => 1);
  },
  /** torch.nn.InstanceNorm2d with `affine` (default true here) and instance statistics in evaluation too. */
  instancenorm: (scope, layer, a) =>
    perExample(scope, layer, a.num("eps"), a.bool("affine"), (shape) => shape[1] as number, () => 1),
};
