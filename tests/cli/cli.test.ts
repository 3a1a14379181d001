// The dslc command as scripts and people use it: exit codes, output formats, help, fmt modes.
import { execFileSync, spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { reportFailure } from "../../cli/main.js";
import { dslc } from "../helpers/cli.js";

let dir: string;
const file = (name: string, text: string) => {
  const p = path.join(dir, name);
  fs.writeFileSync(p, text);
  return p;
};

const GOOD = "model M(x: f32[N, 2]) -> f32[N, 3] {\n  return x |> dense(3)\n}\n";
const BAD = "model M(x: f32[N, 2]) -> f32[N, 3] {\n  return x |> dense(4)\n}\n";

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "dslc-cli-"));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe("dslc check", () => {
  it("exits 0 and prints nothing for a clean file", async () => {
    expect(await dslc("check", file("good.dl", GOOD))).toEqual({ code: 0, stdout: "", stderr: "" });
  });

  it("exits 1 and prints the diagnostic with file:line:col and a summary", async () => {
    const p = file("bad.dl", BAD);
    const result = await dslc("check", p);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`error[E0303]: model \`M\` returns f32[N, 4], but its declared output is f32[N, 3]\n --> ${p}:2:3\n`);
    expect(result.stderr).toContain(`error: could not check \`${p}\` due to 1 error`);
  });

  it("exits 0 with warnings, and 1 with --deny-warnings", async () => {
    const p = file("warn.dl", "model M(x: f32[N, 2]) -> f32[N, 3] {\n  h = x |> relu\n  return x |> dense(3)\n}\n");
    expect((await dslc("check", p)).code).toBe(0);
    expect((await dslc("check", p, "--deny-warnings")).code).toBe(1);
  });

  it("prints one JSON object per diagnostic with --format json", async () => {
    const p = file("bad.dl", BAD);
    const result = await dslc("check", p, "--format", "json");
    expect(result.code).toBe(1);
    const lines = result.stdout.trim().split("\n").map((l) => JSON.parse(l));
    expect(lines).toEqual([expect.objectContaining({ file: p, code: "E0303", severity: "error", line: 2, column: 3 })]);
  });

  it("reports what `dslc train` would refuse (lowering: E0601, E0810), so it accepts exactly what train runs", async () => {
    const train = (setting: string, model = "x |> dense(3)") =>
      `model M(x: f32[N, 2]) -> f32[N, 3] {\n  return ${model}\n}\ntrain {\n  data = spirals(classes: 3) |> split(val: 0.2)\n  loss = cross_entropy()\n  optimizer = sgd(lr: 0.1)\n  ${setting}\n  epochs 5\n}\n`;
    const snapshot = file("snapshot.dl", train("ensemble = snapshot()"));
    const checked = await dslc("check", snapshot);
    const trained = await dslc("train", snapshot, "--backend", "cpu");
    expect(checked.code).toBe(1);
    expect(trained.code).toBe(1);
    expect(checked.stderr).toMatch(/^error\[E0810\]: `snapshot` keeps the weights/);
    expect(trained.stderr).toContain(checked.stderr.split("\n")[0]);
    const json = await dslc("check", snapshot, "--format", "json");
    expect(json.stdout.split("\n").filter(Boolean).map((l) => JSON.parse(l).code)).toEqual(["E0810"]);
    // With a schedule that has enough cycles, both accept it.
    expect((await dslc("check", file("cycles.dl", train("ensemble = snapshot()\n  schedule = sgdr(t0: 1 epochs)")))).code).toBe(0);
  });

  it("checks several files and fails if any fails", async () => {
    expect((await dslc("check", file("a.dl", GOOD), file("b.dl", BAD))).code).toBe(1);
  });

  it("exits 2 for a missing file, an unknown option or a missing argument", async () => {
    expect(await dslc("check", path.join(dir, "nope.dl"))).toMatchObject({ code: 2, stderr: `error: cannot read \`${path.join(dir, "nope.dl")}\`: no such file\n` });
    expect(await dslc("check", "--fromat", "json", "x.dl")).toMatchObject({ code: 2, stderr: "error: unknown option `--fromat` for `dslc check`; did you mean `--format`?\n" });
    expect(await dslc("check", "--format", "xml", "x.dl")).toMatchObject({ code: 2 });
    expect(await dslc("check")).toMatchObject({ code: 2 });
    expect(await dslc("chek", "x.dl")).toMatchObject({ code: 2, stderr: "error: unknown command `chek`; did you mean `check`? (see `dslc --help`)\n" });
  });
});

