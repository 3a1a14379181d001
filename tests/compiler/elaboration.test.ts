// The checker's elaboration is what trains: the samples lower to exactly the network their text describes,
// and each probe of issue 7 (positional arguments, `let`s, block parameters and symbols) reaches the
// Program with the value written. Expected values are read off the .dl text by hand.
import * as fs from "node:fs";
import { describe, expect, it } from "vitest";
import { compileProgram } from "../../compiler/compile.js";
import type { Program } from "../../runtime/program.js";
import { trainCpu } from "../../runtime/cpu/train.js";
import { checkText, memoryProbe } from "../helpers/parse.js";

function lower(text: string, file = "/virtual/model.dl"): Program {
  const result = compileProgram(text, file, file.startsWith("/virtual/") ? memoryProbe({}) : undefined);
  expect(result.diagnostics.filter((d) => d.severity === "error").map((d) => `${d.code} ${d.message}`)).toEqual([]);
  return result.program!;
}

function codes(text: string): string[] {
  return compileProgram(text, "/virtual/model.dl", memoryProbe({})).diagnostics.map((d) => `${d.code} ${d.message}`);
}

const MODEL = "model M(x: f32[N, 2]) -> f32[N, 3] {\n  return x |> dense(3)\n}\n";
const train = (lines: string, model = MODEL, lets = "") =>
  `${lets}${model}train {\n  data = spirals(n: 300) |> split(val: 0.2)\n  loss = cross_entropy()\n${lines.includes("optimizer") ? "" : "  optimizer = sgd(lr: 0.1)\n"}  epochs 5\n${lines}}\n`;

describe("the samples lower to the network their text describes", () => {
  it("spirals.dl: Residual blocks are 64 → 64 → 64, as the hover says", () => {
    const program = lower(fs.readFileSync("samples/spirals.dl", "utf8"), "samples/spirals.dl");
    expect(program.params.map((p) => [p.name, p.shape])).toEqual([
      ["dense_0.weight", [64, 2]],
      ["dense_0.bias", [64]],
      ["Residual_0.dense_0.weight", [64, 64]],
      ["Residual_0.dense_0.bias", [64]],
      ["Residual_0.dense_1.weight", [64, 64]],
      ["Residual_0.dense_1.bias", [64]],
      ["Residual_1.dense_0.weight", [64, 64]],
      ["Residual_1.dense_0.bias", [64]],
      ["Residual_1.dense_1.weight", [64, 64]],
      ["Residual_1.dense_1.bias", [64]],
      ["dense_1.weight", [3, 64]],
      ["dense_1.bias", [3]],
    ]);
    // `Residual(act: leaky_relu)` applies leaky ReLU (twice, inside the second block); the first uses relu.
    expect(program.nodes.filter((n) => n.op === "leaky_relu")).toHaveLength(2);
    expect(program.nodes.filter((n) => n.op === "relu")).toHaveLength(3);
  });

  it("init_study.dl: ten tanh layers of width 500 initialized N(0, 0.01²) from the `let`, then Xavier", () => {
    const program = lower(fs.readFileSync("samples/init_study.dl", "utf8"), "samples/init_study.dl");
    const weights = program.params.filter((p) => p.role === "weight");
    expect(weights.map((p) => p.shape)).toEqual([[500, 64], ...Array.from({ length: 9 }, () => [500, 500]), [10, 500]]);
    for (const w of weights.slice(0, 10)) expect(w.init).toEqual({ kind: "normal", mean: 0, std: 0.01 });
    expect(weights[10]!.init).toEqual({ kind: "xavier_normal", gain: 1 });
    expect(program.nodes.filter((n) => n.op === "tanh")).toHaveLength(10);
    expect(program.loop.monitor).toEqual(["train_loss", "val_accuracy", "update_ratio", "grad_norm"]);
  });
});

