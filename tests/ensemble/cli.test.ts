// `dslc train` of an ensemble: each member's and the ensemble's metrics side by side (a table, or `--json`
// member and ensemble events), the members written beside the .dl file, and the table in the report.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { dslc } from "../helpers/cli.js";

const SOURCE = (ensemble: string, extra = "") => `model M(x: f32[N, 2]) -> f32[N, 3] {
  return x |> dense(12) |> relu |> dense(3)
}
train {
  data = spirals(n: 300) |> split(val: 0.2, test: 0.2)
  loss = cross_entropy()
  optimizer = sgd(lr: 0.1, momentum: 0.9)
  schedule = sgdr(t0: 2 epochs)
  ensemble = ${ensemble}
  epochs 6
  batch 32
${extra}}
`;

function write(text: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dslc-ensemble-cli-"));
  const file = path.join(dir, "model.dl");
  fs.writeFileSync(file, text);
  return file;
}

describe("dslc train with an ensemble", () => {
  it("prints a table of the members, their mean and the ensemble, and writes the members", async () => {
    const file = write(SOURCE("independent(members: 2)", '  report(path: "r.html")\n'));
    const { code, stdout, stderr } = await dslc("train", file, "--backend", "cpu");
    expect(stderr).not.toContain("error");
    expect(code).toBe(0);
    expect(stdout).toContain("member 1 of 2 (seed 0)");
    expect(stdout).toContain("member 2 of 2 (seed 1)");
    const table = stdout.slice(stdout.indexOf("ensemble: 2 independent members"));
    expect(table.split("\n")[1]).toMatch(/^\s+val_acc\s+val_top5\s+val_loss\s+test_acc\s+test_top5\s+test_loss$/);
    for (const row of ["member 1 (seed 0)", "member 2 (seed 1)", "mean of members", "ensemble"]) expect(table).toMatch(new RegExp(`\\n${row.replace(/[()]/g, "\\$&")}\\s+\\d+\\.\\d\\d%`));
    const dir = path.join(path.dirname(file), "model.ensemble");
    expect(fs.readdirSync(dir).sort()).toEqual(["member-0.safetensors", "member-1.safetensors", "members.json"]);
    const html = fs.readFileSync(path.join(path.dirname(file), "r.html"), "utf8");
    expect(html).toContain('<section id="ensemble"><h2>Ensemble</h2>');
    expect(html).toContain("<th>mean of members</th>");
  });

  it("--json: one member event per member and an ensemble event whose numbers are the table's", async () => {
    const file = write(SOURCE("snapshot(last: 2)"));
    const { code, stdout } = await dslc("train", file, "--backend", "cpu", "--json");
    expect(code).toBe(0);
    const events = stdout.trim().split("\n").map((line) => JSON.parse(line));
    const members = events.filter((e) => e.event === "member");
    expect(members.map((m) => [m.member, m.step])).toEqual([
      [1, 24],
      [2, 36],
    ]);
    expect(members[0].val).toEqual({ loss: expect.any(Number), accuracy: expect.any(Number), top5: expect.any(Number) });
    const ensemble = events.find((e) => e.event === "ensemble");
    expect(ensemble).toMatchObject({ kind: "snapshot", members: 2, val: { accuracy: expect.any(Number) }, test: { accuracy: expect.any(Number) } });
    expect(ensemble.mean_member.val.accuracy).toBeCloseTo((members[0].val.accuracy + members[1].val.accuracy) / 2, 12);
    expect(events.at(-1).event).toBe("done");
  });
});
