// The autotune cache of matmul configurations: its location, keys, round trip through the file, and that a
// damaged or foreign file reads as empty. No timing: measuring is left to bench/matmul.ts.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { MATMUL_CONFIGS, type MatmulShape } from "../../codegen/wgsl/matmul.js";
import { matmulCachePath, MatmulTuneCache, tunedMatmulConfig, tuneKey } from "../../runtime/webgpu/matmul-tune.js";

const shape: MatmulShape = { m: 512, k: "N", n: 784, transA: true, transB: false };

describe("matmul autotune cache", () => {
  it("lives under XDG_CACHE_HOME/dslc, else ~/.cache/dslc", () => {
    expect(matmulCachePath({ XDG_CACHE_HOME: "/x" })).toBe(path.join("/x", "dslc", "matmul-tune.json"));
    expect(matmulCachePath({})).toBe(path.join(os.homedir(), ".cache", "dslc", "matmul-tune.json"));
  });

  it("keys by adapter, sizes (the batch included) and transpose flags", () => {
    expect(tuneKey("llvmpipe", shape, 128)).toBe("llvmpipe|512xN=128x784|TN");
    expect(tuneKey("llvmpipe", shape, 64)).not.toBe(tuneKey("llvmpipe", shape, 128));
    expect(tuneKey("other", shape, 128)).not.toBe(tuneKey("llvmpipe", shape, 128));
  });

  it("round-trips a choice through the file, and a cached choice is used without measuring", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dslc-tune-"));
    const file = path.join(dir, "dslc", "matmul-tune.json");
    const cache = new MatmulTuneCache(file);
    const config = MATMUL_CONFIGS["8x8:4x4:k32"]!;
    cache.set(tuneKey("a", shape, 64), config);
    cache.save();
    const again = new MatmulTuneCache(file);
    expect(again.get(tuneKey("a", shape, 64))).toEqual(config);
    expect(again.get(tuneKey("a", shape, 128))).toBeUndefined();
    // No device is needed when the choice is cached (a device call would throw on this stand-in).
    expect(await tunedMatmulConfig({} as GPUDevice, "a", shape, 64, again)).toEqual(config);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("reads a damaged file, an older version or an unknown configuration name as no choice", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dslc-tune-"));
    const file = path.join(dir, "matmul-tune.json");
    fs.writeFileSync(file, "{ not json");
    expect(new MatmulTuneCache(file).get("k")).toBeUndefined();
    fs.writeFileSync(file, JSON.stringify({ version: 0, choices: { k: "8x8:4x4:k16" } }));
    expect(new MatmulTuneCache(file).get("k")).toBeUndefined();
    fs.writeFileSync(file, JSON.stringify({ version: 1, choices: { k: "no-such-config" } }));
    expect(new MatmulTuneCache(file).get("k")).toBeUndefined();
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