describe("positional arguments reach the program", () => {
  it("optimizers", () => {
    expect(lower(train("  optimizer = sgd(0.1, 0.9)\n")).optimizer).toMatchObject({ kind: "sgd", lr: 0.1, momentum: 0.9 });
    expect(lower(train("  optimizer = adam(0.01, [0.8, 0.9])\n")).optimizer).toMatchObject({ kind: "adam", lr: 0.01, beta1: 0.8, beta2: 0.9 });
  });

  it("schedules", () => {
    const spec = (schedule: string) => lower(train(`  schedule = ${schedule}\n`)).schedule.spec;
    expect(spec("exponential(0.5)")).toEqual({ kind: "exponential", gamma: 0.5 });
    expect(spec("cosine(0.01)")).toMatchObject({ kind: "cosine", etaMin: 0.01 });
    expect(spec("poly(2)")).toMatchObject({ kind: "poly", power: 2 });
    expect(spec("cyclic(0.01, 0.1, 4)")).toMatchObject({ kind: "cyclic", baseLr: 0.01, maxLr: 0.1, stepSizeUp: 4 });
    expect(spec("one_cycle(0.2, 0.5)")).toMatchObject({ kind: "one_cycle", maxLr: 0.2, pctStart: 0.5 });
    expect(spec("inv(1, 2)")).toEqual({ kind: "inv", gamma: 1, power: 2 });
    expect(spec("inverse_time(1)")).toEqual({ kind: "inverse_time", k: 1 });
    expect(spec("linear(0.01)")).toMatchObject({ kind: "linear", to: 0.01 });
  });

  it("initializers", () => {
    const init = (call: string) => lower(train("", `model M(x: f32[N, 2]) -> f32[N, 3] {\n  return x |> dense(3, init: ${call})\n}\n`)).params[0]!.init;
    expect(init("constant(0.1)")).toEqual({ kind: "constant", value: 0.1 });
    expect(init("normal(0, 0.1)")).toEqual({ kind: "normal", mean: 0, std: 0.1 });
    expect(init("uniform(-0.2, 0.3)")).toEqual({ kind: "uniform", a: -0.2, b: 0.3 });
  });
});

describe("`let`s and block parameters reach the program", () => {
  it("an initializer argument from a `let`", () => {
    const program = lower(train("", "model M(x: f32[N, 2]) -> f32[N, 3] {\n  return x |> dense(3, init: normal(std: s))\n}\n", "let s = 0.05\n"));
    expect(program.params[0]!.init).toEqual({ kind: "normal", mean: 0, std: 0.05 });
  });

  it("a layer width and a dropout rate from block parameters, and a block symbol", () => {
    const model = "block B(x: f32[N, D], width: int = 8, rate: float = 0.5) {\n  return x |> dense(width) |> dropout(rate) |> dense(D)\n}\nmodel M(x: f32[N, 2]) -> f32[N, 3] {\n  return x |> B(width: 16, rate: 0.25) |> B |> dense(3)\n}\n";
    const program = lower(train("", model));
    expect(program.params.map((p) => [p.name, p.shape])).toEqual([
      ["B_0.dense_0.weight", [16, 2]],
      ["B_0.dense_0.bias", [16]],
      ["B_0.dense_1.weight", [2, 16]],
      ["B_0.dense_1.bias", [2]],
      ["B_1.dense_0.weight", [8, 2]],
      ["B_1.dense_0.bias", [8]],
      ["B_1.dense_1.weight", [2, 8]],
      ["B_1.dense_1.bias", [2]],
      ["dense_0.weight", [3, 2]],
      ["dense_0.bias", [3]],
    ]);
    expect(program.nodes.filter((n) => n.op === "dropout" && !program.paramGrads.includes(n.id)).map((n) => n.attrs["p"]).slice(0, 2)).toEqual([0.25, 0.5]);
  });

  it("a piped block's positional literal configures it (`x |> B(16)`), while `B(h)` still applies it to h", () => {
    const model = "block B(x: f32[N, D], width: int = 8) {\n  return x |> dense(width) |> relu\n}\nmodel M(x: f32[N, 2]) -> f32[N, 3] {\n  h = x |> B(16)\n  return B(h) |> dense(3)\n}\n";
    const program = lower(train("", model));
    expect(program.params.filter((p) => p.name.endsWith(".weight")).map((p) => [p.name, p.shape])).toEqual([
      ["B_0.dense_0.weight", [16, 2]],
      ["B_1.dense_0.weight", [8, 16]],
      ["dense_0.weight", [3, 8]],
    ]);
  });

  it("a named layer applied twice shares one set of weights; a named block too", () => {
    const model = "block R(x: f32[N, D]) {\n  return x |> dense(D) |> relu\n}\nmodel M(x: f32[N, 4]) -> f32[N, 3] {\n  fc = dense(4)\n  r = R\n  h = x |> fc |> fc |> r |> r\n  return h |> dense(3)\n}\n";
    const program = lower(train("", model).replace("spirals(n: 300)", "blobs(n: 300, features: 4)"));
    expect(program.params.map((p) => p.name)).toEqual(["fc.weight", "fc.bias", "r.dense_0.weight", "r.dense_0.bias", "dense_0.weight", "dense_0.bias"]);
    expect(program.nodes.filter((n) => n.op === "matmul" && n.inputs.includes(program.params[0]!.node) && !program.paramGrads.includes(n.id))).toHaveLength(4);
  });

  it("a block with two tensor inputs", () => {
    const model = "block Mix(a: f32[N, D], b: f32[N, D]) {\n  return (a + b) |> dense(D)\n}\nmodel M(x: f32[N, 2]) -> f32[N, 3] {\n  h = x |> dense(2)\n  return Mix(x, h) |> dense(3)\n}\n";
    const program = lower(train("", model));
    expect(program.params.map((p) => [p.name, p.shape])).toEqual([
      ["dense_0.weight", [2, 2]],
      ["dense_0.bias", [2]],
      ["Mix_0.dense_0.weight", [2, 2]],
      ["Mix_0.dense_0.bias", [2]],
      ["dense_1.weight", [3, 2]],
      ["dense_1.bias", [3]],
    ]);
  });

  it("trains a block with two tensor inputs", async () => {
    const model = "block Mix(a: f32[N, D], b: f32[N, D]) {\n  return (a + b) |> dense(D)\n}\nmodel M(x: f32[N, 2]) -> f32[N, 3] {\n  h = x |> dense(2) |> relu\n  return Mix(x, h) |> dense(3)\n}\n";
    const done = await trainCpu(lower(train("", model)), { stopAfterEpochs: 2 });
    expect(done.steps).toBe(16);
    expect(Number.isFinite(done.train_loss)).toBe(true);
  });

  it("counts the steps of a subset of the training split as the trainer takes them", async () => {
    // 300 examples, 240 after the split, the first 100 of those: ⌈100 / 32⌉ = 4 steps per epoch.
    const program = lower(train("").replace("split(val: 0.2)", "split(val: 0.2) |> subset(100)"));
    expect(program.loop).toMatchObject({ epochs: 5, steps: 20 });
    const done = await trainCpu(program);
    expect(done.steps).toBe(20);
    expect(done.epochs).toBe(5);
  });

  it("`--epochs` moves the schedule's horizon and the checker's lints with it", () => {
    const text = train("  schedule = cosine()\n");
    const five = compileProgram(text, "/virtual/model.dl", memoryProbe({})).program!;
    const twelve = compileProgram(text, "/virtual/model.dl", memoryProbe({}), { epochs: 12 }).program!;
    expect(five.schedule.spec).toMatchObject({ kind: "cosine", tMax: 5 });
    expect(twelve.schedule.spec).toMatchObject({ kind: "cosine", tMax: 12 });
    expect(twelve.loop).toMatchObject({ epochs: 12, steps: 96 });
  });
});

