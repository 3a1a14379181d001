// Graph ops of the spatial family: shape and gradient rules (see compiler/graph/ops.ts for the contract).
import type { OpDef } from "../ops.js";

export const SPATIAL_OPS: Record<string, OpDef> = {};
