// Lowering of `repvgg` (Ding et al., 2021) as it trains: a 3×3 conv + BatchNorm, a 1×1 conv + BatchNorm and,
// when the block keeps the shape (same channels, stride 1), an identity BatchNorm, summed and passed through
// ReLU. The convolutions have no bias (BatchNorm's β is the shift), as in the paper's RepVGGBlock; weights
// use PyTorch's default initialization. Inference export merges the branches into one 3×3 conv.
import { pytorchDefault } from "../init.js";
import type { LayerLowering, LayerScope } from "../layer-scope.js";
import { batchnormChannels, batchnormState, type Owned } from "./norm.js";

/** BatchNorm2d's defaults (eps 1e-5, momentum 0.1, affine, running statistics), as nn.BatchNorm2d in the block. */
const BN = { eps: 1e-5, momentum: 0.1 };

interface Branches {
  w3: number;
  bn3: Owned;
  w1: number;
  bn1: Owned;
  identity?: Owned;
}

function createBranches(scope: LayerScope, name: string, cin: number, channels: number, identity: boolean): Branches {
  const conv = (suffix: string, k: number) => scope.param(`${name}.${suffix}.weight`, [channels, cin, k, k], pytorchDefault(cin * k * k), "weight");
  return {
    w3: conv("conv3x3", 3),
    bn3: batchnormState(scope, `${name}.bn3x3`, channels, true, true),
    w1: conv("conv1x1", 1),
    bn1: batchnormState(scope, `${name}.bn1x1`, channels, true, true),
    identity: identity ? batchnormState(scope, `${name}.bn_identity`, channels, true, true) : undefined,
  };
}

export const REPVGG_LAYERS: Record<string, LayerLowering> = {
  repvgg: (scope, layer, a) => {
    const channels = a.num("channels");
    const stride = a.num("stride");
    let branches: Branches | undefined;
    return (x) => {
      const { b } = scope;
      const cin = scope.graph.shape(x)[1] as number;
      branches ??= createBranches(scope, layer.name, cin, channels, cin === channels && stride === 1);
      const geometry = (padding: number) => ({ stride: [stride, stride], padding: [padding, padding], dilation: [1, 1] });
      const dense = batchnormChannels(scope, b.add("conv2d", [x, branches.w3], undefined, geometry(1)), branches.bn3, BN);
      const pointwise = batchnormChannels(scope, b.add("conv2d", [x, branches.w1], undefined, geometry(0)), branches.bn1, BN);
      let sum = b.binary("add", dense, pointwise);
      if (branches.identity) sum = b.binary("add", sum, batchnormChannels(scope, x, branches.identity, BN));
      return b.unary("relu", sum);
    };
  },
};
