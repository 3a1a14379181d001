// `dslc train` and `dslc gradcheck` as scripts use them: output formats and exit codes.
import { describe, expect, it } from "vitest";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { dslc } from "../helpers/cli.js";

describe("dslc train", () => {
  it("prints a line per epoch and a summary", async () => {
    const result = await dslc("train", "samples/xor.dl", "--epochs", "3", "--backend", "cpu");
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^epoch {4}1 {2}train_loss \d\.\d{4} {2}val_loss — {2}train_acc \d+\.\d\d% {2}lr 5\.000e-1\n/);
    expect(result.stdout).toMatch(/done: 3 steps in \d+\.\d s on the CPU reference/);
  });

  it("prints JSON lines with --json: epoch events and a done event", async () => {
    const result = await dslc("train", "samples/spirals.dl", "--epochs", "2", "--seed", "3", "--json", "--backend", "cpu");
    expect(result.code).toBe(0);
    const events = result.stdout.trim().split("\n").map((l) => JSON.parse(l));
    expect(events.map((e) => e.event)).toEqual(["epoch", "epoch", "done"]);
    expect(Object.keys(events[0])).toEqual(expect.arrayContaining(["epoch", "train_loss", "val_loss", "val_accuracy", "lr"]));
    expect(events[2]).toMatchObject({ backend: "cpu", steps: 8 });
    expect(Object.keys(events[2])).toEqual(expect.arrayContaining(["adapter", "train_loss", "val_loss", "val_accuracy", "dispatches_per_step", "peak_buffer_bytes", "seconds"]));
  });

  it("exits 1 with the diagnostics when the file has errors", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dslc-train-"));
    const file = path.join(dir, "bad.dl");
    fs.writeFileSync(file, fs.readFileSync("samples/xor.dl", "utf8").replace("dense(2)", "dense(3)"));
    const result = await dslc("train", file);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("error[E0303]");
    fs.rmSync(dir, { recursive: true });
  });

  it("exits 1 with E0701 and the likely cause when training diverges", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dslc-train-"));
    const file = path.join(dir, "diverge.dl");
    fs.writeFileSync(file, fs.readFileSync("samples/polyfit.dl", "utf8").replace("lr: 1e-6", "lr: 1"));
    const result = await dslc("train", file, "--epochs", "5", "--backend", "cpu");
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/error\[E0701\]: training stopped: the training loss (became (NaN|Infinity) at step \d+|\(.+\) exceeds 3× its initial value)/);
    expect(result.stderr).toContain("the learning rate (1) is probably too high");
    fs.rmSync(dir, { recursive: true });
  });

  it("refuses bad flags with exit 2", async () => {
    expect((await dslc("train", "samples/xor.dl", "--epochs", "0")).code).toBe(2);
    expect((await dslc("train", "samples/xor.dl", "--backend", "tpu")).code).toBe(2);
  });
});

describe("dslc gradcheck", () => {
  it("prints the worst relative error per parameter and passes for a sample", async () => {
    const result = await dslc("gradcheck", "samples/spirals.dl");
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^parameter\s+entries\s+worst relative error\n/);
    expect(result.stdout).toMatch(/dense_0\.weight\s+\d+\s+\d\.\d\de-\d+\n/);
    expect(result.stdout).toContain("gradient check passed");
  });
});
