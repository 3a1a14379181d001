// The `compat` presets of `train` (features.md §13) as the checker elaborates them and the lowering reads them:
// the preset's defaults where the file writes nothing, the written values in the preset's meaning, W0107 for a
// BatchNorm momentum of the other convention, and E0601 for what a preset cannot reproduce exactly. The update
// rules themselves are checked against the frameworks in tests/webgpu/golden-compat.test.ts.
import { describe, expect, it } from "vitest";
import { compileProgram } from "../../compiler/compile.js";

const file = (compat: string, optimizer: string, model = "x |> dense(8) |> batchnorm |> relu |> dense(3)", extra = "") =>
  `model M(x: f32[N, 2]) -> f32[N, 3] {\n  return ${model}\n}\ntrain {\n  data = spirals(n: 300) |> split(val: 0.2)\n  loss = cross_entropy()\n  optimizer = ${optimizer}\n  epochs 5\n  compat ${compat}\n${extra}}\n`;

function compile(text: string) {
  const result = compileProgram(text, "/tmp/compat.dl");
  return { ...result, codes: result.diagnostics.map((d) => d.code) };
}

const runningMomentum = (text: string) => compile(text).program!.nodes.filter((n) => n.op === "batchnorm_running_update").map((n) => n.attrs["momentum"]);

describe("compat presets", () => {
  it("keras: Adam's ε defaults to 1e-7 and sgdr's t_mult to 2 in the elaboration, unless written", () => {
    const keras = compile(file("keras", "adam(lr: 0.01)", "x |> dense(3)", "  schedule = sgdr(t0: 1 epochs)\n"));
    expect(keras.codes).toEqual([]);
    expect(keras.program!.optimizer).toMatchObject({ kind: "adam", eps: 1e-7, compat: "keras" });
    expect(keras.frontend.check!.train!.elaborated!.optimizer.args.get("eps")).toBe(1e-7);
    expect(keras.frontend.check!.train!.elaborated!.schedule[0]!.args.get("t_mult")).toBe(2);
    expect(JSON.stringify(keras.program!.schedule)).toContain("\"tMult\":2");
    const written = compile(file("keras", "adam(lr: 0.01, eps: 1e-8)", "x |> dense(3)", "  schedule = sgdr(t0: 1 epochs, t_mult: 1)\n"));
    expect(written.program!.optimizer).toMatchObject({ eps: 1e-8 });
    expect(written.frontend.check!.train!.elaborated!.schedule[0]!.args.get("t_mult")).toBe(1);
    expect(compile(file("pytorch", "adam(lr: 0.01)", "x |> dense(3)")).program!.optimizer).not.toHaveProperty("compat");
  });

  it("keras: batchnorm's momentum is the weight of the running average, 0.99 by default", () => {
    expect(runningMomentum(file("pytorch", "sgd(lr: 0.1)"))).toEqual([0.1]);
    expect(runningMomentum(file("keras", "sgd(lr: 0.1)"))[0]).toBeCloseTo(0.01, 12);
    expect(runningMomentum(file("keras", "sgd(lr: 0.1)", "x |> dense(8) |> batchnorm(momentum: 0.9) |> relu |> dense(3)"))[0]).toBeCloseTo(0.1, 12);
  });

  it("caffe: xavier uses fan_in only, U(±gain·√(3/fan_in)); written mode: fan_avg keeps Glorot's", () => {
    const init = (compat: string, call: string) => compile(file(compat, "sgd(lr: 0.1)", `x |> dense(4, init: ${call}) |> dense(3)`)).program!.params[0]!.init;
    const bound = Math.sqrt(3 / 2);
    expect(init("caffe", "xavier_uniform")).toEqual({ kind: "uniform", a: -bound, b: bound });
    expect(init("caffe", "xavier_normal(gain: 2)")).toEqual({ kind: "normal", mean: 0, std: 2 * Math.sqrt(1 / 2) });
    expect(init("caffe", "xavier_uniform(mode: fan_avg)")).toEqual({ kind: "xavier_uniform", gain: 1 });
    expect(init("keras", "xavier_uniform")).toEqual({ kind: "xavier_uniform", gain: 1 });
  });

  it("W0107: a batchnorm momentum of the other convention", () => {
    const mixed = (compat: string, m: number) => compile(file(compat, "sgd(lr: 0.1)", `x |> dense(8) |> batchnorm(momentum: ${m}) |> relu |> dense(3)`)).codes;
    expect(mixed("keras", 0.1)).toContain("W0107");
    expect(mixed("keras", 0.9)).not.toContain("W0107");
    expect(mixed("pytorch", 0.99)).toContain("W0107");
    expect(mixed("pytorch", 0.1)).not.toContain("W0107");
  });

  it("refuses what a preset cannot reproduce exactly (E0601)", () => {
    expect(compile(file("keras", "rmsprop(lr: 0.01)", "x |> dense(3)")).codes).toContain("E0601");
    expect(compile(file("caffe", "sgd(lr: 0.1, momentum: 0.9, dampening: 0.1)", "x |> dense(3)")).codes).toContain("E0601");
    expect(compile(file("keras", "sgd(lr: 0.1, weight_decay: 0.01)", "x |> dense(3)")).codes).toContain("E0601");
    expect(compile(file("caffe", "sgd(lr: 0.1)")).codes).toContain("E0601");
    expect(compile(file("caffe", "sgd(lr: 0.1)", "x |> dense(8) |> batchnorm(track_running_stats: false) |> relu |> dense(3)")).codes).toEqual([]);
  });
});