describe("dslc fmt", () => {
  const messy = "model M(x:f32[N,2])->f32[N,3]{\n return x|>dense(3) # out\n}\n";
  const tidy = "model M(x: f32[N, 2]) -> f32[N, 3] {\n  return x |> dense(3) # out\n}\n";

  it("prints the formatted file", async () => {
    expect(await dslc("fmt", file("m.dl", messy))).toEqual({ code: 0, stdout: tidy, stderr: "" });
  });

  it("--check lists unformatted files and exits 1, changing nothing", async () => {
    const p = file("m.dl", messy);
    expect(await dslc("fmt", "--check", p)).toMatchObject({ code: 1, stdout: `${p}: not formatted\n` });
    expect(fs.readFileSync(p, "utf8")).toBe(messy);
    expect((await dslc("fmt", "--check", file("t.dl", tidy))).code).toBe(0);
  });

  it("--write rewrites in place and leaves no temporary file", async () => {
    const p = file("w.dl", messy);
    expect(await dslc("fmt", "--write", p)).toMatchObject({ code: 0, stdout: `formatted ${p}\n` });
    expect(fs.readFileSync(p, "utf8")).toBe(tidy);
    expect(fs.readdirSync(dir).filter((f) => f.includes(".tmp"))).toEqual([]);
  });

  it("refuses to format a file with syntax errors and leaves it untouched", async () => {
    const broken = "model M(x: f32[N, 2] {\n}\n";
    const p = file("broken.dl", broken);
    const result = await dslc("fmt", "--write", p);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("error[E0003]");
    expect(fs.readFileSync(p, "utf8")).toBe(broken);
  });

  it("rejects --check with --write", async () => {
    expect((await dslc("fmt", "--check", "--write", "x.dl")).code).toBe(2);
  });
});

describe("help and version", () => {
  it("lists the commands", async () => {
    const result = await dslc("--help");
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/check\s+Parse and check/);
    expect(result.stdout).toMatch(/fmt\s+Format/);
  });

  it("explains each command and its options", async () => {
    for (const args of [["check", "--help"], ["help", "fmt"]]) {
      const result = await dslc(...args);
      expect(result.code).toBe(0);
      expect(result.stdout).toContain("Usage: dslc");
      expect(result.stdout).toContain("Options:");
    }
  });

  it("prints usage and exits 2 without arguments", async () => {
    expect((await dslc()).code).toBe(2);
  });

  it("prints the version", async () => {
    expect((await dslc("--version")).stdout).toMatch(/^dslc \d+\.\d+\.\d+\n$/);
  });
});

describe("internal errors", () => {
  const capture = () => {
    let stderr = "";
    return { io: { stdout: () => {}, stderr: (t: string) => (stderr += t), isTTY: false }, text: () => stderr };
  };

  it("print one line asking for a report and exit 2, without a stack trace", () => {
    const { io, text } = capture();
    expect(reportFailure(new TypeError("boom"), false, io)).toBe(2);
    expect(text()).toBe("error: internal compiler error: boom\nnote: this is a bug in dslc; please report it with the .dl file that caused it (run with --debug for a stack trace)\n");
  });

  it("show the stack trace with --debug", () => {
    const { io, text } = capture();
    reportFailure(new TypeError("boom"), true, io);
    expect(text()).toContain("TypeError: boom\n    at ");
  });
});

