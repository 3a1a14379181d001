// CPU reference kernels of the norm family (see runtime/cpu/kernels.ts for the contract).
import type { Kernel } from "../kernels.js";

export const NORM_KERNELS: Record<string, Kernel> = {};
