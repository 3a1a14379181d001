// Checker rules beyond one-example-per-code: suggestions, ranges, data probing, training lints, and that
// every sample checks clean.
import * as fs from "node:fs";
import { describe, expect, it } from "vitest";
import { runFrontend } from "../../compiler/frontend.js";
import { checkText } from "../helpers/parse.js";

const MODEL = "model M(x: f32[N, 2]) -> f32[N, 3] {\n  return x |> dense(3)\n}\n";
const train = (body: string, model = MODEL) => `${model}train {\n  data = spirals(classes: 3)\n  loss = cross_entropy()\n  optimizer = sgd(lr: 0.1)\n  epochs 5\n${body}}\n`;
const codes = (text: string, files: Record<string, string> = {}) => checkText(text, files).diagnostics.map((d) => d.code);

describe("samples", () => {
  for (const file of fs.readdirSync("samples").filter((f) => f.endsWith(".dl"))) {
    it(`${file} checks clean`, () => {
      const result = runFrontend(fs.readFileSync(`samples/${file}`, "utf8"), `samples/${file}`);
      expect(result.diagnostics.map((d) => `${d.code} ${d.message}`)).toEqual([]);
    });
  }

  it("digits_mlp reads the CSV: 64 features, 10 classes, 1,797 rows, 23 steps per epoch", () => {
    const result = runFrontend(fs.readFileSync("samples/digits_mlp.dl", "utf8"), "samples/digits_mlp.dl");
    expect(result.check.train?.data).toMatchObject({ features: [64], target: { kind: "classes", count: 10 }, examples: 1797 });
    // round(1797 · 0.8) = 1438 training examples, ⌈1438 / 64⌉ = 23 batches.
    expect(result.check.train?.stepsPerEpoch).toBe(23);
    expect(result.check.train?.totalSteps).toBe(30 * 23);
  });
});

describe("did you mean", () => {
  it("suggests layers, arguments, settings, options, initializers and values", () => {
    const text = train("  batchsize 3\n  shufle true\n", "model M(x: f32[N, 2]) -> f32[N, 3] {\n  hidden = x |> dense(8, inti: zeros) |> rellu\n  return hiden |> dense(3)\n}\n");
    const helps = checkText(text).diagnostics.map((d) => d.help);
    expect(helps).toContain("did you mean `init`?");
    expect(helps).toContain("did you mean `relu`?");
    expect(helps).toContain("did you mean `hidden`?");
    expect(helps).toContain("did you mean `shuffle`?");
    expect(helps).toContain("did you mean `batch`?");
  });

  it("says what a builtin of the wrong kind is", () => {
    const result = checkText(train("", "model M(x: f32[N, 2]) -> f32[N, 3] {\n  return x |> adam\n}\n"));
    expect(result.diagnostics.map((d) => d.message)).toContain("`adam` is an optimizer, not a layer or tensor function");
  });
});

describe("quick fixes", () => {
  it("replace a misspelled name with the suggestion", () => {
    const text = "model M(x: f32[N, 2]) -> f32[N, 3] {\n  return x |> dens(3)\n}\n";
    const [d] = checkText(text).diagnostics;
    expect(d!.fixes).toEqual([{ title: "replace with `dense`", span: { start: text.indexOf("dens("), end: text.indexOf("dens(") + 4 }, replacement: "dense" }]);
  });

  it("insert flatten before a dense layer fed an image", () => {
    const text = "model M(x: f32[N, 1, 8, 8]) -> f32[N, 10] {\n  return x |> dense(10)\n}\n";
    const d = checkText(text).diagnostics.find((x) => x.code === "E0302")!;
    const at = text.indexOf("dense(10)");
    expect(d.fixes).toEqual([{ title: "insert `flatten` before `dense`", span: { start: at, end: at }, replacement: "flatten |> " }]);
    const fixed = text.slice(0, at) + d.fixes[0]!.replacement + text.slice(at);
    expect(checkText(fixed).diagnostics).toEqual([]);
  });

  it("keep the quotes when fixing a CSV column name", () => {
    const text = train("").replace("spirals(classes: 3)", 'csv("d.csv", label: "labl")');
    const d = checkText(text, { "d.csv": "a,b,label\n1,2,0\n3,4,2\n" }).diagnostics[0]!;
    const fix = d.fixes[0]!;
    expect(text.slice(0, fix.span.start) + fix.replacement + text.slice(fix.span.end)).toContain('label: "label"');
  });
});

