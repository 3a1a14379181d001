// WGSL emitters of the norm family (see codegen/wgsl/emit.ts for the contract).
import type { Emitter } from "../emit.js";

export const NORM_EMITTERS: Record<string, Emitter> = {};
