// Checkpoints on the CPU reference backend: a run interrupted at a step and resumed from a checkpoint logs the
// same losses, evaluations and epoch reports and ends with the same weights, bit for bit, as an uninterrupted
// run (no tolerance: the arithmetic is the same, only the process differs). Damaged checkpoints and those of
// another model or run are refused with E0703, naming the problem.
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { cpuBackend } from "../../runtime/cpu/train.js";
import { CheckpointError } from "../../runtime/checkpoint/errors.js";
import { listCheckpoints } from "../../runtime/checkpoint/files.js";
import { decodeSafetensors, encodeSafetensors } from "../../runtime/checkpoint/safetensors.js";
import type { Program } from "../../runtime/program.js";
import { augmentedSource, checkpointProgram, checkpointSource, expectIdentical, MODEL, record, spliced } from "../helpers/checkpoint.js";

/** Trains uninterrupted, then interrupted after `stopAt` and resumed from `resumeFrom` (a step, or the newest). */
async function interruptAndResume(source: string, stopAt: number, resumeFrom?: number) {
  const { program, dir } = checkpointProgram(source);
  const full = await record(structuredClone(program), cpuBackend(program), {});
  fs.rmSync(path.join(dir, "ckpt"), { recursive: true });
  const first = await record(program, cpuBackend(program), { interrupted: () => stepSeen >= stopAt, onStep: (s) => (stepSeen = s) });
  expect(first.done.interrupted?.step).toBe(stopAt);
  const written = listCheckpoints(path.join(dir, "ckpt")).map((d) => path.basename(d));
  const target = resumeFrom === undefined ? path.join(dir, "ckpt") : path.join(dir, "ckpt", `step-${String(resumeFrom).padStart(6, "0")}`);
  const second = await record(program, cpuBackend(program), { resume: target });
  return { full, first, second, dir, written };
}
let stepSeen = 0;

describe("checkpoints on the CPU backend", () => {
  it("resume mid-epoch from a scheduled checkpoint: identical losses, evaluations and weights", async () => {
    stepSeen = 0;
    const { full, first, second, dir, written } = await interruptAndResume(checkpointSource(), 7, 4);
    // keep: 2 — the scheduled step-4 checkpoint and the one written at the interruption (step 7).
    expect(written).toEqual(["step-000004", "step-000007"]);
    expect(first.done.interrupted?.checkpoint).toBe(path.join(dir, "ckpt", "step-000007"));
    expect(second.done.resumed_from).toBe(path.join(dir, "ckpt", "step-000004"));
    expect(full.losses).toHaveLength(15);
    expectIdentical(spliced(first, second, 4), full);
    expect(second.done.train_loss).toBe(full.done.train_loss);
  }, 60_000);

  it("resume from the newest checkpoint of the folder, written at the interruption (Ctrl-C)", async () => {
    stepSeen = 0;
    const { full, first, second } = await interruptAndResume(checkpointSource(), 7);
    expectIdentical(spliced(first, second, 7), full);
  }, 60_000);

  it("Adam, reduce-on-plateau and early stopping with restored best weights resume exactly", async () => {
    stepSeen = 0;
    const source = checkpointSource({ optimizer: "adam(lr: 0.02)", schedule: "plateau(monitor: val_loss, factor: 0.5, patience: 0, threshold: 0.5)", extra: "  early_stopping(monitor: val_loss, patience: 100, restore_best: true)\n" });
    const { full, first, second } = await interruptAndResume(source, 9, 8);
    expectIdentical(spliced(first, second, 8), full);
    expect(full.epochs.map((e) => e.lr)).not.toEqual(full.epochs.map(() => 0.02));
  }, 60_000);

  it("augmentation (drawn from the seed and step) resumes exactly", async () => {
    stepSeen = 0;
    const { full, first, second } = await interruptAndResume(augmentedSource(), 6, 4);
    expectIdentical(spliced(first, second, 4), full);
  }, 60_000);

  it("resumes at an epoch boundary (checkpoint every epoch)", async () => {
    stepSeen = 0;
    const { full, first, second } = await interruptAndResume(checkpointSource().replace("every: 4 steps", "every: 1 epochs"), 6, 5);
    expectIdentical(spliced(first, second, 5), full);
  }, 60_000);
});

