// Memory planning: slots are reused only after a value's last reader, never shared within one kernel, and
// training with planned buffers gives exactly the numbers of training with one buffer per value.
import * as fs from "node:fs";
import { describe, expect, it } from "vitest";
import { planKernels } from "../../codegen/wgsl/plan.js";
import { compileProgram } from "../../compiler/compile.js";
import { runTraining, type EpochReport } from "../../runtime/loop.js";
import { acquireDevice } from "../../runtime/webgpu/device.js";
import { WebGpuBackend } from "../../runtime/webgpu/backend.js";
import { planMemory } from "../../runtime/webgpu/memory.js";

describe("planMemory", () => {
  it("reuses a buffer once its value is dead, and never for a kernel's own inputs", () => {
    // a → b → c → d: a is dead after b is computed, so c can take a's slot; b and c never share.
    const kernels = [[{ node: "a", write: true }], [{ node: "a", write: false }, { node: "b", write: true }], [{ node: "b", write: false }, { node: "c", write: true }], [{ node: "c", write: false }, { node: "d", write: true }]];
    const plan = planMemory([kernels], () => 64, () => false);
    const slot = plan.slots[0]!;
    expect(slot.get("c")).toBe(slot.get("a"));
    expect(slot.get("b")).not.toBe(slot.get("c"));
    expect(slot.get("d")).toBe(slot.get("b"));
    expect(plan.slotBytes).toEqual([64, 64]);
  });

  it("leaves persistent values out and grows a reused slot to the larger size", () => {
    const kernels = [[{ node: "p", write: true }, { node: "x", write: true }], [{ node: "x", write: false }, { node: "y", write: true }], [{ node: "y", write: false }, { node: "z", write: true }]];
    const plan = planMemory([kernels], (n) => (n === "z" ? 256 : 32), (n) => n === "p");
    expect(plan.slots[0]!.has("p")).toBe(false);
    expect(plan.slotBytes.reduce((a, b) => a + b, 0)).toBe(256 + 32);
  });
});

describe("planned buffers on the device", () => {
  it("train the digits MLP to exactly the same losses with less memory", async () => {
    const program = compileProgram(fs.readFileSync("samples/digits_mlp.dl", "utf8"), "samples/digits_mlp.dl", undefined, { epochs: 1 }).program!;
    const run = async (planned: boolean) => {
      const epochs: EpochReport[] = [];
      const backend = new WebGpuBackend(await acquireDevice(), program, planKernels(program), 42, 64, { planMemory: planned });
      await runTraining(program, backend, { onEpoch: (e) => epochs.push(e) });
      const bytes = backend.bufferBytes;
      backend.destroy();
      return { epochs, bytes };
    };
    const planned = await run(true);
    const unplanned = await run(false);
    expect(planned.epochs).toEqual(unplanned.epochs);
    // 0.8 before issue 11's fusion scheduler; it leaves fewer intermediates to share (measured 0.88).
    expect(planned.bytes).toBeLessThan(unplanned.bytes * 0.9);
  }, 300_000);

  it("split parameters into chunks of a binding each and train to exactly the same numbers", async () => {
    // A 64 KiB binding limit puts the digits MLP's 51,000 parameters into several chunks, each with its own
    // update and probe dispatch; the numbers must not change (each update is elementwise, each tensor's probe
    // sum is reduced within one workgroup).
    const text = fs.readFileSync("samples/digits_mlp.dl", "utf8").replace("monitor [train_loss, val_loss, val_accuracy, update_ratio]", "monitor [train_loss, val_loss, val_accuracy, update_ratio, grad_norm]\n  log_every 5 steps");
    const program = compileProgram(text, "samples/digits_mlp.dl", undefined, { epochs: 1 }).program!;
    const run = async (bindingLimit?: number) => {
      const epochs: EpochReport[] = [];
      const plan = planKernels(program, { bindingLimit });
      const backend = new WebGpuBackend(await acquireDevice(), program, plan, 42, 64);
      await runTraining(program, backend, { onEpoch: (e) => epochs.push(e) });
      backend.destroy();
      return { epochs, chunks: plan.layout.chunks.length, updates: plan.train.kernels.filter((k) => k.label.startsWith("adam update")).length };
    };
    const split = await run(64 * 1024);
    const whole = await run();
    expect(whole.chunks).toBe(1);
    expect(split.chunks).toBeGreaterThan(2);
    expect(split.updates).toBe(split.chunks);
    expect(split.epochs).toEqual(whole.epochs);
    expect(Object.keys(split.epochs[0]!.update_ratio!)).toHaveLength(program.params.length);
  }, 300_000);
});
