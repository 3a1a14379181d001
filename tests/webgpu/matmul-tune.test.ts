// The matmul autotune cache (runtime/webgpu/matmul-tune.ts): its location and keys, its round trip through the
// file, that a damaged or foreign file reads as empty and is replaced, that noise within the margin never
// beats the default, that a cached choice is used without measuring, and one real tuning on this adapter.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { compileProgram } from "../../compiler/compile.js";
import { configName, defaultMatmulConfig, MATMUL_CONFIGS, type MatmulConfig, type MatmulShape } from "../../codegen/wgsl/matmul.js";
import { acquireDevice } from "../../runtime/webgpu/device.js";
import { matmulCachePath, matmulChooser, MatmulTuneCache, measureBestConfig, programMatmulShapes, tuneKey, type MatmulTimer } from "../../runtime/webgpu/matmul-tune.js";

const shape: MatmulShape = { m: 512, k: "N", n: 784, transA: true, transB: false };
const dirs: string[] = [];
function tempFile(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dslc-tune-"));
  dirs.push(dir);
  return path.join(dir, "dslc", "matmul-tune.json");
}
afterAll(() => dirs.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));

/** A device stand-in for measured runs with a fake timer: only its binding limit is read. */
const fakeDevice = { limits: { maxStorageBufferBindingSize: 1 << 27 } } as unknown as GPUDevice;

/** A timer that counts its calls and makes `fast` (if given) 30% faster than everything else. */
function countingTimer(fast?: MatmulConfig): MatmulTimer & { calls: number } {
  const timer = Object.assign(async (_s: MatmulShape, config: MatmulConfig) => {
    timer.calls++;
    return fast && configName(config) === configName(fast) ? 0.7 : 1;
  }, { calls: 0 });
  return timer;
}