describe("recursion and other hostile structure are diagnostics, not crashes", () => {
  it("a block whose layer parameter defaults to the block itself", () => {
    const text = "block B(x: f32[N, D], layer: layer = B) {\n  return x |> layer\n}\nmodel M(x: f32[N, 2]) -> f32[N, 2] {\n  return x |> B\n}\n";
    expect(checkText(text).diagnostics.map((d) => d.code)).toContain("E0406");
  });

  it("two blocks whose defaults name each other", () => {
    const text = "block A(x: f32[N, D], layer: layer = B) {\n  return x |> layer\n}\nblock B(x: f32[N, D], layer: layer = A) {\n  return x |> layer\n}\nmodel M(x: f32[N, 2]) -> f32[N, 2] {\n  return x |> A\n}\n";
    const messages = checkText(text).diagnostics.map((d) => `${d.code} ${d.message}`);
    expect(messages).toContain("E0406 block `A` applies itself (through A → B → A)");
  });

  it("a second `train` block is an error rather than ignored", () => {
    expect(codes(`${train("")}train {\n  epochs 3\n}\n`)).toContain("E0104 a file has one `train` block, but this is a second one");
  });

  it("a file with a `search` block lowers with the `let` values (`dslc train` trains it once)", () => {
    const text = `let lr = 0.1\n${train("").replace("sgd(lr: 0.1)", "sgd(lr: lr)")}search {\n  lr ~ loguniform(0.01, 1)\n  trials 2\n  epochs 1\n}\n`;
    expect(codes(text)).toEqual([]);
  });

  it("f16 inputs are refused until mixed precision exists", () => {
    expect(codes(train("", "model M(x: f16[N, 2]) -> f32[N, 3] {\n  return x |> dense(3)\n}\n"))).toEqual(["E0601 `f16` inputs is not supported by the training backends yet"]);
  });
});