describe("values", () => {
  it("rejects negative learning rates, bad probabilities and non-integer counts with their ranges", () => {
    const messages = checkText(train("  batch 0\n  seed 1.5\n").replace("lr: 0.1", "lr: -0.1")).diagnostics.map((d) => d.message);
    expect(messages).toEqual(expect.arrayContaining(["`lr` of `sgd` must be > 0, got -0.1", "`batch` must be ≥ 1, got 0", "`seed` must be an integer, got 1.5"]));
  });

  it("evaluates constant arithmetic and lets in arguments", () => {
    expect(codes("let w = 4\nmodel M(x: f32[N, 2]) -> f32[N, 8] {\n  return x |> dense(2 * w)\n}\n")).toEqual([]);
    expect(codes("let w = 4\nmodel M(x: f32[N, 2]) -> f32[N, 8] {\n  return x |> dense(w / 3)\n}\n")).toEqual(["E0203"]);
  });

  it("rejects a duration where a plain number is meant and accepts one where a duration is meant", () => {
    expect(codes("model M(x: f32[N, 2]) -> f32[N, 3] {\n  return x |> dense(3 epochs)\n}\n")).toEqual(["E0201"]);
    expect(codes(train("  schedule = step(step_size: 2 epochs)\n"))).toEqual([]);
  });

  it("refuses `a.b` where a number is meant, in a model and in a block (it reached lowering as an unknown size)", () => {
    expect(codes("model M(x: f32[N, 2]) -> f32[N, 3] {\n  return x |> dense(w.idth)\n}\n")).toEqual(["E0201"]);
    const block = "block B(x: f32[N, C, H, W], channels: int) {\n  return x |> conv2d(c.hannels, kernel: 3, padding: 1)\n}\n";
    const model = "model M(x: f32[N, 1, 4, 4]) -> f32[N, 3] {\n  return x |> B(channels: 4) |> flatten |> dense(3)\n}\n";
    expect(codes(block + model)).toEqual(["E0201"]);
    expect(codes("let k = 2\nmodel M(x: f32[N, 2]) -> f32[N, 4] {\n  return x |> dense(k * (a.b + 1))\n}\n")).toEqual(["E0201"]);
  });

  it("needs momentum for Nesterov, as PyTorch does", () => {
    expect(codes(train("").replace("sgd(lr: 0.1)", "sgd(lr: 0.1, nesterov: true)"))).toEqual(["E0202"]);
    expect(codes(train("").replace("sgd(lr: 0.1)", "sgd(lr: 0.1, momentum: 0.9, nesterov: true)"))).toEqual([]);
  });

  it("asks for required arguments of a builtin written as a bare name", () => {
    const result = checkText("model M(x: f32[N, 2]) -> f32[N, 2] {\n  return x |> dense |> relu\n}\n");
    expect(result.diagnostics.map((d) => [d.code, d.message, d.help])).toEqual([["E0105", "`dense` needs the argument `units`", "write `dense(units: …)`"]]);
  });

  it("refuses dropout with both p and keep", () => {
    expect(codes("model M(x: f32[N, 2]) -> f32[N, 2] {\n  return x |> dropout(p: 0.2, keep: 0.8)\n}\n")).toEqual(["E0107"]);
    expect(codes("model M(x: f32[N, 2]) -> f32[N, 2] {\n  return x |> dropout(keep: 0.8)\n}\n")).toEqual([]);
  });

  it("checks parameter selections against the model's named layers", () => {
    const model = "model M(x: f32[N, 2]) -> f32[N, 3] {\n  head = dense(3)\n  return x |> head\n}\n";
    expect(codes(train("", model).replace("sgd(lr: 0.1)", "sgd(lr: 0.1) |> group(head, lr: 0.01) |> group(biases, weight_decay: 0)"))).toEqual([]);
    expect(codes(train("", model).replace("sgd(lr: 0.1)", "sgd(lr: 0.1) |> group(haed, lr: 0.01)"))).toEqual(["E0101"]);
  });
});

