// Lowering of the activation family of layers to graph nodes (see compiler/lower/layer-scope.ts for the contract).
import type { LayerLowering } from "../layer-scope.js";

export const ACTIVATION_LAYERS: Record<string, LayerLowering> = {};
