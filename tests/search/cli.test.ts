// `dslc search` end to end on a tiny real search (noisy XOR, 2 stages of 3 and 2 one-epoch trials) in two
// worker processes, and `dslc train` on a file with a search block.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { dslc } from "../helpers/cli.js";

const FILE = "tests/search/tiny.dl";
const out = fs.mkdtempSync(path.join(os.tmpdir(), "dslc-search-cli-"));
afterAll(() => fs.rmSync(out, { recursive: true, force: true }));

const events = (stdout: string) => stdout.trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);

describe("dslc search", () => {
  it("runs every trial of both stages in workers, prints JSON events and writes the log, results and report", async () => {
    const dir = path.join(out, "study");
    const { code, stdout, stderr } = await dslc("search", FILE, "--workers", "2", "--backend", "cpu", "--json", "--out", dir);
    expect(code, stderr).toBe(0);
    const all = events(stdout);
    const trials = all.filter((e) => e["event"] === "trial");
    expect(trials.map((t) => `${t["stage"]}/${t["trial"]}`).sort()).toEqual(["1/1", "1/2", "1/3", "2/1", "2/2"]);
    for (const t of trials) {
      expect(Object.keys(t)).toEqual(["event", "stage", "trial", "params", "metric", "seconds"]);
      expect(Object.keys(t["params"] as object)).toEqual(["lr", "width"]);
      expect(t["metric"]).toEqual(expect.any(Number));
    }
    const done = all.at(-1)!;
    expect(done).toMatchObject({ event: "done", trials: 5, failed: 0 });
    const best = done["best"] as { metric: number; params: { lr: number; width: number } };
    expect(best.metric).toBe(Math.min(...trials.map((t) => t["metric"] as number)));
    for (const warning of all.filter((e) => e["event"] === "warning")) expect(Object.keys(warning)).toEqual(["event", "code", "message"]);
    expect(stderr).toContain(`dslc train ${FILE} --set lr=${best.params.lr} --set width=${best.params.width}`);
    const log = fs.readFileSync(path.join(dir, "log.jsonl"), "utf8").trim().split("\n");
    expect(log).toHaveLength(6);
    expect(JSON.parse(log[0]!)).toMatchObject({ file: "tiny.dl", version: 1 });
    expect(fs.readFileSync(path.join(dir, "results.csv"), "utf8").split("\n")[0]).toBe("stage,trial,lr,width,val_loss,seconds,failed");
    expect(fs.readFileSync(path.join(dir, "results.jsonl"), "utf8").trim().split("\n")).toHaveLength(5);
    const report = fs.readFileSync(path.join(dir, "report.html"), "utf8");
    expect(report).toContain("val_loss against lr");
    expect(report).toContain("lr (log scale)");
    expect((report.match(/<svg/g) ?? []).length).toBe(2);

    // Run again: nothing is left to run, the same best is reported.
    const again = await dslc("search", FILE, "--workers", "2", "--json", "--out", dir);
    expect(again.code).toBe(0);
    expect(events(again.stdout).filter((e) => e["event"] === "trial")).toEqual([]);
    expect(events(again.stdout).at(-1)!["best"]).toEqual(done["best"]);
    expect(again.stderr).toContain("5 of 5 trials finished before");
  });

  it("refuses a log of another study (E0802)", async () => {
    const dir = path.join(out, "other");
    const changed = path.join(out, "tiny.dl");
    fs.writeFileSync(changed, fs.readFileSync(FILE, "utf8").replace("seed 3", "seed 4"));
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, "log.jsonl"), JSON.stringify({ study: "0000000000000000", file: "tiny.dl", version: 1 }) + "\n");
    const { code, stderr } = await dslc("search", changed, "--out", dir);
    expect(code).toBe(1);
    expect(stderr).toMatch(/^error\[E0802\]: the search log `.*log\.jsonl` belongs to another study \(tiny\.dl, study 0000000000000000\)/);
    expect(stderr).toContain("= help: the file changed since the log was written");
  });

  it("`dslc search` on a file without a search block says how to add one", async () => {
    const { code, stderr } = await dslc("search", "samples/xor.dl", "--out", path.join(out, "none"));
    expect(code).toBe(1);
    expect(stderr).toContain("error: `samples/xor.dl` has no `search` block");
  });
});

describe("dslc train on a file with a search block", () => {
  it("trains once with the `let` values, says so, and takes --set", async () => {
    const plain = await dslc("train", FILE, "--backend", "cpu", "--json");
    expect(plain.code, plain.stderr).toBe(0);
    expect(plain.stderr).toContain("note: the `search` block is not run by `dslc train`: training once with the `let` values; `dslc search tests/search/tiny.dl` runs the search");
    const set = await dslc("train", FILE, "--backend", "cpu", "--json", "--set", "lr=0.3", "--set", "width=6");
    expect(set.code, set.stderr).toBe(0);
    const lr = (stdout: string) => events(stdout).find((e) => e["event"] === "epoch")!["lr"];
    expect([lr(plain.stdout), lr(set.stdout)]).toEqual([0.1, expect.closeTo(0.3, 6)]);
    const bad = await dslc("train", FILE, "--backend", "cpu", "--set", "lr=fast");
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("error[E0801]: `--set lr=\"fast\"` gives a string, but `let lr` is a number");
    const usage = await dslc("train", FILE, "--set", "lr");
    expect(usage.code).toBe(2);
  });
});
