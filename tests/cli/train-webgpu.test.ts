// `dslc train --backend webgpu` end to end through the CLI, and its diagnostic when no adapter matches.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { dslc } from "../helpers/cli.js";

/** A model whose second weight matrix (6000 × 6000 floats, 137 MiB) exceeds one storage binding (128 MiB). */
const TOO_WIDE = "model M(x: f32[N, 2]) -> f32[N, 3] {\n  return x |> dense(6000) |> relu |> dense(6000) |> relu |> dense(3)\n}\ntrain {\n  data = spirals(classes: 3) |> split(val: 0.2)\n  loss = cross_entropy()\n  optimizer = sgd(lr: 0.1)\n  epochs 5\n}\n";

describe("dslc train --backend webgpu", () => {
  it("trains on the device and reports the adapter, dispatches and buffer bytes", async () => {
    const result = await dslc("train", "samples/xor.dl", "--backend", "webgpu", "--epochs", "3", "--json");
    expect(result.code).toBe(0);
    const done = JSON.parse(result.stdout.trim().split("\n").pop()!);
    expect(done).toMatchObject({ event: "done", backend: "webgpu", steps: 3 });
    expect(done.adapter).toEqual(expect.any(String));
    // A count, not a fixed number: fusion (issue 11) brought xor from 13 to 8 dispatches.
    expect(done.dispatches_per_step).toBeGreaterThan(0);
    expect(done.peak_buffer_bytes).toBeGreaterThan(0);
  }, 120_000);

  it("is the default, and falls back to the CPU with a note when no adapter matches", async () => {
    // spirals is above cli/backend-choice.ts's threshold (xor, below it, defaults to the CPU: tests/cli/backend-choice.test.ts).
    const byDefault = await dslc("train", "samples/spirals.dl", "--epochs", "1", "--json");
    expect(byDefault.stderr).not.toContain("MFLOP");
    expect(JSON.parse(byDefault.stdout.trim().split("\n").pop()!).backend).toBe("webgpu");
    const fallback = await dslc("train", "samples/xor.dl", "--epochs", "1", "--json", "--adapter", "no-such-adapter");
    expect(fallback.code).toBe(0);
    expect(fallback.stderr).toContain("note: no WebGPU adapter matching `no-such-adapter` was found; training on the CPU reference backend instead");
    expect(JSON.parse(fallback.stdout.trim().split("\n").pop()!).backend).toBe("cpu");
  }, 120_000);

  it("names the fix when no adapter is found (E0702)", async () => {
    const result = await dslc("train", "samples/xor.dl", "--backend", "webgpu", "--adapter", "no-such-adapter");
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("error[E0702]: no WebGPU adapter matching `no-such-adapter` was found");
    expect(result.stderr).toContain("lavapipe");
    expect(result.stderr).toContain("--backend cpu");
  });

  it("refuses a model beyond the device's binding limit before allocating anything (E0602), pointing at the layer", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dslc-budget-"));
    const file = path.join(dir, "wide.dl");
    fs.writeFileSync(file, TOO_WIDE);
    const result = await dslc("train", file, "--backend", "webgpu");
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("error[E0602]: the parameter `dense_1.weight` [6000, 6000] takes 137.3 MiB, more than one storage binding of this device allows");
    expect(result.stderr).toContain(" --> ");
    expect(result.stderr).toContain("dense(6000) |> relu |> dense(3)");
    expect(result.stderr).not.toContain("internal compiler error");
    fs.rmSync(dir, { recursive: true });
  }, 120_000);
});
