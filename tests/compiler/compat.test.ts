// The `compat` presets of `train` (features.md §13) as the checker elaborates them and the lowering reads them:
// the preset's defaults where the file writes nothing, the written values in the preset's meaning, W0107 for a
// BatchNorm momentum of the other convention, and E0601 for what a preset cannot reproduce exactly. The update
// rules themselves are checked against the frameworks in tests/webgpu/golden-compat.test.ts (optimizers) and
// tests/webgpu/compat-bn.test.ts (BatchNorm's running statistics).
import { describe, expect, it } from "vitest";
import { compileProgram } from "../../compiler/compile.js";

const file = (compat: string, optimizer: string, model = "x |> dense(8) |> batchnorm |> relu |> dense(3)", extra = "") =>
  `model M(x: f32[N, 2]) -> f32[N, 3] {\n  return ${model}\n}\ntrain {\n  data = spirals(n: 300) |> split(val: 0.2)\n  loss = cross_entropy()\n  optimizer = ${optimizer}\n  epochs 5\n  compat ${compat}\n${extra}}\n`;

function compile(text: string) {
  const result = compileProgram(text, "/tmp/compat.dl");
  return { ...result, codes: result.diagnostics.map((d) => d.code) };
}

const runningMomentum = (text: string) =>
  compile(text).program!.nodes.filter((n) => n.op === "batchnorm_running_update" || n.op === "norm_running_update").map((n) => n.attrs["momentum"]);

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

  it("keras: batchnorm's ε defaults to 1e-3 in the elaboration, in what hover shows and in the program, unless written", () => {
    const batchnormOf = (result: ReturnType<typeof compile>) => [...result.frontend.check!.calls.values()].find((c) => c.builtin === "batchnorm")!;
    const keras = compile(file("keras", "sgd(lr: 0.1)"));
    expect(keras.codes).toEqual([]);
    expect(batchnormOf(keras).args.get("eps")).toBe(1e-3);
    expect(batchnormOf(keras).args.get("momentum")).toBe(0.99);
    expect(keras.program!.nodes.find((n) => n.op === "norm_stats")!.attrs["eps"]).toBe(1e-3);
    const written = compile(file("keras", "sgd(lr: 0.1)", "x |> dense(8) |> batchnorm(eps: 1e-4) |> relu |> dense(3)"));
    expect(batchnormOf(written).args.get("eps")).toBe(1e-4);
    expect(written.program!.nodes.find((n) => n.op === "norm_stats")!.attrs["eps"]).toBe(1e-4);
    expect(batchnormOf(compile(file("pytorch", "sgd(lr: 0.1)"))).args.get("eps")).toBe(1e-5);
  });

  it("keras: [N, F] updates the moving variance with the biased variance (tf.nn.moments), [N, C, H, W] as PyTorch (TF's fused kernel)", () => {
    const updates = (text: string) => compile(text).program!.nodes.filter((n) => n.op === "norm_running_update" || n.op === "batchnorm_running_update");
    const [features] = updates(file("keras", "sgd(lr: 0.1)"));
    expect(features).toMatchObject({ op: "norm_running_update", attrs: { rule: "keras" } });
    expect(features!.attrs["momentum"]).toBeCloseTo(0.01, 12);
    const conv = (compat: string, bn = "batchnorm") => file(compat, "sgd(lr: 0.1)", `x |> reshape([2, 1, 1]) |> conv2d(4, kernel: 1) |> ${bn} |> relu |> flatten |> dense(3)`);
    const [channels] = updates(conv("keras"));
    expect(channels!.attrs).not.toHaveProperty("rule");
    expect(channels!.attrs["momentum"]).toBeCloseTo(0.01, 12);
    // TF's fused batch norm raises ε to 1.001e-5 (nn_impl.py fused_batch_norm); [N, F] keeps it.
    const eps = (text: string) => compile(text).program!.nodes.find((n) => n.op === "norm_stats")!.attrs["eps"];
    expect(eps(conv("keras", "batchnorm(eps: 1e-5)"))).toBe(1.001e-5);
    expect(eps(file("keras", "sgd(lr: 0.1)", "x |> dense(8) |> batchnorm(eps: 1e-5) |> relu |> dense(3)"))).toBe(1e-5);
    expect(eps(conv("pytorch", "batchnorm(eps: 1e-6)"))).toBe(1e-6);
  });

  it("caffe: batchnorm keeps sums and a scale factor (zeros), updated by Caffe's rule and divided out in evaluation", () => {
    const caffe = compile(file("caffe", "sgd(lr: 0.1)"));
    expect(caffe.codes).toEqual([]);
    const program = caffe.program!;
    expect(program.state.map((s) => [s.name, s.shape, s.fill])).toEqual([
      ["batchnorm_0.mean_sum", [8], 0],
      ["batchnorm_0.var_sum", [8], 0],
      ["batchnorm_0.scale_factor", [1], 0],
    ]);
    const update = program.nodes.find((n) => n.op === "norm_running_update")!;
    expect(update.attrs).toMatchObject({ rule: "caffe", momentum: 0.999 });
    expect(update.inputs.slice(1)).toEqual(program.state.map((s) => s.node));
    const evaluation = program.nodes.find((n) => n.op === "norm_apply" && n.attrs["running"])!;
    expect(evaluation.attrs["scaled"]).toBe(true);
    expect(evaluation.inputs.slice(1, 4)).toEqual(program.state.map((s) => s.node));
    // A setting changed, the program changes: the same file under PyTorch's convention lowers another update
    // (the same op, with PyTorch's rule: no `rule` attribute).
    const pytorch = compile(file("pytorch", "sgd(lr: 0.1)")).program!;
    expect(pytorch.nodes.find((n) => n.op === "norm_running_update")!.attrs).toEqual({ momentum: 0.1, count: ["N", 1] });
    expect(pytorch.state.map((s) => s.name)).toEqual(["batchnorm_0.running_mean", "batchnorm_0.running_var"]);
    expect(compile(file("caffe", "sgd(lr: 0.1)", "x |> dense(8) |> batchnorm(momentum: 0.99) |> relu |> dense(3)")).program!.nodes.find((n) => n.op === "norm_running_update")!.attrs["momentum"]).toBe(0.99);
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
    expect(compile(file("caffe", "sgd(lr: 0.1)", "x |> dense(8) |> batchnorm(track_running_stats: false) |> relu |> dense(3)")).codes).toEqual([]);
  });
});
