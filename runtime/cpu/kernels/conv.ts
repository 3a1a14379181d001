// CPU reference kernels of the conv family (see runtime/cpu/kernels.ts for the contract).
import type { Kernel } from "../kernels.js";

export const CONV_KERNELS: Record<string, Kernel> = {};
