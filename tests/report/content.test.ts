// The training report's content: a small classifier trained on the CPU with update ratios monitored; the
// HTML is parsed and each section checked against what the loop reported (one plotted point per epoch,
// logged step and step), the settings against the Program, and the file against any outside reference.
// Also: the report of an aborted run, and the CLI's --report flag and `report` directive.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { compileProgram } from "../../compiler/compile.js";
import { cpuBackend, trainCpu } from "../../runtime/cpu/train.js";
import { HistoryRecorder } from "../../runtime/report/history.js";
import { TrainingAborted, type EpochReport, type LogReport } from "../../runtime/loop.js";
import { trainWithReport } from "../../runtime/report/report.js";
import { loadCompiled, trainCompiled } from "../../runtime/index.js";
import { dslc } from "../helpers/cli.js";
import { externalReferences, lineMarks, sections, seriesOf } from "./parse.js";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dslc-report-"));
afterAll(() => fs.rmSync(dir, { recursive: true }));

// 150 spirals, 120 for training in batches of 16: 8 steps per epoch, 48 steps in 6 epochs, 12 logged.
const source = (opts: { lr?: number; extra?: string } = {}) => `model Net(x: f32[N, 2]) -> f32[N, 3] {
  return x |> dense(16) |> relu |> dense(3)
}
train {
  data = spirals(n: 150, classes: 3, noise: 0.2) |> split(val: 0.2)
  loss = cross_entropy()
  optimizer = sgd(lr: ${opts.lr ?? 0.03}, momentum: 0.9)
  epochs 6
  batch 16
  seed 3
  log_every 4 steps
  monitor [train_loss, val_loss, val_accuracy, update_ratio]
${opts.extra ?? ""}}
`;

function compile(text: string, name = "net.dl") {
  const file = path.join(dir, name);
  fs.writeFileSync(file, text);
  const result = compileProgram(text, file);
  expect(result.diagnostics.filter((d) => d.severity === "error").map((d) => d.message)).toEqual([]);
  return result.program!;
}

