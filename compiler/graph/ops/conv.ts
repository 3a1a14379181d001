// Graph ops of the conv family: shape and gradient rules (see compiler/graph/ops.ts for the contract).
import type { OpDef } from "../ops.js";

export const CONV_OPS: Record<string, OpDef> = {};