describe("matmul autotune cache", () => {
  it("lives under XDG_CACHE_HOME/dslc, else ~/.cache/dslc", () => {
    expect(matmulCachePath({ XDG_CACHE_HOME: "/x" })).toBe(path.join("/x", "dslc", "matmul-tune.json"));
    expect(matmulCachePath({})).toBe(path.join(os.homedir(), ".cache", "dslc", "matmul-tune.json"));
  });

  it("keys by adapter, sizes (the batch included) and transpose flags", () => {
    const key = tuneKey("llvmpipe", shape, 128);
    expect(key).toBe("llvmpipe|512xN=128x784|TN");
    expect(tuneKey("llvmpipe", shape, 64)).not.toBe(key);
    expect(tuneKey("other", shape, 128)).not.toBe(key);
    expect(tuneKey("llvmpipe", { ...shape, transA: false }, 128)).not.toBe(key);
    expect(tuneKey("llvmpipe", { ...shape, transB: true }, 128)).not.toBe(key);
    expect(tuneKey("llvmpipe", { ...shape, n: 783 }, 128)).not.toBe(key);
  });

  it("round-trips a choice through the file, keeping what another process saved meanwhile", () => {
    const file = tempFile();
    const config = MATMUL_CONFIGS["16x4:4x4"]!;
    const mine = new MatmulTuneCache(file);
    const theirs = new MatmulTuneCache(file);
    mine.set(tuneKey("a", shape, 64), config);
    theirs.set(tuneKey("b", shape, 64), MATMUL_CONFIGS["8x1:8x2"]!);
    theirs.save();
    mine.save();
    const again = new MatmulTuneCache(file);
    expect(again.get(tuneKey("a", shape, 64))).toEqual(config);
    expect(again.get(tuneKey("b", shape, 64))).toEqual(MATMUL_CONFIGS["8x1:8x2"]);
    expect(again.get(tuneKey("a", shape, 128))).toBeUndefined();
    expect(again.knows("a")).toBe(true);
    expect(again.knows("c")).toBe(false);
  });

  it("reads a damaged file, another version, another shape of file or an unknown configuration as empty, and replaces it", async () => {
    const file = tempFile();
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const key = tuneKey("a", shape, 64);
    for (const contents of ["{ not json", "[]", "null", JSON.stringify({ version: 1, choices: { [key]: "8x1:8x8" } }), JSON.stringify({ version: 2, choices: { [key]: "no-such-config" } }), JSON.stringify({ version: 2, choices: [] })]) {
      fs.writeFileSync(file, contents);
      expect(new MatmulTuneCache(file).get(key), contents).toBeUndefined();
    }
    const timer = countingTimer();
    await matmulChooser(fakeDevice, "a", [shape], 64, new MatmulTuneCache(file), { tune: true, time: timer });
    expect(timer.calls).toBe(Object.keys(MATMUL_CONFIGS).length);
    const saved = JSON.parse(fs.readFileSync(file, "utf8"));
    expect(saved.version).toBe(2);
    expect(saved.choices[key]).toBe(configName(defaultMatmulConfig(shape)));
  });

  it("keeps the default unless a candidate is faster by the margin, and skips a candidate the device rejects", async () => {
    const fallback = defaultMatmulConfig(shape);
    const other = Object.values(MATMUL_CONFIGS).find((c) => configName(c) !== configName(fallback))!;
    const timed = (ms: (c: MatmulConfig) => number): MatmulTimer => async (_s, c) => ms(c);
    const named = (c: MatmulConfig) => configName(c);
    expect(named(await measureBestConfig(shape, 64, timed((c) => (named(c) === named(other) ? 0.95 : 1))))).toBe(named(fallback));
    expect(named(await measureBestConfig(shape, 64, timed((c) => (named(c) === named(other) ? 0.8 : 1))))).toBe(named(other));
    const rejecting: MatmulTimer = async (_s, c) => {
      if (named(c) === named(other)) throw new Error("invalid");
      return 1;
    };
    expect(named(await measureBestConfig(shape, 64, rejecting))).toBe(named(fallback));
  });

  it("measures only what is not cached, and only when tuning", async () => {
    const file = tempFile();
    const fast = MATMUL_CONFIGS["8x8:8x8"]!;
    const other: MatmulShape = { m: "N", k: 512, n: 10, transA: false, transB: true };
    const tiny: MatmulShape = { m: "N", k: 32, n: 16, transA: false, transB: true };
    const timer = countingTimer(fast);
    const first = await matmulChooser(fakeDevice, "a", [shape, other, tiny], 64, new MatmulTuneCache(file), { tune: true, time: timer });
    // The tiny product (64·32·16 multiply-adds) is decided without timing: it keeps the default.
    expect(first).toMatchObject({ decided: 3, timed: 2, cached: 0 });
    expect(first.choose(shape)).toEqual(fast);
    expect(first.choose(tiny)).toEqual(defaultMatmulConfig(tiny));
    const calls = timer.calls;
    expect(calls).toBe(2 * Object.keys(MATMUL_CONFIGS).length);
    // A second run reads the file: nothing measured, the same choices.
    const second = await matmulChooser(fakeDevice, "a", [shape, other, tiny], 64, new MatmulTuneCache(file), { tune: true, time: timer });
    expect(timer.calls).toBe(calls);
    expect(second).toMatchObject({ decided: 0, timed: 0, cached: 3 });
    expect(second.choose(other)).toEqual(fast);
    expect(second.choose(tiny)).toEqual(defaultMatmulConfig(tiny));
    // Another batch is another key: without tuning it gets the default, and nothing is measured or saved.
    const before = fs.readFileSync(file, "utf8");
    const untuned = await matmulChooser(fakeDevice, "a", [shape], 128, new MatmulTuneCache(file), { tune: false, time: timer });
    expect(timer.calls).toBe(calls);
    expect(untuned.choose(shape)).toEqual(defaultMatmulConfig(shape));
    expect(fs.readFileSync(file, "utf8")).toBe(before);
  });

  it("lists a program's distinct matmul shapes", () => {
    const program = compileProgram(fs.readFileSync("samples/xor.dl", "utf8"), "xor.dl").program!;
    const shapes = programMatmulShapes(program.nodes);
    expect(shapes.length).toBeGreaterThan(0);
    const keys = shapes.map((s) => tuneKey("a", s, 4));
    expect(new Set(keys).size).toBe(keys.length);
    // The forward x·Wᵀ of the first layer: [N, 2] times [4, 2]ᵀ.
    expect(shapes).toContainEqual({ m: "N", k: 2, n: 4, transA: false, transB: true });
  });

  it("tunes a shape on this adapter: the choice is a candidate, cached, and read back without measuring", async () => {
    const file = tempFile();
    const gpu = await acquireDevice();
    try {
      // 64 · 96 · 72 multiply-adds: just above the size that is timed at all.
      const small: MatmulShape = { m: "N", k: 96, n: 72, transA: false, transB: true };
      const tuned = await matmulChooser(gpu.device, gpu.adapterName, [small], 64, new MatmulTuneCache(file), { tune: true });
      expect(tuned).toMatchObject({ decided: 1, timed: 1 });
      const chosen = configName(tuned.choose(small));
      expect(Object.keys(MATMUL_CONFIGS)).toContain(chosen);
      expect(JSON.parse(fs.readFileSync(file, "utf8")).choices[tuneKey(gpu.adapterName, small, 64)]).toBe(chosen);
      const timer = countingTimer();
      const again = await matmulChooser(gpu.device, gpu.adapterName, [small], 64, new MatmulTuneCache(file), { tune: true, time: timer });
      expect(timer.calls).toBe(0);
      expect(configName(again.choose(small))).toBe(chosen);
    } finally {
      gpu.destroy();
    }
  }, 120_000);
});