describe("refused checkpoints (E0703)", () => {
  async function checkpointOf(source: string): Promise<{ program: Program; dir: string; step4: string }> {
    const { program, dir } = checkpointProgram(source);
    await record(program, cpuBackend(program), { interrupted: () => true });
    return { program, dir, step4: path.join(dir, "ckpt", "step-000001") };
  }
  async function refusal(program: Program, dir: string): Promise<CheckpointError> {
    const error = await record(program, cpuBackend(program), { resume: dir }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CheckpointError);
    expect((error as CheckpointError).code).toBe("E0703");
    return error as CheckpointError;
  }

  it("another model: the differing parameter is named", async () => {
    const { dir } = await checkpointOf(checkpointSource());
    const wider = checkpointProgram(checkpointSource({ model: MODEL.replace("dense(16)", "dense(32)") })).program;
    expect((await refusal(wider, path.join(dir, "ckpt"))).message).toContain("parameter `dense_0.weight` is [16, 2] in the checkpoint but [32, 2] in the model");
    const adam = checkpointProgram(checkpointSource({ optimizer: "adam(lr: 0.01)" })).program;
    expect((await refusal(adam, path.join(dir, "ckpt"))).message).toContain("the checkpoint's optimizer is `sgd`, but the file's is `adam`");
    const other = checkpointProgram(checkpointSource({ model: MODEL.replace("dropout(0.2)", "dropout(0.5)") })).program;
    expect((await refusal(other, path.join(dir, "ckpt"))).message).toContain("the model's graph differs");
    const seed = checkpointProgram(checkpointSource().replace("seed 5", "seed 6")).program;
    expect((await refusal(seed, path.join(dir, "ckpt"))).message).toContain("was trained with seed 5, but this run has seed 6");
  }, 60_000);

  it("damaged files: truncated weights, a flipped byte, broken JSON, a missing file, an empty folder", async () => {
    const { program, dir, step4 } = await checkpointOf(checkpointSource());
    const weights = path.join(step4, "weights.safetensors");
    const state = path.join(step4, "state.json");
    const original = fs.readFileSync(weights);
    const originalState = fs.readFileSync(state, "utf8");
    fs.writeFileSync(weights, original.subarray(0, original.length - 10));
    expect((await refusal(program, step4)).message).toContain("does not match the checksum");
    const flipped = Buffer.from(original);
    flipped[flipped.length - 1]! ^= 1;
    fs.writeFileSync(weights, flipped);
    expect((await refusal(program, step4)).message).toContain("does not match the checksum");
    fs.writeFileSync(weights, original);
    fs.writeFileSync(state, originalState.slice(0, 50));
    expect((await refusal(program, step4)).message).toContain("state.json` is not valid JSON");
    fs.rmSync(state);
    expect((await refusal(program, step4)).message).toContain("holds no checkpoint");
    fs.writeFileSync(state, originalState);
    fs.rmSync(weights);
    expect((await refusal(program, step4)).message).toContain("has no `weights.safetensors`");
    expect((await refusal(program, path.join(dir, "nothing-here"))).message).toContain("is not a directory");
    // And the good one resumes.
    fs.writeFileSync(weights, original);
    await record(program, cpuBackend(program), { resume: step4 });
  }, 60_000);
});

describe("safetensors", () => {
  const tensors = new Map([
    ["a.weight", { shape: [2, 3], data: Float32Array.from([1, -2, 3.5, 0, 1e-30, -0]) }],
    ["b", { shape: [], data: Float32Array.from([Math.PI]) }],
    ["empty", { shape: [0, 4], data: new Float32Array(0) }],
  ]);

  it("round-trips tensors and metadata exactly; the layout is the format's", () => {
    const bytes = encodeSafetensors(tensors, { format: "x" });
    const headerLength = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect((8 + headerLength) % 8).toBe(0);
    const header = JSON.parse(Buffer.from(bytes.subarray(8, 8 + headerLength)).toString());
    expect(header["a.weight"]).toEqual({ dtype: "F32", shape: [2, 3], data_offsets: [0, 24] });
    expect(header["b"]).toEqual({ dtype: "F32", shape: [], data_offsets: [24, 28] });
    expect(header["__metadata__"]).toEqual({ format: "x" });
    // Little-endian f32: 1.0 is 00 00 80 3f.
    expect([...bytes.subarray(8 + headerLength, 8 + headerLength + 4)]).toEqual([0, 0, 0x80, 0x3f]);
    const decoded = decodeSafetensors(bytes);
    expect(decoded.metadata).toEqual({ format: "x" });
    for (const [name, t] of tensors) expect(decoded.tensors.get(name)).toEqual(t);
  });

  it("refuses malformed files with a message, never a crash", () => {
    const good = encodeSafetensors(tensors);
    const headerLength = Number(new DataView(good.buffer).getBigUint64(0, true));
    const withHeader = (header: unknown, data = new Uint8Array(0)) => {
      const json = Buffer.from(JSON.stringify(header));
      const out = new Uint8Array(8 + json.length + data.length);
      new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
      out.set(json, 8);
      out.set(data, 8 + json.length);
      return out;
    };
    const cases: [Uint8Array, string][] = [
      [good.subarray(0, 5), "fewer than the 8"],
      [good.subarray(0, 8 + headerLength - 1), "the header claims"],
      [good.subarray(0, good.length - 4), "truncated"],
      [withHeader([1, 2]), "not a JSON object"],
      [withHeader({ t: { dtype: "F16", shape: [1], data_offsets: [0, 2] } }, new Uint8Array(2)), "dtype \"F16\""],
      [withHeader({ t: { dtype: "F32", shape: [2], data_offsets: [0, 4] } }, new Uint8Array(4)), "needs 8 bytes"],
      [withHeader({ t: { dtype: "F32", shape: [-1], data_offsets: [0, 4] } }, new Uint8Array(4)), "invalid shape"],
      [withHeader({ t: { dtype: "F32", shape: [1], data_offsets: [4, 8] } }, new Uint8Array(8)), "a hole or an overlap"],
      [withHeader({ __metadata__: { a: 1 } }), "is not a string"],
    ];
    for (const [bytes, message] of cases) {
      let error: unknown;
      try {
        decodeSafetensors(bytes);
      } catch (e) {
        error = e;
      }
      expect(error, message).toBeInstanceOf(CheckpointError);
      expect((error as Error).message).toContain(message);
    }
    const notJson = new Uint8Array(good);
    notJson[8] = 0x7b + 1;
    expect(() => decodeSafetensors(notJson)).toThrow(/not JSON/);
  });
});
