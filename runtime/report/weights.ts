// The first layer's weights as pictures, when the input is an image: each unit's incoming weights (a conv
// filter [C, kh, kw], or a dense row reshaped to the image [C, H, W]) as a small tile, min–max scaled per
// unit as the notes' filter visualizations are (only the pattern matters, not the scale). Three channels
// are drawn in color, one in gray, any other count as one gray tile per channel.
import type { Program, ProgramNode } from "../program.js";
import { encodePng, pngDataUri } from "./png.js";

export interface WeightImage {
  /** The parameter's name, e.g. `conv2d_1.weight`. */
  param: string;
  layer: "conv2d" | "dense";
  units: number;
  /** How many of them are drawn (the first ones). */
  shown: number;
  tile: { channels: number; height: number; width: number };
  dataUri: string;
  width: number;
  height: number;
  /** Whether some weights were NaN or infinite (drawn black). */
  nonFinite: boolean;
}

/** At most this many units (and channels per unit) are drawn: enough to see the patterns. */
const MAX_UNITS = 100;
const MAX_CHANNELS = 16;
/** Tiles are enlarged to about this many pixels on their longer side (whole multiples, so pixels stay square). */
const TILE_PIXELS = 48;

/** The saved weights of either backend (CPU: {params, state}; WebGPU: one map) as one map node → values. */
export function savedValues(saved: unknown): Map<number, Float32Array> {
  if (saved instanceof Map) return saved as Map<number, Float32Array>;
  const params = (saved as { params?: unknown } | undefined)?.params;
  if (params instanceof Map) return params as Map<number, Float32Array>;
  throw new Error("internal: unrecognized saved weights");
}

/** The first layer that reads the image, its weight parameter, and how one unit's weights form an image. */
export function firstImageLayer(program: Program): { node: number; layer: "conv2d" | "dense"; units: number; unit: (w: Float32Array, u: number) => Float32Array; tile: WeightImage["tile"] } | undefined {
  const input = program.nodes.find((n) => n.id === program.input);
  const dims = input?.shape.slice(1) ?? [];
  if (dims.length !== 2 && dims.length !== 3) return undefined;
  if (dims.some((d) => typeof d !== "number")) return undefined;
  const [channels, height, width] = (dims.length === 2 ? [1, ...dims] : dims) as number[];
  const params = new Map(program.params.map((p) => [p.node, p]));
  const fromInput = new Set([program.input]);
  for (const node of program.nodes) {
    if (!node.inputs.some((i) => fromInput.has(i))) continue;
    fromInput.add(node.id);
    const found = layerOf(node, params, fromInput);
    if (!found) continue;
    const { weight, layer } = found;
    const shape = params.get(weight)!.shape;
    if (layer === "conv2d") {
      const [units, cin, kh, kw] = shape as [number, number, number, number];
      const size = cin * kh * kw;
      return { node: weight, layer, units, tile: { channels: cin, height: kh, width: kw }, unit: (w, u) => w.subarray(u * size, (u + 1) * size) };
    }
    // A dense layer is a picture only when it reads every pixel of the image (the flattened input).
    const transB = node.attrs["transB"] === true;
    const [units, inputs] = transB ? [shape[0]!, shape[1]!] : [shape[1]!, shape[0]!];
    if (inputs !== channels! * height! * width!) return undefined;
    return {
      node: weight,
      layer,
      units,
      tile: { channels: channels!, height: height!, width: width! },
      unit: (w, u) => (transB ? w.subarray(u * inputs, (u + 1) * inputs) : Float32Array.from({ length: inputs }, (_, i) => w[i * units + u]!)),
    };
  }
  return undefined;
}

/** A conv2d or matmul applying a weight parameter to data that comes from the input. */
function layerOf(node: ProgramNode, params: Map<number, unknown>, fromInput: Set<number>): { weight: number; layer: "conv2d" | "dense" } | undefined {
  if (node.op === "conv2d" && fromInput.has(node.inputs[0]!) && params.has(node.inputs[1]!)) return { weight: node.inputs[1]!, layer: "conv2d" };
  if (node.op === "matmul" && fromInput.has(node.inputs[0]!) && params.has(node.inputs[1]!)) return { weight: node.inputs[1]!, layer: "dense" };
  return undefined;
}

/**
 * Where the tiles go: `shown` units, `perUnit` tiles each (1, or one per channel), every weight a
 * scale×scale square, tiles 2 pixels apart; `origin(u, t)` is the top-left pixel of unit u's tile t.
 */
export function tileGrid(units: number, tile: WeightImage["tile"]) {
  const { channels, height, width } = tile;
  const shown = Math.min(units, MAX_UNITS);
  const perUnit = channels === 1 || channels === 3 ? 1 : Math.min(channels, MAX_CHANNELS);
  const scale = Math.max(1, Math.round(TILE_PIXELS / Math.max(height, width)));
  const gap = 2;
  // One tile per unit in a square-ish grid; with several gray channels, one row of channel tiles per unit.
  const cols = perUnit === 1 ? Math.ceil(Math.sqrt(shown)) : perUnit;
  const rows = perUnit === 1 ? Math.ceil(shown / cols) : shown;
  const origin = (u: number, t: number): [number, number] => {
    const col = perUnit === 1 ? u % cols : t;
    const row = perUnit === 1 ? Math.floor(u / cols) : u;
    return [gap + col * (width * scale + gap), gap + row * (height * scale + gap)];
  };
  return { shown, perUnit, scale, imgW: cols * width * scale + (cols + 1) * gap, imgH: rows * height * scale + (rows + 1) * gap, origin };
}

/** The first layer's weights as a grid of tiles; undefined when the input is not an image or no layer reads it directly. */
export function firstLayerImage(program: Program, weights: Map<number, Float32Array>): WeightImage | undefined {
  const layer = firstImageLayer(program);
  const values = layer && weights.get(layer.node);
  if (!layer || !values) return undefined;
  const { channels, height, width } = layer.tile;
  const color = channels === 3;
  const grid = tileGrid(layer.units, layer.tile);
  const { shown, perUnit, scale, imgW, imgH } = grid;
  const depth = color ? 3 : 1;
  const pixels = new Uint8Array(imgW * imgH * depth).fill(255);
  let nonFinite = false;
  for (let u = 0; u < shown; u++) {
    const w = layer.unit(values, u);
    let lo = Infinity;
    let hi = -Infinity;
    for (const v of w) {
      if (!Number.isFinite(v)) {
        nonFinite = true;
        continue;
      }
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    const range = hi > lo ? hi - lo : 1;
    const byte = (v: number) => (Number.isFinite(v) && Number.isFinite(lo) ? Math.round(((v - lo) / range) * 255) : 0);
    for (let t = 0; t < perUnit; t++) {
      const [x0, y0] = grid.origin(u, t);
      for (let y = 0; y < height * scale; y++) {
        for (let x = 0; x < width * scale; x++) {
          const pixel = Math.floor(y / scale) * width + Math.floor(x / scale);
          const at = ((y0 + y) * imgW + x0 + x) * depth;
          if (color) for (let c = 0; c < 3; c++) pixels[at + c] = byte(w[c * height * width + pixel]!);
          else pixels[at] = byte(w[t * height * width + pixel]!);
        }
      }
    }
  }
  const param = program.params.find((p) => p.node === layer.node)!.name;
  return { param, layer: layer.layer, units: layer.units, shown, tile: layer.tile, dataUri: pngDataUri(encodePng(imgW, imgH, depth as 1 | 3, pixels)), width: imgW, height: imgH, nonFinite };
}