describe("the training report", () => {
  it("plots every epoch, logged step and step, lists the settings and references nothing outside the file", async () => {
    const program = compile(source());
    const file = path.join(dir, "report.html");
    const epochs: EpochReport[] = [];
    const logs: LogReport[] = [];
    const done = await trainWithReport(program, cpuBackend(program), { onEpoch: (e) => epochs.push(e), onLog: (l) => logs.push(l) }, { path: file });
    // The caller's own callbacks still see the run.
    expect(epochs).toHaveLength(6);
    expect(logs).toHaveLength(12);
    const html = fs.readFileSync(file, "utf8");
    const parts = sections(html);
    expect([...parts.keys()]).toEqual(["outcome", "loss-epoch", "loss-step", "accuracy", "accuracy-gap", "lr", "update-ratio", "weights", "epochs", "settings", "diagnostics"]);

    const lossEpoch = lineMarks(parts.get("loss-epoch")!);
    expect(lossEpoch.map((m) => [seriesOf(m.label), m.points])).toEqual([["train loss", 6], ["validation loss", 6]]);
    expect(lineMarks(parts.get("loss-step")!).map((m) => m.points)).toEqual([12]);
    expect(lineMarks(parts.get("accuracy")!).map((m) => [seriesOf(m.label), m.points])).toEqual([["train accuracy", 6], ["validation accuracy", 6]]);
    expect(lineMarks(parts.get("accuracy-gap")!).map((m) => m.points)).toEqual([6]);
    expect(lineMarks(parts.get("lr")!).map((m) => m.points)).toEqual([48]);
    // One curve per parameter tensor, a point per logged step that measured its ratio.
    const ratios = new Map(lineMarks(parts.get("update-ratio")!).map((m) => [seriesOf(m.label), m.points]));
    expect([...ratios.keys()].sort()).toEqual(program.params.map((p) => p.name).sort());
    for (const p of program.params) expect(ratios.get(p.name), p.name).toBe(logs.filter((l) => l.update_ratio?.[p.name] !== undefined).length);
    expect(ratios.get(program.params[0]!.name)).toBe(12);
    // The notes' 1e-3 reference line, drawn as a rule with its label.
    expect(parts.get("update-ratio")).toMatch(/aria-roledescription="rule mark"/);
    expect(parts.get("update-ratio")).toContain(">1e-3</text>");

    const settings = parts.get("settings")!;
    expect(settings).toContain("sgd(lr: 0.03, momentum: 0.9");
    expect(settings).toMatch(/<th>learning rate<\/th><td><code>0\.03<\/code>/);
    expect(settings).toContain("spirals(n: 150, classes: 3");
    expect(settings).toMatch(/<th>seed<\/th><td><code>3<\/code>/);
    expect(parts.get("outcome")).toContain("Training finished.");
    expect(parts.get("outcome")).toContain(done.train_loss.toPrecision(5));
    expect(parts.get("weights")).toContain("not an image");
    expect(externalReferences(html)).toEqual([]);
    expect(html).not.toMatch(/<script/i);
  }, 60_000);

  it("records each step's learning rate as the loop used it (checked at the logged steps, whose rate the loop reports)", async () => {
    // A per-epoch cosine and a per-step warmup: the rate changes at epoch boundaries and at every step.
    for (const schedule of ["cosine()", "warmup(10) then cosine()"]) {
      const program = compile(source({ extra: `  schedule = ${schedule}\n  log_every 3 steps\n` }).replace("  log_every 4 steps\n", ""), "lr.dl");
      const recorder = new HistoryRecorder(program);
      await trainCpu(program, recorder.wrap({}));
      const { lr, logs } = recorder.history;
      expect(lr.map(([step]) => step)).toEqual(Array.from({ length: 48 }, (_, k) => k + 1));
      expect(logs.length).toBe(16);
      for (const log of logs) expect(lr[log.step - 1]![1], `${schedule} at step ${log.step}`).toBe(log.lr);
      expect(new Set(lr.map(([, v]) => v)).size, schedule).toBeGreaterThan(5);
    }
  }, 60_000);

  it("is written when training aborts, with the reason and what was recorded until then", async () => {
    const program = compile(source({ lr: 400 }), "diverges.dl");
    const file = path.join(dir, "aborted.html");
    await expect(trainWithReport(program, cpuBackend(program), {}, { path: file })).rejects.toBeInstanceOf(TrainingAborted);
    const parts = sections(fs.readFileSync(file, "utf8"));
    expect(parts.get("outcome")).toContain("Training stopped");
    expect(parts.get("outcome")).toMatch(/exceeds 3× its initial value|became (NaN|Infinity)/);
    expect(parts.get("outcome")).toContain("help: ");
    // The first step was logged before the loss blew up.
    expect(parts.has("loss-step")).toBe(true);
    expect(parts.has("loss-epoch") ? lineMarks(parts.get("loss-epoch")!).length : 0).toBeLessThanOrEqual(2);
    expect(fs.readdirSync(dir).filter((f) => f.endsWith(".tmp"))).toEqual([]);
  }, 60_000);

  it("lists the initial-loss warning (W0701) that the loop raised", async () => {
    // A last layer initialized far too large: the first loss is many times ln 3.
    const text = source().replace("dense(3)", "dense(3, init: normal(std: 30))");
    const program = compile(text, "warned.dl");
    const file = path.join(dir, "warned.html");
    await trainWithReport(program, cpuBackend(program), {}, { path: file }).catch((e) => {
      if (!(e instanceof TrainingAborted)) throw e;
    });
    expect(sections(fs.readFileSync(file, "utf8")).get("diagnostics")).toMatch(/warning\[W0701\]<\/span>: the initial loss is/);
  }, 60_000);

  it("is written by `dslc train --report PATH` and by the `report` directive, next to the .dl file", async () => {
    const flagged = path.join(dir, "flag.html");
    const byFlag = await dslc("train", path.join(dir, "net.dl"), "--backend", "cpu", "--json", "--report", flagged);
    expect(byFlag.code).toBe(0);
    expect(byFlag.stdout.trim().split("\n").map((l) => JSON.parse(l)).at(-1)).toEqual({ event: "report", path: flagged });
    expect(sections(fs.readFileSync(flagged, "utf8")).has("loss-epoch")).toBe(true);

    fs.mkdirSync(path.join(dir, "sub"), { recursive: true });
    compile(source({ extra: '  report(path: "out/run.html")\n' }), "sub/directive.dl");
    const byDirective = await dslc("train", path.join(dir, "sub", "directive.dl"), "--backend", "cpu", "--epochs", "2");
    expect(byDirective.code).toBe(0);
    expect(byDirective.stderr).toContain(`note: report written to ${path.join(dir, "sub", "out", "run.html")}`);
    const parts = sections(fs.readFileSync(path.join(dir, "sub", "out", "run.html"), "utf8"));
    expect(lineMarks(parts.get("loss-epoch")!).map((m) => m.points)).toEqual([2, 2]);
  }, 60_000);

  it("is written by a compiled trainer (the runtime's trainCompiled) from the directive", async () => {
    const out = path.join(dir, "compiled");
    fs.mkdirSync(path.join(dir, "harness"), { recursive: true });
    compile(source({ extra: '  report(path: "harness.html")\n' }), "harness/net.dl");
    expect((await dslc("compile", path.join(dir, "harness", "net.dl"), "-o", out)).code).toBe(0);
    await trainCompiled(loadCompiled(out), { backend: "cpu", stopAfterEpochs: 3 });
    const parts = sections(fs.readFileSync(path.join(dir, "harness", "harness.html"), "utf8"));
    expect(lineMarks(parts.get("loss-epoch")!).map((m) => m.points)).toEqual([3, 3]);
  }, 60_000);
});
