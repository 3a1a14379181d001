// What a layer's lowering may use of the model being lowered: the graph builder, parameters and state it
// creates (once per layer object), training-only side effects, dropout streams, and where to report. Each
// family of layers lowers in its own file under ./layers/, against this interface.
import type { LayerInstance } from "../check/elaborated.js";
import type { DiagnosticBag } from "../diagnostics/diagnostic.js";
import type { Graph, InitSpec } from "../graph/ir.js";
import type { GraphBuilder } from "../graph/ops.js";
import type { ArgReader } from "./reader.js";

/** A layer object's lowering: applies it to an input node, creating its parameters on first use. */
export type Applied = (input: number) => number | undefined;

export interface LayerScope {
  readonly graph: Graph;
  readonly b: GraphBuilder;
  readonly diagnostics: DiagnosticBag;
  /** False in `overfit` mode: dropout and DropConnect lower to the identity. */
  readonly regularization: boolean;
  /** A trainable parameter; `layerFanIn` overrides the fan-in computed from its shape (a bias's layer's). */
  param(name: string, shape: number[], init: InitSpec, role: "weight" | "bias" | "norm", layerFanIn?: number): number;
  /** Non-trainable state updated by the training step (running statistics), initialized to `fill`. */
  state(name: string, shape: number[], fill: number): number;
  /** Registers a training-only side effect (a node run with every training step). */
  sideEffect(node: number): void;
  /** A fresh RNG stream for one application of a random layer (dropout, DropConnect). */
  randomStream(): number;
}

/** Lowers one layer object; undefined when refused (the lowering has reported why). */
export type LayerLowering = (scope: LayerScope, layer: LayerInstance, a: ArgReader) => Applied | undefined;
