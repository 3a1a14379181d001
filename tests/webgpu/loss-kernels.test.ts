// The WGSL kernels of the loss family against the CPU reference (runtime/cpu/kernels/loss.ts) on f32 inputs,
// with batches of 1, 7, 33 and 257 rows (not multiples of the 64-thread workgroup or the 256-thread
// reduction), including bce's probabilities 0, 1e-7, 1 − 1e-7 and 1 and logits up to ±800. Tolerances: the
// single-workgroup reductions 1e-4 relative + 1e-6 absolute (f32 sums in another order, and WGSL's log and
// exp against float64); the elementwise gradients 1e-5 relative + 1e-6 absolute.
import { describe, expect, it } from "vitest";
import { emitNode } from "../../codegen/wgsl/emit.js";
import { Graph, type Attrs, type Dim } from "../../compiler/graph/ir.js";
import { GraphBuilder } from "../../compiler/graph/ops.js";
import { ALL_KERNELS } from "../../runtime/cpu/all-kernels.js";
import { normal } from "../../runtime/rng.js";
import { runKernel } from "../helpers/gpu.js";

const BATCHES = [1, 7, 33, 257];

function random(count: number, stream: number, f: (v: number, i: number) => number = (v) => v): Float32Array {
  return Float32Array.from({ length: count }, (_, i) => f(normal(23, stream, 0, i), i));
}

let worst = { value: 0, grad: 0 };

/** Runs `op` (a loss or its gradient) on both backends; inputs are [x, second, (dy)] with the given data. */
async function compare(op: string, shapes: Dim[][], data: Float32Array[], batch: number, attrs: Attrs, label: string): Promise<void> {
  const graph = new Graph();
  const b = new GraphBuilder(graph);
  const inputs = shapes.map((shape) => b.add("input", [], shape, { shape }));
  const node = b.add(op, inputs, undefined, attrs);
  const resolve = (shape: Dim[]) => shape.map((d) => (d === "N" ? batch : d));
  const outShape = resolve(graph.shape(node));
  const cpu = ALL_KERNELS[op]!(
    inputs.map((id, k) => ({ shape: resolve(shapes[k]!), data: data[k]! })),
    attrs as never,
    { seed: 1, step: 0, training: true, batch },
    outShape,
  );
  const kernel = emitNode(graph.nodes[node]!, graph.nodes, true)!;
  const buffers = new Map<number | string, Float32Array>([...inputs.map((id, k) => [id, data[k]!] as [number, Float32Array]), [node, new Float32Array(Math.max(1, outShape.reduce((p, d) => p * d, 1)))]]);
  const gpu = await runKernel(kernel, buffers, node, { batch });
  const reduction = outShape.length === 0;
  const relative = reduction ? 1e-4 : 1e-5;
  for (let i = 0; i < cpu.data.length; i++) {
    const error = Math.abs(gpu[i]! - cpu.data[i]!);
    if (!(error <= relative * Math.abs(cpu.data[i]!) + 1e-6)) expect.fail(`${label}: element ${i} is ${gpu[i]} on WebGPU, ${cpu.data[i]} on the CPU`);
    const key = reduction ? "value" : "grad";
    if (error / (relative * Math.abs(cpu.data[i]!) + 1e-6) > worst[key]) worst[key] = error / (relative * Math.abs(cpu.data[i]!) + 1e-6);
  }
}

/** The loss and its gradient (dy = 1.3) over [N, cols] inputs. */
async function lossAndGrad(op: string, attrs: Attrs, cols: number, make: (batch: number) => [Float32Array, Float32Array], label: string) {
  for (const batch of BATCHES) {
    const [x, second] = make(batch);
    const secondShape: Dim[] = op === "class_loss" ? ["N"] : ["N", cols];
    await compare(op, [["N", cols], secondShape], [x, second], batch, attrs, `${label}, batch ${batch}`);
    await compare(`${op}_grad`, [["N", cols], secondShape, []], [x, second, Float32Array.of(1.3)], batch, attrs, `${label} gradient, batch ${batch}`);
  }
}

const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));
const EXTREME_PROBABILITIES = [0, 1e-7, 1 - 1e-7, 1, 1e-7, 0];
const EXTREME_LOGITS = [-800, 800, -100, 100, -30, 30, 0];

describe("WGSL loss kernels match the CPU reference", () => {
  it("mae, huber, smooth_l1 (thresholds 1 and 0.6), every reduction", async () => {
    for (const reduction of ["mean", "sum", "batchmean"]) {
      for (const [kind, threshold] of [["mae", 0], ["huber", 1], ["huber", 0.6], ["smooth_l1", 1], ["smooth_l1", 0.6]] as const) {
        await lossAndGrad("pointwise_loss", { kind, threshold, reduction }, 3, (n) => [random(3 * n, 1, (v) => 1.5 * v), random(3 * n, 2)], `${kind} ${threshold} ${reduction}`);
      }
    }
  }, 120_000);

  it("bce on probabilities with saturated ones, bce_with_logits with extreme logits, kl_div with zero targets", async () => {
    for (const reduction of ["mean", "sum"]) {
      const labels = (n: number) => random(n, 4, (v, i) => (i % 5 === 4 ? sigmoid(v) : v > 0 ? 1 : 0));
      await lossAndGrad("pointwise_loss", { kind: "bce", threshold: 0, reduction }, 1, (n) => [random(n, 3, (v, i) => EXTREME_PROBABILITIES[i] ?? sigmoid(2 * v)), labels(n)], `bce ${reduction}`);
      await lossAndGrad("pointwise_loss", { kind: "bce_logits", threshold: 0, reduction }, 1, (n) => [random(n, 3, (v, i) => EXTREME_LOGITS[i] ?? 6 * v), labels(n)], `bce_logits ${reduction}`);
      await lossAndGrad("pointwise_loss", { kind: "kl_div", threshold: 0, reduction: reduction === "mean" ? "batchmean" : "sum" }, 4, (n) => [random(4 * n, 5, (v) => v - 2), random(4 * n, 6, (v, i) => (i % 7 === 3 ? 0 : Math.exp(v) / 4))], `kl_div ${reduction}`);
    }
  }, 120_000);

  it("nll and hinge (margins 1 and 0.5) against class labels", async () => {
    const labels = (n: number) => Float32Array.from({ length: n }, (_, i) => (i * 7) % 5);
    for (const reduction of ["mean", "sum"]) {
      await lossAndGrad("class_loss", { kind: "nll", margin: 0, reduction }, 5, (n) => [random(5 * n, 7, (v) => v - 1.6), labels(n)], `nll ${reduction}`);
      for (const margin of [1, 0.5]) {
        await lossAndGrad("class_loss", { kind: "hinge", margin, reduction }, 5, (n) => [random(5 * n, 8), labels(n)], `hinge ${margin} ${reduction}`);
      }
    }
    console.log(`loss kernels, WebGPU vs CPU: worst error / tolerance ${worst.value.toFixed(3)} (losses), ${worst.grad.toFixed(3)} (gradients)`);
  }, 120_000);
});
