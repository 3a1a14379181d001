// CPU reference kernels of the activation family (see runtime/cpu/kernels.ts for the contract).
import type { Kernel } from "../kernels.js";

export const ACTIVATION_KERNELS: Record<string, Kernel> = {};
