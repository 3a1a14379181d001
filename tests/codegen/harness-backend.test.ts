// The emitted train.mts picks its default backend by `dslc train`'s rule (runtime/backend-choice.ts): a model
// under the FLOP threshold trains on the CPU with the same note, one above it on WebGPU, and `--backend` wins.
// The trainers run against the runtime's sources (a `dslc` package in a temporary node_modules re-exporting
// runtime/index.ts), so that what is tested is this tree's runtime, not a stale dist/.
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as cliChoice from "../../cli/backend-choice.js";
import { defaultBackend, loadCompiled } from "../../runtime/index.js";
import { dslc } from "../helpers/cli.js";

const root = fs.mkdtempSync(path.join(os.tmpdir(), "dslc-harness-backend-"));

beforeAll(async () => {
  const runtime = path.join(root, "node_modules/dslc");
  fs.mkdirSync(runtime, { recursive: true });
  fs.writeFileSync(path.join(runtime, "package.json"), JSON.stringify({ name: "dslc", type: "module", exports: { "./runtime": "./runtime.ts" } }));
  fs.writeFileSync(path.join(runtime, "runtime.ts"), `export * from ${JSON.stringify(path.resolve("runtime/index.ts"))};\n`);
  for (const sample of ["xor", "digits_mlp"]) {
    const result = await dslc(`samples/${sample}.dl`, "-o", path.join(root, sample));
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
  }
}, 120_000);
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

function trainer(sample: string, ...args: string[]) {
  const run = spawnSync(process.execPath, [path.resolve("node_modules/tsx/dist/cli.mjs"), path.join(root, sample, "train.mts"), ...args], {
    encoding: "utf8",
    env: { ...process.env, XDG_RUNTIME_DIR: process.env["XDG_RUNTIME_DIR"] ?? "/tmp/xdg" },
  });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

describe("the emitted trainer's default backend", () => {
  it("is the runtime's rule, which `dslc train` uses too (one implementation)", () => {
    expect(cliChoice.defaultBackend).toBe(defaultBackend);
    expect(cliChoice.stepFlops).toBeTypeOf("function");
  });

  it("decides from the manifest's program: the CPU for xor, WebGPU for digits_mlp", () => {
    expect(defaultBackend(loadCompiled(path.join(root, "xor")).manifest.program).backend).toBe("cpu");
    expect(defaultBackend(loadCompiled(path.join(root, "digits_mlp")).manifest.program)).toEqual({ backend: "webgpu" });
  });

  it("trains xor on the CPU without --backend, with `dslc train`'s note", () => {
    const { note } = defaultBackend(loadCompiled(path.join(root, "xor")).manifest.program);
    const run = trainer("xor", "--stop-after-epochs", "1");
    expect(run.stderr).toContain(`note: ${note}\n`);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("trained for 1 steps");
    expect(run.stdout).toContain("on CPU reference");
  }, 60_000);

  it("trains xor on WebGPU with --backend webgpu, without the note", () => {
    const run = trainer("xor", "--stop-after-epochs", "1", "--backend", "webgpu");
    expect(run.code).toBe(0);
    expect(run.stderr).not.toContain("MFLOP");
    expect(run.stdout).toContain("trained for 1 steps");
    expect(run.stdout).not.toContain("on CPU reference");
  }, 60_000);

  it("refuses a --backend it does not know, before training", () => {
    const run = trainer("xor", "--backend", "gpu");
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("error: --backend takes cpu or webgpu, not gpu");
    expect(run.stdout).toBe("");
  }, 60_000);

  it("says in train.mts's header how the default is chosen", () => {
    const source = fs.readFileSync(path.join(root, "digits_mlp/train.mts"), "utf8");
    expect(source).toContain("// Run: npx tsx train.mts [--backend cpu|webgpu] [--stop-after-epochs N]");
    expect(source).toContain("(under 1 MFLOP per step), else on WebGPU");
  });
});
