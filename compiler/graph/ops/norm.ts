// Graph ops of the norm family: shape and gradient rules (see compiler/graph/ops.ts for the contract).
import type { OpDef } from "../ops.js";

export const NORM_OPS: Record<string, OpDef> = {};