describe("the installed binary", () => {
  it("runs from bin/dslc.js with the same exit codes", () => {
    const good = spawnSync(process.execPath, ["bin/dslc.js", "check", "samples/xor.dl"], { encoding: "utf8" });
    expect(good.status).toBe(0);
    const bad = spawnSync(process.execPath, ["bin/dslc.js", "check", file("bad.dl", BAD)], { encoding: "utf8" });
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain("error[E0303]");
    expect(execFileSync(process.execPath, ["bin/dslc.js", "--version"], { encoding: "utf8" })).toMatch(/^dslc /);
  });

  /** Runs bin/dslc.js with its stdout read by something like `head -1`: the first line, then the pipe closes. */
  function firstLineOnly(...args: string[]): Promise<{ line: string; status: number | null; signal: string | null; stderr: string }> {
    return new Promise((resolve) => {
      const child = spawn(process.execPath, ["bin/dslc.js", ...args], { stdio: ["ignore", "pipe", "pipe"] });
      let out = "";
      let stderr = "";
      child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
      child.stdout.on("data", (chunk: Buffer) => {
        out += chunk.toString();
        if (out.includes("\n")) child.stdout.destroy();
      });
      child.on("close", (status, signal) => resolve({ line: out.split("\n")[0]!, status, signal, stderr }));
    });
  }

  it("ends quietly when the reader of its output goes away (`| head -1`)", async () => {
    // Megabytes of JSON: far more than a pipe buffers, so dslc is still writing when the pipe closes.
    const many = file("many.dl", "let a = )\n".repeat(20_000));
    for (const args of [["check", "--format", "json", many], ["train", "--json", "--backend", "cpu", "samples/xor.dl"]]) {
      const result = await firstLineOnly(...args);
      expect(JSON.parse(result.line)).toBeTypeOf("object");
      expect(result).toMatchObject({ status: 0, signal: null, stderr: "" });
    }
  });
});

describe("dslc check --memory", () => {
  it("reports the device memory training needs, by kind", async () => {
    const result = await dslc("check", "--memory", "samples/digits_mlp.dl");
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^memory of samples\/digits_mlp\.dl on a WebGPU device \(batch 64; buffers hold 512 examples\):\n/);
    for (const kind of ["parameters", "gradients", "optimizer state", "activations", "batch", "total"]) expect(result.stdout).toMatch(new RegExp(`\\n  ${kind} +[\\d.]+ (B|KiB|MiB)`));
  });

  it("reports the numbers as JSON, parameters split into chunks of one binding", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dslc-memory-"));
    // Three 4000 × 4000 weights (61 MiB each): 183 MiB in all, more than one 128 MiB binding, so two chunks.
    const file = path.join(dir, "wide.dl");
    fs.writeFileSync(file, "model M(x: f32[N, 2]) -> f32[N, 3] {\n  return x |> dense(4000) |> dense(4000) |> dense(4000) |> dense(4000) |> dense(3)\n}\ntrain {\n  data = spirals(classes: 3)\n  loss = cross_entropy()\n  optimizer = adam(lr: 1e-3)\n  epochs 1\n}\n");
    const result = await dslc("check", "--memory", "--format", "json", file);
    expect(result.code).toBe(0);
    const { memory } = JSON.parse(result.stdout.trim());
    expect(memory.parameter_chunks).toBe(2);
    // Adam keeps three moments (m, v and the amsgrad maximum) per parameter.
    expect(memory.bytes["optimizer state"]).toBe(3 * memory.bytes.parameters);
    expect(memory.bytes.parameters).toBeGreaterThan(3 * 4000 * 4000 * 4);
    fs.rmSync(dir, { recursive: true });
  });

  it("exits 1 with E0602 when a tensor exceeds WebGPU's default binding limit", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dslc-memory-"));
    const file = path.join(dir, "wider.dl");
    fs.writeFileSync(file, "model M(x: f32[N, 2]) -> f32[N, 3] {\n  return x |> dense(6000) |> dense(6000) |> dense(3)\n}\ntrain {\n  data = spirals(classes: 3)\n  loss = cross_entropy()\n  optimizer = sgd(lr: 0.1)\n  epochs 1\n}\n");
    const result = await dslc("check", "--memory", file);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("error[E0602]: the parameter `dense_1.weight` [6000, 6000] takes 137.3 MiB");
    fs.rmSync(dir, { recursive: true });
  });
});
