// Every diagnostic code: its documented bad example must report exactly that code, at the expected text,
// with the expected message; its documented fix must check clean. The expectations below are written by
// hand (not read from the table), so a changed span or message fails here.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { CheckpointError } from "../../runtime/checkpoint/errors.js";
import { DIAGNOSTIC_CODES, type DiagnosticCode } from "../../compiler/diagnostics/codes.js";
import { compileProgram } from "../../compiler/compile.js";
import { trainCpu, TrainingAborted } from "../../runtime/cpu/train.js";
import { checkText, memoryProbe } from "../helpers/parse.js";
import { memoryOf } from "../../cli/budget.js";
import { sizeBudget } from "../../lsp/budget.js";
import { NoAdapterError } from "../../runtime/webgpu/device.js";
import { trainWebGpu } from "../../cli/backends.js";
import { searchCodeFindings } from "../search/code-examples.js";

/** Check and lower, as `dslc train` does before running: every compile-time diagnostic. */
function compile(text: string, files: Record<string, string> = {}) {
  return compileProgram(text, "/virtual/model.dl", memoryProbe(files));
}

const EXPECTED: Record<DiagnosticCode, [spanText: string, message: string | RegExp]> = {
  E0001: ["$", "unexpected character `$`"],
  E0002: ['"data/digits.csv', "this string is never closed"],
  E0003: ["->", "expected `)`, found `->`"],
  E0004: [`${"(".repeat(257)}1${")".repeat(257)}`, "this expression is nested too deeply (257 levels; the limit is 256)"],
  E0101: ["hh", "cannot find `hh` in this scope"],
  E0102: ["dens", "unknown layer or tensor function `dens`"],
  E0103: ["momentom", "`sgd` has no argument named `momentom`"],
  E0104: ["width", "`width` is defined twice"],
  E0105: ["dense", "`dense` needs the argument `units`"],
  E0106: ["0.1", "`relu` takes no arguments, but more were given"],
  E0107: ["units: 4", "argument `units` of `dense` is given twice"],
  E0108: ["batchsize", "`batchsize` is not a setting of `train`"],
  E0109: ["relu", "`relu` is a layer, not an optimizer"],
  E0113: ["", /^this document is too large for the language server to check \(1,000,\d{3} characters, the limit is 1,000,000\)$/],
  E0201: ['"fast"', "`lr` of `sgd` expects a number, found a string"],
  E0202: ["1.5", "`p` of `dropout` must be ≥ 0 and < 1, got 1.5"],
  E0203: ["2.5", "`units` of `dense` must be an integer, got 2.5"],
  E0204: ["avg", "`avg` is not a valid option for `reduction` of `cross_entropy`"],
  E0205: ["h", "only layers and blocks can follow `|>`, but this is a tensor (f32[N, 2])"],
  E0206: ["dense(70000)", "the weight of `dense_1` (dense) is f32[70000, 70000]: 4,900,000,000 elements, 18.3 GiB as f32, more than a device can index (4,294,967,295 elements)"],
  E0207: ["1e39", "`1e39` is beyond the range of f32, the device's number type (at most ±3.4028e+38)"],
  E0208: ["1e-50", "`1e-50` is too small for f32, the device's number type, and becomes 0 there"],
  E0301: ["+", "cannot combine f32[N, 8] and f32[N, 4] with `+`"],
  E0302: ["dense(10)", "`dense` expects [N, features], got rank 4"],
  E0303: ["return x |> dense(4)", "model `M` returns f32[N, 4], but its declared output is f32[N, 3]"],
  E0304: ["cross_entropy()", "the model returns 4 scores per example, but the data has 3 classes"],
  E0305: ["f32[N, 4]", "model `M` takes f32[N, 4], but the data gives f32[N, 2]"],
  E0306: ["conv2d(2, kernel: 5)", "`conv2d` with kernel 5, stride 1, padding 0 leaves no output on an axis of size 4"],
  E0307: ["reshape([1, 8, 7])", "cannot reshape 64 features into [1, 8, 7] (56 elements)"],
  E0308: ["maxout(k: 3)", "`maxout(k: 3)` needs the feature count to be divisible by 3, got 10"],
  E0309: ["f64", "`f64` is not a tensor element type"],
  E0401: ["M", "this model does not return anything"],
  E0402: ["h = x |> relu", "this line comes after `return` and never runs"],
  E0403: ["train", "this `train` block has no `optimizer`"],
  E0404: ["train", "this file has 2 models; which one does `train` train?"],
  E0405: ["epochs 5", "the setting `epochs` cannot appear in a model"],
  E0406: ["B", "block `B` applies itself"],
  E0407: ["lr", "`lr` is not a top-level `let`"],
  E0408: ["monitor: val_loss", "`early_stopping` watches `val_loss`, but the data has no validation split"],
  E0409: ["cosine()", "`cosine` runs to the end of the run, so what follows `then` never starts"],
  E0501: ['"no_such_file.csv"', "data file `no_such_file.csv` does not exist"],
  E0502: ['"class"', "`points.csv` has no column named `class`"],
  E0503: ['""', "the data file's path is empty"],
  E0504: ['"l.idx"', "`l.idx` declares 1,073,741,824 values, 4.0 GiB once read, over the limit of 1.0 GiB for data files"],
  E0505: ['"bad.csv"', "the cell at bad.csv:2:2 (column `b`) is empty"],
  E0506: ['"bad.csv"', "the label at bad.csv:3:3 (column `label`) is a word, not a class index"],
  E0601: ["orthogonal", "the initializer `orthogonal` is not supported by the training backends yet"],
  E0602: ["dense(6000)", "the parameter `dense_1.weight` [6000, 6000] takes 137.3 MiB, more than one storage binding of this device allows (128.0 MiB)"],
  E0701: ["", "the mean training loss (1.491e+5) of steps 2–8 (epoch 1) exceeds 3× its initial value (1.245)"],
  E0702: ["", "no WebGPU adapter matching `no-such-adapter` was found"],
  E0704: ["", "the training split holds -Infinity (example 1, feature 1) after the data pipeline"],
  E0705: ["xor(n: 1) |> split(val: 0.5)", "the training split is empty: the data has 1 example and the held-out shares take 1"],
  E0810: ["ensemble = snapshot()", "`snapshot` keeps the weights at the end of each SGDR or cyclic cycle, but this schedule has no cycles"],
  E0811: ["ensemble = snapshot(last: 3)", "`snapshot` averages the last 3 cycle ends, but the schedule completes only 2 cycles in the run's 5 epochs (40 steps)"],
  E0703: ["", "belongs to another model: parameter `dense_0.weight` is [3, 2] in the checkpoint but [4, 2] in the model"],
  E0820: ["", "tensor `dense_0.weight` has shape [3, 2], but the model's parameter is [4, 2]"],
  E0821: ["", "op `norm_stats` (node 5) has no ONNX mapping in dslc"],
  E0822: ["", "the ensemble's members output log-probabilities (the model is trained with `nll` or `kl_div`), and exported models have no exp op to average them as probabilities"],
  E0830: ["", "the weights have no tensor `dense_0.weight`, which M needs"],
  E0831: ["", "a batch of 2 examples of shape [2] has 4 values, but 3 were given"],
  E0832: ["", "the largest batch must be a whole number of examples above 0, not 0"],
  W0701: ["", /^W0701 the initial loss is \d+\.?\d*, but about 1\.099 is expected \(ln 3 for 3 equally likely classes\)$/],
  E0801: ["0.1", '`--set lr="fast"` gives a string, but `let lr` is a number'],
  E0802: ["", /^the search log `.*log\.jsonl` belongs to another study \(model\.dl, study [0-9a-f]{16}\); this file's text is study [0-9a-f]{16}$/],
  W0801: ["", /^the best `lr` \(\S+\) lies in the highest 10% of its range loguniform\(1\.000e-5, 0\.001\) \(log scale\)$/],
  W0702: ["", /^W0702 the update\/weight ratio of `dense_0\.weight` is \d\.\de-\d+ at step 16 \(healthy is about 1e-3\)$/],
  W0001: ["h", "`h` is computed but never used"],
  W0101: ["1", "batchnorm in training mode with batch size 1 normalizes every feature to β"],
  W0102: ["warmup(1000 steps)", "the warmup lasts 1000 steps, but the whole run is 40 steps"],
  W0103: ["sgdr(t0: 10 epochs)", "the first restart period (10 epochs) is as long as the whole run"],
  W0104: ["early_stopping(patience: 10)", "early stopping waits 10 evaluations, but the run has only 5 epochs"],
  W0105: ["cross_entropy()", "`cross_entropy` takes logits, but the model already ends in `softmax`"],
  W0106: ["[train_loss, val_accuracy]", "`val_accuracy` is monitored, but the data has no validation split"],
  W0107: ["momentum: 0.1", "batchnorm momentum 0.1 reads like PyTorch's convention, but this file follows Keras'"],
};

describe("diagnostic codes", () => {
  for (const [code, info] of Object.entries(DIAGNOSTIC_CODES) as [DiagnosticCode, (typeof DIAGNOSTIC_CODES)[DiagnosticCode]][]) {
    if (code === "E0702") {
      it(`${code}: ${info.title} (when training starts)`, async () => {
        await expect(trainWebGpu(compile(info.bad).program!, {}, { adapter: "no-such-adapter" })).rejects.toThrow(new NoAdapterError(EXPECTED[code][1]));
      });
      continue;
    }
    if (code === "E0703") {
      it(`${code}: ${info.title} (when resuming)`, async () => {
        // The good example writes checkpoints; the bad one (another model) is refused them, the good one resumes.
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dslc-e0703-"));
        const inDir = (text: string) => {
          const program = compile(text).program!;
          return { ...program, loop: { ...program.loop, checkpoint: { ...program.loop.checkpoint!, path: dir } } };
        };
        await trainCpu(inDir(info.good));
        await expect(trainCpu(inDir(info.bad), { resume: dir })).rejects.toThrow(EXPECTED[code][1]);
        await expect(trainCpu(inDir(info.bad), { resume: dir })).rejects.toBeInstanceOf(CheckpointError);
        expect((await trainCpu(inDir(info.good), { resume: dir })).resumed_from).toMatch(/step-\d+$/);
        fs.rmSync(dir, { recursive: true });
      });
      continue;
    }
    if (code === "W0701" || code === "W0702") {
      it(`${code}: ${info.title} (at the first step; training goes on)`, async () => {
        const warnings = async (text: string) => {
          const found: string[] = [];
          const done = await trainCpu(compile(text).program!, { onWarning: (w) => found.push(`${w.code} ${w.message}`) });
          expect(done.steps).toBeGreaterThan(1);
          return found;
        };
        // W0701 once per run; W0702 once per parameter and direction (here the layer's weight).
        const bad = await warnings(info.bad);
        expect(bad).toHaveLength(1);
        for (const warning of bad) expect(warning).toMatch(EXPECTED[code][1]);
        expect(await warnings(info.good)).toEqual([]);
      });
      continue;
    }
    if (code === "E0602") {
      it(`${code}: ${info.title} (before training on WebGPU, and with --memory)`, () => {
        for (const [text, expected] of [[info.bad, [EXPECTED[code]]], [info.good, []]] as const) {
          const compiled = compile(text);
          const found = memoryOf(compiled.program!, compiled).diagnostics;
          expect(found.map((d) => [text.slice(d.span!.start, d.span!.end), d.message])).toEqual(expected);
          expect(found.every((d) => d.code === code)).toBe(true);
        }
      });
      continue;
    }
    if (code === "E0801" || code === "E0802" || code === "W0801") {
      it(`${code}: ${info.title} (given \`--set\`, or by \`dslc search\`)`, async () => {
        const { bad, good } = await searchCodeFindings(code, info.bad, info.good);
        expect(bad.map((f) => f.code)).toEqual([code]);
        const [spanText, message] = EXPECTED[code];
        expect(bad[0]!.message).toMatch(message);
        if (bad[0]!.span) expect(info.bad.slice(bad[0]!.span.start, bad[0]!.span.end)).toBe(spanText);
        expect(good).toEqual([]);
      });
      continue;
    }
    if (code === "E0113") {
      it(`${code}: ${info.title} (in the language server; tests/lsp/torture.test.ts drives it end to end)`, () => {
        const refused = sizeBudget(info.bad.repeat(Math.ceil(1_000_001 / info.bad.length)).slice(0, 1_000_050));
        expect(refused).toMatchObject({ code, range: { start: { line: 0, character: 0 } } });
        expect(refused!.message.split("\nhelp: ")[0]).toMatch(EXPECTED[code][1]);
        expect(sizeBudget(info.good)).toBeUndefined();
        expect(compile(info.good).diagnostics).toEqual([]);
      });
      continue;
    }
    if (code === "E0820" || code === "E0821" || code === "E0822") {
      it(`${code}: ${info.title} (when exporting; tests/export/ covers the command)`, async () => {
        const { buildInference } = await import("../../compiler/export/build.js");
        const { buildEnsemble } = await import("../../compiler/export/ensemble.js");
        const { writeOnnx } = await import("../../runtime/inference/onnx.js");
        const { randomWeights } = await import("../export/models.js");
        const good = compile(info.good).program!;
        const bad = compile(info.bad).program!;
        const attempt = (program: typeof good, weights: ReturnType<typeof randomWeights>) => {
          if (code === "E0822") return buildEnsemble(program, [weights, weights]);
          const exported = buildInference(program, weights);
          return writeOnnx(exported.program, exported.weights);
        };
        // E0820: the good example's weights in the bad example's model.
        expect(() => attempt(bad, randomWeights(code === "E0820" ? good : bad, 1))).toThrow(expect.objectContaining({ code, message: EXPECTED[code][1] }));
        expect(() => attempt(good, randomWeights(good, 1))).not.toThrow();
      });
      continue;
    }
    if (code === "E0830" || code === "E0831" || code === "E0832") {
      it(`${code}: ${info.title} (when an exported model loads or predicts; tests/inference/ covers the files)`, async () => {
        const { evalInference, randomWeights } = await import("../inference/eval-program.js");
        const { CpuInference } = await import("../../runtime/inference/cpu.js");
        const { WebGpuInference } = await import("../../runtime/inference/webgpu.js");
        const { planInference } = await import("../../codegen/inference/forward.js");
        const program = evalInference(compile(info.bad).program!);
        const weights = randomWeights(program, 1);
        const attempt = () => {
          if (code === "E0830") return new CpuInference(program, new Map());
          if (code === "E0831") return new CpuInference(program, weights).run(new Float32Array(3), 2);
          // The largest batch is checked before the device is touched.
          return new WebGpuInference(undefined as never, planInference(program), weights, 0);
        };
        expect(attempt).toThrow(expect.objectContaining({ code, message: EXPECTED[code][1] }));
        expect(new CpuInference(program, weights).run(new Float32Array(4), 2)).toHaveLength(6);
      });
      continue;
    }
    if ("atRunTime" in info) {
      it(`${code}: ${info.title} (while training)`, async () => {
        const bad = compile(info.bad).program!;
        let error: unknown;
        try {
          await trainCpu(bad);
        } catch (e) {
          error = e;
        }
        expect(error).toBeInstanceOf(TrainingAborted);
        expect((error as Error).message).toBe(EXPECTED[code][1]);
        expect((await trainCpu(compile(info.good).program!)).train_loss).toBeLessThan(2);
      });
      continue;
    }
    it(`${code}: ${info.title}`, () => {
      const bad = compile(info.bad, "files" in info ? info.files : {});
      const found = bad.diagnostics.find((d) => d.code === code);
      expect(found, `${code} not reported; got ${bad.diagnostics.map((d) => d.code).join(", ")}`).toBeDefined();
      const [spanText, message] = EXPECTED[code];
      expect(info.bad.slice(found!.span!.start, found!.span!.end)).toBe(spanText);
      expect(found!.message).toBe(message);
      expect(found!.severity).toBe(code.startsWith("E") ? "error" : "warning");
      // The good example of a `search` code is only checked: its search is `dslc search`'s (tests/search/).
      const good = info.good.includes("search {") ? checkText(info.good) : compile(info.good, "files" in info ? info.files : {});
      expect(good.diagnostics.map((d) => `${d.code} ${d.message}`)).toEqual([]);
    });
  }

  it("every code has a hand-written expectation and vice versa", () => {
    expect(Object.keys(EXPECTED).sort()).toEqual(Object.keys(DIAGNOSTIC_CODES).sort());
  });
});
