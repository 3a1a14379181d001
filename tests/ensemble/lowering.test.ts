// Lowering `ensemble = …`: the setting reaches the Program (members, last, and the cycle ends worked out
// from the schedule and the run's length), and a snapshot ensemble without enough cycles is refused with
// E0810/E0811 on the setting.
import { describe, expect, it } from "vitest";
import { compileProgram } from "../../compiler/compile.js";
import { memoryProbe } from "../helpers/parse.js";

// spirals(n: 300) with val 0.2 leaves 240 training examples: 8 steps per epoch at batch 32.
const file = (settings: string, epochs = 8) =>
  `model M(x: f32[N, 2]) -> f32[N, 3] {\n  return x |> dense(8) |> relu |> dense(3)\n}\ntrain {\n  data = spirals(n: 300) |> split(val: 0.2)\n  loss = cross_entropy()\n  optimizer = sgd(lr: 0.1)\n  epochs ${epochs}\n  batch 32\n${settings}}\n`;

function lower(settings: string, epochs?: number) {
  const text = file(settings, epochs);
  const result = compileProgram(text, "/virtual/model.dl", memoryProbe({}));
  const errors = result.diagnostics.filter((d) => d.severity === "error").map((d) => ({ code: d.code, text: d.span ? text.slice(d.span.start, d.span.end) : "", message: d.message, help: d.help }));
  return { program: result.program, errors };
}

describe("lowering ensembles", () => {
  it("independent: the member count reaches the Program and changes it", () => {
    const two = lower("  ensemble = independent(members: 2)\n");
    const three = lower("  ensemble = independent(members: 3)\n");
    expect(two.errors).toEqual([]);
    expect(two.program?.ensemble).toEqual({ kind: "independent", members: 2 });
    expect(three.program?.ensemble).toEqual({ kind: "independent", members: 3 });
    expect(lower("").program?.ensemble).toBeUndefined();
  });

  it("snapshot: per-epoch SGDR ends its cycles at epoch boundaries, and `last` changes the Program", () => {
    const all = lower("  schedule = sgdr(t0: 2 epochs)\n  ensemble = snapshot()\n");
    expect(all.errors).toEqual([]);
    expect(all.program?.ensemble).toEqual({ kind: "snapshot", cycleEnds: [16, 32, 48, 64] });
    const last2 = lower("  schedule = sgdr(t0: 2 epochs)\n  ensemble = snapshot(last: 2)\n");
    const last3 = lower("  schedule = sgdr(t0: 2 epochs)\n  ensemble = snapshot(last: 3)\n");
    expect(last2.program?.ensemble).toEqual({ kind: "snapshot", last: 2, cycleEnds: [16, 32, 48, 64] });
    expect(last3.program?.ensemble).not.toEqual(last2.program?.ensemble);
  });

  it("SGDR with t_mult grows the cycles; an incomplete last cycle is no snapshot", () => {
    // Cycles of 1, 2 and 4 epochs end after epochs 1, 3 and 7 of 8.
    expect(lower("  schedule = sgdr(t0: 1 epochs, t_mult: 2)\n  ensemble = snapshot()\n").program?.ensemble).toEqual({ kind: "snapshot", cycleEnds: [8, 24, 56] });
  });

  it("per-step SGDR, cyclic, and a cycling part after warmup count in steps from the part's start", () => {
    expect(lower("  schedule = sgdr(t0: 20 steps, per: step)\n  ensemble = snapshot()\n").program?.ensemble).toEqual({ kind: "snapshot", cycleEnds: [20, 40, 60] });
    expect(lower("  schedule = cyclic(base_lr: 0.01, max_lr: 0.1, step_size_up: 10 steps)\n  ensemble = snapshot()\n").program?.ensemble).toEqual({ kind: "snapshot", cycleEnds: [20, 40, 60] });
    expect(lower("  schedule = warmup(8 steps) then sgdr(t0: 20 steps, per: step)\n  ensemble = snapshot()\n").program?.ensemble).toEqual({ kind: "snapshot", cycleEnds: [28, 48] });
  });

  it("the run's length (`epochs`) moves the cycle ends the Program keeps", () => {
    expect(lower("  schedule = sgdr(t0: 2 epochs)\n  ensemble = snapshot()\n", 6).program?.ensemble).toEqual({ kind: "snapshot", cycleEnds: [16, 32, 48] });
  });

  it("E0810: a snapshot ensemble needs a schedule with cycles", () => {
    for (const schedule of ["", "  schedule = cosine()\n"]) {
      const { program, errors } = lower(`${schedule}  ensemble = snapshot()\n`);
      expect(program).toBeUndefined();
      expect(errors).toHaveLength(1);
      expect(errors[0]).toMatchObject({ code: "E0810", message: "`snapshot` keeps the weights at the end of each SGDR or cyclic cycle, but this schedule has no cycles" });
      expect(errors[0]!.text).toContain("ensemble");
      expect(errors[0]!.help).toContain("sgdr");
    }
  });

  it("E0811: fewer complete cycles than `last` (or than 2)", () => {
    const few = lower("  schedule = sgdr(t0: 3 epochs)\n  ensemble = snapshot(last: 3)\n");
    expect(few.program).toBeUndefined();
    expect(few.errors).toEqual([
      expect.objectContaining({ code: "E0811", message: "`snapshot` averages the last 3 cycle ends, but the schedule completes only 2 cycles in the run's 8 epochs (64 steps)", help: expect.stringContaining("lower `last` to 2") }),
    ]);
    const none = lower("  schedule = sgdr(t0: 5 epochs)\n  ensemble = snapshot()\n");
    expect(none.errors.map((e) => e.code)).toEqual(["E0811"]);
    expect(none.errors[0]!.message).toContain("only 1 cycle in");
  });
});
