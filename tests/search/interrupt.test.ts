// Ctrl-C stops `dslc search` cleanly (exit 130, the finished trials in the log, the running ones not), and
// running it again finishes the study without repeating a trial.
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, expect, it } from "vitest";
import { dslc } from "../helpers/cli.js";

const out = fs.mkdtempSync(path.join(os.tmpdir(), "dslc-search-int-"));
afterAll(() => fs.rmSync(out, { recursive: true, force: true }));

it("Ctrl-C stops the search; a rerun continues and runs each trial once", async () => {
  // Trials long enough (a few hundred steps) to be interrupted while some are running.
  const file = path.join(out, "slow.dl");
  fs.writeFileSync(file, fs.readFileSync("tests/search/tiny.dl", "utf8").replace("stage(trials: 3, epochs: 1)", "stage(trials: 4, epochs: 60)"));
  const dir = path.join(out, "study");
  const child = spawn(process.execPath, ["--import", "tsx", "tests/search/cli-entry.ts", "search", file, "--workers", "2", "--json", "--out", dir], { stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  let sent = false;
  child.stderr.on("data", (chunk) => (stderr += chunk));
  const code = await new Promise<number | null>((resolve) => {
    child.stdout.on("data", (chunk) => {
      stdout += chunk;
      if (!sent && stdout.includes('"event":"trial"')) sent = child.kill("SIGINT");
    });
    child.on("exit", (c) => resolve(c));
  });
  expect(code, stderr).toBe(130);
  expect(stderr).toMatch(/note: interrupted with \d of 6 trials finished/);
  const first = fs.readFileSync(path.join(dir, "log.jsonl"), "utf8").trim().split("\n").slice(1).map((l) => JSON.parse(l) as { stage: number; trial: number });
  expect(first.length).toBeGreaterThanOrEqual(1);
  expect(first.length).toBeLessThan(6);
  const again = await dslc("search", file, "--workers", "2", "--json", "--out", dir);
  expect(again.code, again.stderr).toBe(0);
  const rerun = again.stdout.trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>).filter((e) => e["event"] === "trial");
  expect(rerun).toHaveLength(6 - first.length);
  const lines = fs.readFileSync(path.join(dir, "log.jsonl"), "utf8").trim().split("\n").slice(1).map((l) => JSON.parse(l) as { stage: number; trial: number });
  expect(lines).toHaveLength(6);
  expect(new Set(lines.map((r) => `${r.stage}/${r.trial}`)).size).toBe(6);
});
