// `dslc train --tune`: measures the model's matmul configurations on the adapter and caches them under
// $XDG_CACHE_HOME/dslc; a second run finds them cached; with the CPU backend the flag is a usage error.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dslc } from "../helpers/cli.js";

let cacheHome: string;
const saved = process.env["XDG_CACHE_HOME"];
beforeAll(() => {
  cacheHome = fs.mkdtempSync(path.join(os.tmpdir(), "dslc-tune-cli-"));
  process.env["XDG_CACHE_HOME"] = cacheHome;
});
afterAll(() => {
  if (saved === undefined) delete process.env["XDG_CACHE_HOME"];
  else process.env["XDG_CACHE_HOME"] = saved;
  fs.rmSync(cacheHome, { recursive: true, force: true });
});

describe("dslc train --tune", () => {
  it("is a usage error with --backend cpu, and with an ensemble", async () => {
    const cpu = await dslc("train", "samples/xor.dl", "--backend", "cpu", "--tune");
    expect(cpu.code).toBe(2);
    expect(cpu.stderr).toContain("`--tune` measures the WebGPU matmul kernels, and `--backend cpu` runs none");
    expect(cpu.stdout).toBe("");
    const ensemble = await dslc("train", "samples/ensemble.dl", "--tune");
    expect(ensemble.code).toBe(2);
    expect(ensemble.stderr).toContain("`--tune` does not apply to an ensemble yet");
    expect(fs.existsSync(path.join(cacheHome, "dslc"))).toBe(false);
  });

  it("tunes on the device, writes the cache, and finds it there the second time", async () => {
    // xor is below the small-model rule's threshold: --tune alone trains it on the device anyway.
    const first = await dslc("train", "samples/xor.dl", "--tune", "--epochs", "1", "--json");
    expect(first.code).toBe(0);
    expect(JSON.parse(first.stdout.trim().split("\n").pop()!)).toMatchObject({ event: "done", backend: "webgpu" });
    const file = path.join(cacheHome, "dslc", "matmul-tune.json");
    expect(first.stderr).toMatch(/note: tuned \d+ matmul shapes? on .+ in \d+\.\d s \(.*cached in /);
    expect(first.stderr).toContain(file);
    const cached = JSON.parse(fs.readFileSync(file, "utf8"));
    expect(Object.keys(cached.choices).length).toBeGreaterThan(0);
    const second = await dslc("train", "samples/xor.dl", "--tune", "--epochs", "1");
    expect(second.code).toBe(0);
    expect(second.stderr).toContain("already tuned");
    expect(second.stderr).toContain("nothing measured");
    expect(JSON.parse(fs.readFileSync(file, "utf8"))).toEqual(cached);
  }, 240_000);
});
