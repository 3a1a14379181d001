// The CPU reference kernel of every op: the core set (kernels.ts) and the families in ./kernels/, one file
// each. The interpreter and the kernel tests look ops up here.
import { KERNELS, type Kernel } from "./kernels.js";
import { ACTIVATION_KERNELS } from "./kernels/activation.js";
import { CONV_KERNELS } from "./kernels/conv.js";
import { LOSS_KERNELS } from "./kernels/loss.js";
import { NORM_KERNELS } from "./kernels/norm.js";
import { SPATIAL_KERNELS } from "./kernels/spatial.js";

export const ALL_KERNELS: Record<string, Kernel> = { ...KERNELS, ...CONV_KERNELS, ...NORM_KERNELS, ...SPATIAL_KERNELS, ...ACTIVATION_KERNELS, ...LOSS_KERNELS };
