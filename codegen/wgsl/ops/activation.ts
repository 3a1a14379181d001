// WGSL emitters of the activation family (see codegen/wgsl/emit.ts for the contract).
import type { Emitter } from "../emit.js";

export const ACTIVATION_EMITTERS: Record<string, Emitter> = {};