describe("data", () => {
  const csv = "a,b,label\n0.1,0.2,0\n0.3,0.1,1\n0.5,0.9,2\n";

  it("matches CSV features and classes against the model", () => {
    const text = train("").replace("spirals(classes: 3)", 'csv("d.csv", label: "label")');
    expect(codes(text, { "d.csv": csv })).toEqual([]);
    expect(codes(text, { "d.csv": csv.replace(/,2\n/, ",3\n") })).toEqual(["E0304"]);
    expect(codes(text.replace("f32[N, 2]", "f32[N, 3]"), { "d.csv": csv })).toEqual(["E0305"]);
  });

  it("reports ragged rows and empty files", () => {
    const text = train("").replace("spirals(classes: 3)", 'csv("d.csv", label: "label")');
    const ragged = checkText(text, { "d.csv": "a,b,label\n1,2,0\n1,0\n" }).diagnostics[0]!;
    expect(ragged).toMatchObject({ code: "E0502", message: "row 3 of `d.csv` has 2 values, but the header has 3" });
    expect(codes(text, { "d.csv": "a,b,label\n" })).toEqual(["E0502"]);
  });

  it("treats fractional labels as regression targets", () => {
    const text = "model M(x: f32[N, 2]) -> f32[N, 1] {\n  return x |> dense(1)\n}\ntrain {\n  data = csv(\"d.csv\", label: \"y\")\n  loss = cross_entropy()\n  optimizer = sgd(lr: 0.1)\n  epochs 1\n}\n";
    const result = checkText(text, { "d.csv": "a,b,y\n1,2,0.5\n3,4,1.5\n" });
    expect(result.diagnostics.map((d) => d.message)).toEqual(["`cross_entropy` needs class labels, but the data's targets are continuous"]);
    expect(codes(text.replace("cross_entropy()", "mse()"), { "d.csv": "a,b,y\n1,2,0.5\n3,4,1.5\n" })).toEqual([]);
  });

  it("checks a CSV's reshape against its feature count", () => {
    const text = "model M(x: f32[N, 1, 2, 2]) -> f32[N, 3] {\n  return x |> flatten |> dense(3)\n}\ntrain {\n  data = csv(\"d.csv\", label: \"label\", shape: [1, 2, 2])\n  loss = cross_entropy()\n  optimizer = sgd(lr: 0.1)\n  epochs 1\n}\n";
    const four = "a,b,c,d,label\n1,2,3,4,0\n1,2,3,4,2\n";
    expect(codes(text, { "d.csv": four })).toEqual([]);
    expect(codes(text.replace("[1, 2, 2]", "[1, 3, 2]"), { "d.csv": four })).toContain("E0307");
  });
});

describe("training lints", () => {
  it("warns about binary losses on many classes", () => {
    const model = "model M(x: f32[N, 2]) -> f32[N, 1] {\n  return x |> dense(1) |> sigmoid\n}\n";
    expect(checkText(train("", model).replace("cross_entropy()", "bce()")).diagnostics.map((d) => d.message)).toEqual(["`bce` is for two classes, but the data has 3"]);
  });

  it("warns when plateau patience exceeds the run", () => {
    expect(codes(train("  schedule = plateau(monitor: train_loss, patience: 10)\n"))).toEqual(["W0104"]);
    expect(codes(train("  schedule = plateau(monitor: train_loss, patience: 2)\n"))).toEqual([]);
  });

  it("requires a run length", () => {
    const result = checkText(train("").replace("  epochs 5\n", ""));
    expect(result.diagnostics.map((d) => d.message)).toEqual(["this `train` block says neither how many `epochs` nor how many `steps`"]);
  });

  it("validates search ranges", () => {
    const text = "let lr = 0.1\n" + train("").replace("lr: 0.1", "lr: lr") + "search {\n  lr ~ loguniform(1e-1, 1e-4)\n  trials 3\n  epochs 1\n}\n";
    expect(checkText(text).diagnostics.map((d) => d.message)).toEqual(["the range is empty: lo (0.1) must be below hi (0.0001)"]);
  });
});

describe("syntax errors do not hide semantic errors elsewhere", () => {
  it("reports a syntax error in one item and a type error in another", () => {
    const text = "model M(x: f32[N, 2]) -> f32[N, 3] {\n  return x |> dense(3\n}\n" + "model Other(x: f32[N, 2]) -> f32[N, 3] {\n  return x |> dense(3) |> dropout(2)\n}\n";
    const result = checkText(text);
    expect(result.diagnostics.map((d) => d.code)).toEqual(["E0003", "E0202"]);
  });
});
