// `dslc train` with the `checkpoint` directive: Ctrl-C (SIGINT, emitted in-process when a given step is
// logged) writes a checkpoint at the next step boundary and exits with 130; `--resume` continues with the
// same logged losses as an uninterrupted run; another model's checkpoint is E0703 with exit status 1.
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { run } from "../../cli/main.js";
import { checkpointProgram, checkpointSource, MODEL } from "../helpers/checkpoint.js";

async function train(args: string[], interruptAtStep?: number): Promise<{ code: number; events: Record<string, any>[]; stderr: string }> {
  let stdout = "";
  let stderr = "";
  const code = await run(["train", ...args, "--backend", "cpu", "--json"], {
    stdout: (t) => {
      stdout += t;
      const event = JSON.parse(t);
      if (event.event === "log" && event.step === interruptAtStep) process.emit("SIGINT");
    },
    stderr: (t) => (stderr += t),
    isTTY: false,
  });
  return { code, events: stdout.split("\n").filter((l) => l !== "").map((l) => JSON.parse(l)), stderr };
}

const losses = (events: Record<string, any>[]) => events.filter((e) => e.event === "log").map((e) => [e.step, e.loss]);

describe("dslc train with checkpoints", () => {
  it("Ctrl-C writes a checkpoint and exits with 130; --resume continues exactly", async () => {
    const { dir } = checkpointProgram(checkpointSource());
    const file = path.join(dir, "model.dl");
    fs.writeFileSync(file, checkpointSource());
    const full = await train([file]);
    expect(full.code).toBe(0);
    fs.rmSync(path.join(dir, "ckpt"), { recursive: true });
    const interrupted = await train([file], 6);
    expect(interrupted.code).toBe(130);
    // Step 6's loss is reported while step 7 runs (logged losses are read one interval late): the run stops after 7.
    const checkpoint = path.join(dir, "ckpt", "step-000007");
    expect(interrupted.events.at(-1)).toEqual({ event: "interrupted", step: 7, checkpoint });
    expect(interrupted.events.filter((e) => e.event === "checkpoint").map((e) => e.step)).toEqual([4, 7]);
    expect(interrupted.stderr).toContain(`note: interrupted after step 7; checkpoint written to ${checkpoint}; continue with \`dslc train ${file} --resume ${checkpoint}\``);
    expect(process.listenerCount("SIGINT")).toBe(0);
    const resumed = await train([file, "--resume", path.join(dir, "ckpt")]);
    expect(resumed.code).toBe(0);
    expect([...losses(interrupted.events), ...losses(resumed.events)]).toEqual(losses(full.events));
    expect(resumed.events.at(-1)).toMatchObject({ event: "done", steps: 15, resumed_from: checkpoint, train_loss: full.events.at(-1)!.train_loss });

    const other = path.join(dir, "other.dl");
    fs.writeFileSync(other, checkpointSource({ model: MODEL.replace("dense(16)", "dense(8)") }));
    const refused = await train([other, "--resume", path.join(dir, "ckpt")]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("error[E0703]: the checkpoint in");
    expect(refused.stderr).toContain("parameter `dense_0.weight` is [16, 2] in the checkpoint but [8, 2] in the model");
  }, 60_000);
});
