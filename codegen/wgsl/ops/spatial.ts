// WGSL emitters of the spatial family (see codegen/wgsl/emit.ts for the contract).
import type { Emitter } from "../emit.js";

export const SPATIAL_EMITTERS: Record<string, Emitter> = {};
