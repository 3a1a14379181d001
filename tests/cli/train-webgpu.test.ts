// `dslc train --backend webgpu` end to end through the CLI, and its diagnostic when no adapter matches.
import { describe, expect, it } from "vitest";
import { dslc } from "../helpers/cli.js";

describe("dslc train --backend webgpu", () => {
  it("trains on the device and reports the adapter, dispatches and buffer bytes", async () => {
    const result = await dslc("train", "samples/xor.dl", "--backend", "webgpu", "--epochs", "3", "--json");
    expect(result.code).toBe(0);
    const done = JSON.parse(result.stdout.trim().split("\n").pop()!);
    expect(done).toMatchObject({ event: "done", backend: "webgpu", steps: 3 });
    expect(done.adapter).toEqual(expect.any(String));
    expect(done.dispatches_per_step).toBeGreaterThan(10);
    expect(done.peak_buffer_bytes).toBeGreaterThan(0);
  }, 120_000);

  it("is the default, and falls back to the CPU with a note when no adapter matches", async () => {
    const byDefault = await dslc("train", "samples/xor.dl", "--epochs", "1", "--json");
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
});
