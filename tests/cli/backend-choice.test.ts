// The default backend of `dslc train`: a model under cli/backend-choice.ts's FLOP threshold trains on the CPU,
// with a note saying so; one above it on WebGPU; an explicit --backend or --adapter overrides the rule.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { compileProgram } from "../../compiler/compile.js";
import { CPU_BELOW_FLOPS, defaultBackend, stepFlops } from "../../cli/backend-choice.js";
import { dslc } from "../helpers/cli.js";

const program = (file: string) => compileProgram(readFileSync(file, "utf8"), file).program!;

describe("the default backend", () => {
  it("estimates a step's FLOPs from the training graph: 2·M·N·K per matrix product", () => {
    // spirals at batch 64: the dense layers alone are 2·64·(2·64 + 4·64·64 + 64·3) per product, three products each.
    const dense = 2 * 64 * (2 * 64 + 4 * 64 * 64 + 64 * 3);
    const flops = stepFlops(program("samples/spirals.dl"));
    expect(flops).toBeGreaterThan(2.5 * dense);
    expect(flops).toBeLessThan(4 * dense);
  });

  it("is the CPU below the threshold, with a note naming the estimate and how to use the device", () => {
    const xor = defaultBackend(program("samples/xor.dl"));
    expect(xor.backend).toBe("cpu");
    expect(xor.note).toMatch(/about \S+ MFLOP per training step, below the 1 MFLOP .* training on the CPU reference backend \(`--backend webgpu` uses the device anyway\)/);
    expect(defaultBackend(program("samples/polyfit.dl")).backend).toBe("cpu");
    expect(stepFlops(program("samples/polyfit.dl"))).toBeLessThan(CPU_BELOW_FLOPS);
  });

  it("is WebGPU above it, without a note", () => {
    expect(defaultBackend(program("samples/spirals.dl"))).toEqual({ backend: "webgpu" });
  });

  it("trains a small model on the CPU by default, saying so; --backend webgpu overrides it", async () => {
    const byDefault = await dslc("train", "samples/xor.dl", "--epochs", "1", "--json");
    expect(byDefault.code).toBe(0);
    expect(byDefault.stderr).toContain("MFLOP per training step, below the 1 MFLOP");
    expect(JSON.parse(byDefault.stdout.trim().split("\n").pop()!).backend).toBe("cpu");
    const forced = await dslc("train", "samples/xor.dl", "--epochs", "1", "--json", "--backend", "webgpu");
    expect(forced.code).toBe(0);
    expect(forced.stderr).not.toContain("MFLOP");
    expect(JSON.parse(forced.stdout.trim().split("\n").pop()!).backend).toBe("webgpu");
  }, 120_000);
});
