// The terminal's per-epoch progress bar (Keras-style): position within the epoch, the time left in it
// estimated from the steps done so far, the last logged loss; and nothing at all when not a terminal.
import { describe, expect, it } from "vitest";
import { clock, EpochProgress, ProgressBar } from "../../cli/progress.js";

describe("the epoch progress bar", () => {
  it("shows the step within the epoch, an ETA from that epoch's pace, and restarts each epoch", () => {
    let now = 0;
    const out: string[] = [];
    const clockNow = () => now;
    const bar = new EpochProgress(new ProgressBar((t) => out.push(t), true, clockNow), 10, 3, clockNow);
    bar.step(1);
    now = 200;
    bar.step(2);
    now = 1000;
    bar.step(4, 0.51234);
    // 3 steps took 1 s since the first: 1/3 s per step, 6 steps left: 2 s.
    expect(out.at(-1)).toMatch(/^\r\[#{12}\.{18}\] epoch 1\/3  4\/10  ETA 0:02  loss 0\.5123\x1b\[K$/);
    now = 5000;
    bar.step(11);
    expect(out.at(-1)).toContain("epoch 2/3  1/10");
    expect(out.at(-1)).not.toContain("ETA");
  });

  it("is silent when the output is not a terminal, and formats long times with hours", () => {
    const out: string[] = [];
    new EpochProgress(new ProgressBar((t) => out.push(t), false), 10, 3, () => 0).step(5);
    expect(out).toEqual([]);
    expect([clock(59.6), clock(61), clock(3725)]).toEqual(["1:00", "1:01", "1:02:05"]);
  });
});
