// What the checker learns from IDX and NPY files before training (their headers and labels): one example's
// shape, the example count and the classes, so that a model's input and output are checked against them;
// and what it says about missing or unusable files and per-channel statistics of flat data.
import * as fs from "node:fs";
import { describe, expect, it } from "vitest";
import { compileProgram } from "../../compiler/compile.js";
import { runFrontend } from "../../compiler/frontend.js";
import { encodeNpy } from "../../runtime/data/npy.js";
import { checkText, memoryProbe } from "../helpers/parse.js";
import { idxBytes, latin1 } from "./fixtures.js";

const model = (input: string, classes: number) => `model M(x: f32[N, ${input}]) -> f32[N, ${classes}] {\n  return x |> flatten |> dense(${classes})\n}\n`;
const train = (data: string) => `train {\n  data = ${data}\n  loss = cross_entropy()\n  optimizer = sgd(lr: 0.1)\n  epochs 2\n  batch 4\n}\n`;
const IDX = 'idx(images: "i.idx", labels: "l.idx", scale: 1/255)';
// 10 images of 2×4 pixels, labels 0..2 (3 classes).
const FILES = {
  "i.idx": latin1(idxBytes([10, 2, 4], Array.from({ length: 80 }, (_, i) => i))),
  "l.idx": latin1(idxBytes([10], [0, 1, 2, 0, 1, 2, 0, 1, 2, 2])),
  "short.idx": latin1(idxBytes([9], [0, 1, 2, 0, 1, 2, 0, 1, 2])),
  "x.npy": latin1(encodeNpy(Array.from({ length: 60 }, (_, i) => i / 7), [10, 3, 2], "<f4")),
  "y.npy": latin1(encodeNpy([0, 4, 1, 1, 2, 0, 3, 3, 1, 0], [10], "<i8")),
  "t.npy": latin1(encodeNpy(Array.from({ length: 10 }, (_, i) => i / 3), [10], "<f8")),
  // A separate test set: 4 images of the same size, and ones of another size; labels within 0..2, and one beyond.
  "ti.idx": latin1(idxBytes([4, 2, 4], Array.from({ length: 32 }, (_, i) => 255 - i))),
  "tl.idx": latin1(idxBytes([4], [2, 1, 0, 1])),
  "wide.idx": latin1(idxBytes([4, 4, 4], Array.from({ length: 64 }, (_, i) => i))),
  "unseen.idx": latin1(idxBytes([4], [0, 1, 2, 3])),
};
const codes = (text: string) => checkText(text, FILES).diagnostics.map((d) => `${d.code} ${d.message}`);

describe("IDX and NPY sources in the checker", () => {
  it("knows an IDX source's example shape [1, H, W], count and classes; the program carries the scale", () => {
    const text = model("1, 2, 4", 3) + train(`${IDX} |> split(val: 0.2)`);
    const result = checkText(text, FILES);
    expect(result.diagnostics).toEqual([]);
    expect(result.check.train?.data).toMatchObject({ features: [1, 2, 4], target: { kind: "classes", count: 3 }, examples: 10 });
    // 8 training examples in batches of 4.
    expect(result.check.train?.stepsPerEpoch).toBe(2);
    const compiled = compileProgram(text, "/virtual/model.dl", memoryProbe(FILES));
    expect(compiled.diagnostics).toEqual([]);
    expect(compiled.program?.data.source).toEqual({ kind: "idx", images: "/virtual/i.idx", labels: "/virtual/l.idx", scale: 1 / 255 });
  });

  it("reports a model input or output that does not fit the images", () => {
    expect(codes(model("8", 3) + train(IDX))).toEqual([expect.stringMatching(/^E0305 .*\[N, 1, 2, 4\]/)]);
    expect(codes(model("1, 4, 2", 3) + train(IDX))).toEqual([expect.stringMatching(/^E0305/)]);
    expect(codes(model("1, 2, 4", 10) + train(IDX))).toEqual([expect.stringMatching(/^E0304/)]);
  });

  it("knows an NPY source's shape after the first axis and its classes (max label + 1)", () => {
    const result = checkText(model("3, 2", 5) + train('npy(x: "x.npy", y: "y.npy")'), FILES);
    expect(result.diagnostics).toEqual([]);
    expect(result.check.train?.data).toMatchObject({ features: [3, 2], target: { kind: "classes", count: 5 }, examples: 10 });
    // Fractional labels are regression targets.
    const regression = checkText(model("3, 2", 1) + train('npy(x: "x.npy", y: "t.npy")').replace("cross_entropy()", "mse()"), FILES);
    expect(regression.check.train?.data?.target).toEqual({ kind: "regression", width: 1 });
  });

  it("reports unusable files and label counts that differ", () => {
    expect(codes(model("1, 2, 4", 3) + train('idx(images: "i.idx", labels: "short.idx")'))).toEqual([expect.stringMatching(/^E0502 .*10 examples but .*9 labels/)]);
    expect(codes(model("1, 2, 4", 3) + train('idx(images: "x.npy", labels: "l.idx")'))).toEqual([expect.stringMatching(/^E0502 .*not an IDX file/)]);
    expect(codes(model("3, 2", 5) + train('npy(x: "i.idx", y: "y.npy")'))).toEqual([expect.stringMatching(/^E0502 .*not an NPY file/)]);
    expect(codes(model("3, 2", 5) + train('npy(x: "x.npy", y: "nope.npy")'))).toEqual([expect.stringMatching(/^E0501/)]);
  });

  it("names the Debian package that installs a missing data set", () => {
    const result = checkText(model("1, 28, 28", 10) + train('idx(images: "/usr/share/datasets/no-such-set/train-images-idx3-ubyte.gz", labels: "/usr/share/datasets/no-such-set/train-labels-idx1-ubyte.gz")'), FILES);
    const missing = result.diagnostics.filter((d) => d.code === "E0501");
    expect(missing).toHaveLength(2);
    expect(missing[0]!.help).toContain("apt install dataset-no-such-set");
  });

  it("refuses per-channel statistics of flat examples", () => {
    expect(codes(model("3, 2", 5) + train('npy(x: "x.npy", y: "y.npy") |> standardize(per: channel)'))).toEqual([expect.stringMatching(/^E0302 per-channel/)]);
    expect(codes(model("1, 2, 4", 3) + train(`${IDX} |> center(per: channel) |> standardize(per: channel)`))).toEqual([]);
  });

  it("lowers csv(…, shape:) with the shape in the program", () => {
    const csv = "a,b,c,d,e,f,label\n" + Array.from({ length: 12 }, (_, i) => `${i},1,2,3,4,5,${i % 3}`).join("\n") + "\n";
    const compiled = compileProgram(model("1, 2, 3", 3) + train('csv("d.csv", label: "label", shape: [1, 2, 3])'), "/virtual/model.dl", memoryProbe({ "d.csv": csv }));
    expect(compiled.diagnostics).toEqual([]);
    expect(compiled.program?.data.source).toMatchObject({ kind: "csv", shape: [1, 2, 3] });
  });
});

