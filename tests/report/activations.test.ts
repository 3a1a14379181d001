// The report's "activations at initialization" section on the notes' experiment (samples/init_study.dl, a
// 10-layer tanh network): with std 0.01 the spread of the activations collapses layer after layer, with std 1
// they saturate, and Xavier keeps them alive; and the report draws one point per layer.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { compileProgram } from "../../compiler/compile.js";
import { activationsAtInit } from "../../runtime/report/activations.js";
import { writeReport } from "../../runtime/report/report.js";
import { lineMarks, sections } from "./parse.js";

const sample = path.resolve("samples/init_study.dl");
const withInit = (init: string) => {
  const text = fs.readFileSync(sample, "utf8").replace("dense(width, init: normal(std: init_std), bias: false)", `dense(width, init: ${init}, bias: false)`);
  const result = compileProgram(text, sample);
  expect(result.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  return result.program!;
};

describe("activations at initialization", () => {
  it("collapse with std 0.01, saturate with std 1, and stay alive with Xavier, as the notes show", () => {
    const small = activationsAtInit(withInit("normal(std: 0.01)"));
    const large = activationsAtInit(withInit("normal(std: 1)"));
    const xavier = activationsAtInit(withInit("xavier_normal"));
    for (const layers of [small, large, xavier]) expect(layers.map((l) => l.op)).toEqual(Array(10).fill("tanh"));
    // Each layer multiplies the spread by about 0.01·√500 ≈ 0.22.
    expect(small.at(-1)!.std).toBeLessThan(1e-5);
    expect(small.at(-1)!.std / small[0]!.std).toBeLessThan(1e-4);
    // tanh of N(0, 500) values: nearly all at ±1.
    expect(large.at(-1)!.std).toBeGreaterThan(0.9);
    expect(xavier.at(-1)!.std).toBeGreaterThan(0.1);
    expect(xavier.at(-1)!.std).toBeLessThan(0.9);
  });

  it("are drawn in the report, one point per layer", async () => {
    const program = withInit("normal(std: 0.01)");
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "dslc-activations-")), "report.html");
    await writeReport(program, { epochs: [], logs: [], evaluations: [], lr: [], warnings: [] }, undefined, { path: file });
    const html = fs.readFileSync(file, "utf8");
    const section = sections(html).get("activations")!;
    expect(section).toContain("Activations at initialization");
    expect(lineMarks(section).map((m) => m.points)).toEqual([10]);
    fs.rmSync(path.dirname(file), { recursive: true });
  });
});
