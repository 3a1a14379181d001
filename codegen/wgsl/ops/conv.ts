// WGSL emitters of the conv family (see codegen/wgsl/emit.ts for the contract).
import type { Emitter } from "../emit.js";

export const CONV_EMITTERS: Record<string, Emitter> = {};
