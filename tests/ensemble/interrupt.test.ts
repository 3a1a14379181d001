// Ctrl-C while independent members train in worker processes: the workers are ended, nothing is written,
// and `dslc train` exits 130.
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { expect, it } from "vitest";

it("Ctrl-C ends the member workers and exits 130 without writing members", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dslc-ensemble-int-"));
  const file = path.join(dir, "slow.dl");
  // Long enough (thousands of steps) never to finish before the interruption.
  fs.writeFileSync(
    file,
    `model M(x: f32[N, 2]) -> f32[N, 3] {
  return x |> dense(8) |> relu |> dense(3)
}
train {
  data = spirals(n: 200) |> split(val: 0.25)
  loss = cross_entropy()
  optimizer = sgd(lr: 0.1, momentum: 0.9)
  ensemble = independent(members: 2)
  epochs 2000
  batch 25
}
`,
  );
  const child = spawn(process.execPath, ["--import", "tsx", "tests/search/cli-entry.ts", "train", file, "--backend", "cpu", "--workers", "2", "--json"], { stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  let sent = false;
  child.stderr.on("data", (chunk) => (stderr += chunk));
  const code = await new Promise<number | null>((resolve) => {
    child.stdout.on("data", (chunk) => {
      stdout += chunk;
      if (!sent && stdout.split('"event":"member_start"').length === 3) sent = child.kill("SIGINT");
    });
    child.on("exit", (c) => resolve(c));
  });
  expect(code, stderr).toBe(130);
  expect(stderr).toContain("note: interrupted; the members' worker processes were stopped and the ensemble was not completed");
  expect(stdout).toContain('{"event":"interrupted"');
  expect(stdout).not.toContain('"event":"member",');
  expect(fs.existsSync(path.join(dir, "slow.ensemble"))).toBe(false);
}, 60_000);
