// Graph ops of the activation family: shape and gradient rules (see compiler/graph/ops.ts for the contract).
import type { OpDef } from "../ops.js";

export const ACTIVATION_OPS: Record<string, OpDef> = {};
