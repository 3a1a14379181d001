// CPU reference kernels of the spatial family (see runtime/cpu/kernels.ts for the contract).
import type { Kernel } from "../kernels.js";

export const SPATIAL_KERNELS: Record<string, Kernel> = {};
