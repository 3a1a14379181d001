// Independent members in worker processes (`--workers 2`) against one after another in this process
// (`--workers 1`): the same weights, predictions and metrics to the bit, the table in member order, and a
// member whose run aborts named in the error.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { dslc } from "../helpers/cli.js";

const SOURCE = (lr: string) => `model M(x: f32[N, 2]) -> f32[N, 3] {
  return x |> dense(8) |> relu |> dense(3)
}
train {
  data = spirals(n: 200) |> split(val: 0.25, test: 0.25)
  loss = cross_entropy()
  optimizer = sgd(lr: ${lr}, momentum: 0.9)
  ensemble = independent(members: 3)
  epochs 3
  batch 25
}
`;

function write(text: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dslc-ensemble-parallel-"));
  const file = path.join(dir, "model.dl");
  fs.writeFileSync(file, text);
  return file;
}

const events = (stdout: string) => stdout.trim().split("\n").map((line) => JSON.parse(line));
/** What must not depend on where the members ran: everything but timings. */
const withoutSeconds = (e: Record<string, unknown>) => Object.fromEntries(Object.entries(e).filter(([k]) => k !== "seconds"));

describe("independent members in worker processes", () => {
  it("give bit-identical members, predictions and ensemble metrics to training them one after another", async () => {
    const [one, two] = [write(SOURCE("0.1")), write(SOURCE("0.1"))];
    const sequential = await dslc("train", one, "--backend", "cpu", "--json", "--workers", "1");
    const parallel = await dslc("train", two, "--backend", "cpu", "--json", "--workers", "2");
    expect(sequential.stderr).not.toContain("error");
    expect(parallel.stderr).not.toContain("error");
    expect([sequential.code, parallel.code]).toEqual([0, 0]);
    const [a, b] = [events(sequential.stdout), events(parallel.stdout)];
    // Sequential runs print each member's epochs; workers print only finished members.
    expect(a.filter((e) => e.event === "epoch")).toHaveLength(9);
    expect(b.filter((e) => e.event === "epoch")).toHaveLength(0);
    const members = (list: Record<string, unknown>[]) => list.filter((e) => e.event === "member").sort((x, y) => (x.member as number) - (y.member as number));
    expect(members(b).map((m) => [m.member, m.seed])).toEqual([
      [1, 0],
      [2, 1],
      [3, 2],
    ]);
    // Predicted probabilities are compared through every metric computed from them, to the last bit.
    expect(members(b).map((m) => ({ ...m, file: undefined }))).toEqual(members(a).map((m) => ({ ...m, file: undefined })));
    const ensemble = (list: Record<string, unknown>[]) => withoutSeconds(list.find((e) => e.event === "ensemble")!);
    expect(ensemble(b)).toEqual({ ...ensemble(a), members_file: path.join(path.dirname(two), "model.ensemble", "members.json") });
    const done = (list: Record<string, unknown>[]) => withoutSeconds(list.find((e) => e.event === "done")!);
    expect(done(b)).toEqual(done(a));
    for (const name of ["member-0.safetensors", "member-1.safetensors", "member-2.safetensors", "members.json"]) {
      const read = (file: string) => fs.readFileSync(path.join(path.dirname(file), "model.ensemble", name));
      expect(read(two).equals(read(one)), name).toBe(true);
    }
  }, 120_000);

  it("refuses --workers where there are no independent members to spread, rather than ignore it", async () => {
    for (const file of ["samples/xor.dl", "samples/ensemble.dl"]) {
      const result = await dslc("train", file, "--workers", "2", "--backend", "cpu");
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(/`--workers` sets how many members of an independent ensemble train at once/);
      expect(result.stdout).toBe("");
    }
  });

  it("prints one line per finished member and the table in member order", async () => {
    const file = write(SOURCE("0.1"));
    const { code, stdout } = await dslc("train", file, "--backend", "cpu", "--workers", "3");
    expect(code).toBe(0);
    for (const m of [1, 2, 3]) expect(stdout).toMatch(new RegExp(`member ${m} of 3 \\(seed ${m - 1}\\) done: val_acc \\d+\\.\\d\\d%, test_acc \\d+\\.\\d\\d% \\(\\d+\\.\\d s\\)\\n`));
    const table = stdout.slice(stdout.indexOf("ensemble: 3 independent members")).split("\n");
    expect(table.slice(2, 7).map((row) => row.replace(/\s{2,}.*$/, ""))).toEqual(["member 1 (seed 0)", "member 2 (seed 1)", "member 3 (seed 2)", "mean of members", "ensemble"]);
  }, 120_000);

  it("fails the ensemble with the member whose run aborted and its reason", async () => {
    const file = write(SOURCE("1e6"));
    const { code, stdout, stderr } = await dslc("train", file, "--backend", "cpu", "--json", "--workers", "2");
    expect(code).toBe(1);
    expect(stderr).toMatch(/error\[E0701\]: training stopped: member [123] of 3 \(seed [012]\): /);
    const aborted = events(stdout).find((e) => e.event === "aborted");
    expect(aborted).toMatchObject({ code: "E0701", reason: expect.stringMatching(/^member [123] of 3 \(seed [012]\): /) });
    expect(fs.existsSync(path.join(path.dirname(file), "model.ensemble", "members.json"))).toBe(false);
  }, 120_000);

  it("names the member in the error one after another too", async () => {
    const { code, stderr } = await dslc("train", write(SOURCE("1e6")), "--backend", "cpu", "--workers", "1");
    expect(code).toBe(1);
    expect(stderr).toMatch(/error\[E0701\]: training stopped: member 1 of 3 \(seed 0\): /);
  }, 60_000);
});