const FASHION = "/usr/share/datasets/fashion-mnist";
// CI installs Debian's dataset-fashion-mnist (.ci/run); without it this fails rather than passing silently.
describe("Fashion-MNIST from disk", () => {
  it("reads 60,000 examples [1, 28, 28] and 10 classes from the gzipped headers and labels", () => {
    const text = model("1, 28, 28", 10) + train(`idx(images: "${FASHION}/train-images-idx3-ubyte.gz", labels: "${FASHION}/train-labels-idx1-ubyte.gz", scale: 1/255) |> split(val: 0.1)`);
    const started = performance.now();
    const result = runFrontend(text, "/tmp/model.dl");
    expect(result.diagnostics).toEqual([]);
    expect(result.check.train?.data).toMatchObject({ features: [1, 28, 28], target: { kind: "classes", count: 10 }, examples: 60000 });
    // The images file is read only up to its header: checking stays fast.
    expect(performance.now() - started).toBeLessThan(2000);
  });
});

describe("augmentation in the checker", () => {
  it("sees the pipeline's final shape: augmentation runs after every fitted transform, so not after pca", () => {
    const text = model("1, 2, 4", 3).replace("f32[N, 1, 2, 4]", "f32[N, 4]") + train(`${IDX} |> augment([hflip]) |> pca(components: 4)`);
    expect(codes(text)).toEqual([expect.stringMatching(/^E0302 image augmentations need examples shaped \[C, H, W\], but after `pca` these are \[4\]/)]);
    expect(codes(model("1, 2, 4", 3) + train(`${IDX} |> augment([hflip, cutout(size: 1)])`))).toEqual([]);
  });
  it("takes a test set from files of its own: checked like the training files, and it is the test split", async () => {
    const withTest = 'idx(images: "i.idx", labels: "l.idx", scale: 1/255, test_images: "ti.idx", test_labels: "tl.idx")';
    const text = model("1, 2, 4", 3) + train(`${withTest} |> split(val: 0.2)`);
    expect(checkText(text, FILES).diagnostics).toEqual([]);
    const compiled = compileProgram(text, "/virtual/model.dl", memoryProbe(FILES));
    expect(compiled.program?.data.source).toMatchObject({ test: { images: "/virtual/ti.idx", labels: "/virtual/tl.idx" } });
    // Positionally too (images, labels, scale, test_images, test_labels).
    expect(codes(model("1, 2, 4", 3) + train('idx("i.idx", "l.idx", 1, "ti.idx", "tl.idx")'))).toEqual([]);
    // Both files or neither; a test share beside them; another example shape; a class the training set lacks.
    expect(codes(model("1, 2, 4", 3) + train('idx(images: "i.idx", labels: "l.idx", test_images: "ti.idx")'))).toEqual([expect.stringMatching(/^E0201 `idx` has `test_images` but no `test_labels`/)]);
    expect(codes(model("1, 2, 4", 3) + train(`${withTest} |> split(val: 0.2, test: 0.1)`))).toEqual([expect.stringMatching(/^E0202 `split` holds out a test share, but the source already names test files/)]);
    expect(codes(model("1, 2, 4", 3) + train('idx(images: "i.idx", labels: "l.idx", test_images: "wide.idx", test_labels: "tl.idx")'))).toEqual([expect.stringMatching(/^E0502 test examples are \[1, 4, 4\] but training examples are \[1, 2, 4\]/)]);
    expect(codes(model("1, 2, 4", 3) + train('idx(images: "i.idx", labels: "l.idx", test_images: "ti.idx", test_labels: "unseen.idx")'))).toEqual([expect.stringMatching(/^E0502 the test labels go up to class 3/)]);
  });
});
