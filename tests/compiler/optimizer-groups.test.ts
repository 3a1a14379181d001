// Parameter groups in the compiler and the host: what `|> group(…)` lowers to, the first-match rule, the
// checker's refusal of a group `momentum` the optimizer would never read, and which schedules a group's own
// lr or momentum is refused under (each group's rate is lr_g · lr(t)/lr, PyTorch's multiplicative
// schedulers; a schedule with absolute rates has no per-group meaning here).
import { describe, expect, it } from "vitest";
import { compileProgram } from "../../compiler/compile.js";
import { DiagnosticBag } from "../../compiler/diagnostics/diagnostic.js";
import { refuseGroupSchedule } from "../../compiler/lower/optimizer.js";
import { optimizerDefaults, type OptimizerSpec } from "../../runtime/cpu/optimizers.js";
import { cpuBackend } from "../../runtime/cpu/train.js";
import { GroupScalars, groupHyper, groupScheduleProblem, groupSpecs, paramGroupIndices } from "../../runtime/param-groups.js";
import type { Program } from "../../runtime/program.js";
import type { ScheduleSpec } from "../../runtime/schedules.js";

const source = (optimizer: string, schedule = "constant") => `model M(x: f32[N, 2]) -> f32[N, 3] {
  head = dense(3)
  return x |> dense(4) |> relu |> head
}

train {
  data = spirals(n: 60) |> split(val: 0.2)
  loss = cross_entropy()
  optimizer = ${optimizer}
  schedule = ${schedule}
  epochs 2
  batch 16
}
`;

const compile = (optimizer: string, schedule?: string) => compileProgram(source(optimizer, schedule), "groups.dl");

describe("parameter groups", () => {
  it("lower to the optimizer's groups, with the options given and the selectors as written", () => {
    const { program, diagnostics } = compile("adamw(lr: 1e-3) |> group(biases, weight_decay: 0) |> group([head, norms], lr: 1e-2)");
    expect(diagnostics).toEqual([]);
    expect(program!.optimizer.groups).toEqual([{ on: ["biases"], weightDecay: 0 }, { on: ["head", "norms"], lr: 1e-2 }]);
  });

  it("put a parameter in the first group that selects it; the rest keep the optimizer's options", () => {
    const { program } = compile("sgd(lr: 0.1, momentum: 0.9) |> group(head, lr: 0.01) |> group(all, weight_decay: 0.5)");
    const names = program!.params.map((p) => p.name);
    expect(names).toEqual(["dense_0.weight", "dense_0.bias", "head.weight", "head.bias"]);
    expect(paramGroupIndices(program!.optimizer, program!.params)).toEqual([2, 2, 1, 1]);
    const specs = groupSpecs(program!.optimizer);
    expect(specs.map((s) => [s.lr, s.weightDecay, "momentum" in s ? s.momentum : undefined])).toEqual([
      [0.1, 0, 0.9],
      [0.01, 0, 0.9],
      [0.1, 0.5, 0.9],
    ]);
    // No group selects a parameter: group 0, the optimizer's own options.
    const { program: some } = compile("sgd(lr: 0.1) |> group(biases, lr: 0.5)");
    expect(paramGroupIndices(some!.optimizer, some!.params)).toEqual([0, 1, 0, 1]);
  });

  it("scale each group's rate with the schedule, relative to its own lr, and keep SGD's momentum start per group", () => {
    const spec = { ...optimizerDefaults("sgd", 0.1), momentum: 0, groups: [{ on: ["all"], lr: 0.4, momentum: 0.9 }] } as OptimizerSpec;
    const [base, group] = groupSpecs(spec);
    expect(groupHyper(base!, base!, { lr: 0.05 })).toEqual({ lr: 0.05 });
    expect(groupHyper(base!, group!, { lr: 0.05 }).lr).toBeCloseTo(0.2, 15);
    const host = new GroupScalars(spec);
    const first = host.next({ lr: 0.1 });
    expect(first.map((s) => [s.lr, s.momentum, s.momentumStart])).toEqual([
      [0.1, 0, false],
      [0.4, 0.9, true],
    ]);
    expect(host.next({ lr: 0.1 })[1]!.momentumStart).toBe(false);
  });

  it("refuse a group's momentum for an optimizer without one (the checker, E0103)", () => {
    const { diagnostics, program } = compile("adam(lr: 1e-3) |> group(biases, momentum: 0.5)");
    expect(program).toBeUndefined();
    expect(diagnostics.map((d) => [d.code, d.message])).toEqual([["E0103", "`adam` has no momentum option for a group to set"]]);
    expect(compile("rmsprop(lr: 1e-3) |> group(biases, momentum: 0.5)").diagnostics).toEqual([]);
  });

  describe("under schedules", () => {
    const withLr = { ...optimizerDefaults("sgd", 0.1), groups: [{ on: ["biases"], weightDecay: 0 }, { on: ["head"], lr: 0.01 }] } as OptimizerSpec;
    const withMomentum = { ...optimizerDefaults("sgd", 0.1), momentum: 0.9, groups: [{ on: ["head"], momentum: 0.5 }] } as OptimizerSpec;
    const onlyDecay = { ...optimizerDefaults("sgd", 0.1), momentum: 0.9, groups: [{ on: ["biases"], weightDecay: 0 }] } as OptimizerSpec;
    const at = (spec: ScheduleSpec, plateau?: Program["schedule"]["plateau"]): Program["schedule"] => ({ spec, per: "step", plateau });
    const cyclic: ScheduleSpec = { kind: "cyclic", baseLr: 0.01, maxLr: 0.1, stepSizeUp: 10, mode: "triangular", gamma: 1, cycleMomentum: true, baseMomentum: 0.8, maxMomentum: 0.9 };

    it("accept a group's lr under schedules that multiply the rate", () => {
      for (const spec of [{ kind: "step", stepSize: 2, gamma: 0.5 }, { kind: "exponential", gamma: 0.9 }, { kind: "cosine", etaMin: 0, tMax: 10 }, { kind: "warmup", duration: 5, from: 0.1 }, { kind: "poly", power: 2, total: 10 }] as ScheduleSpec[]) {
        expect(groupScheduleProblem(withLr, at(spec)), spec.kind).toBeUndefined();
      }
      expect(groupScheduleProblem(withLr, at({ kind: "constant" }, { monitor: "val_loss", mode: "min", factor: 0.5, patience: 1, threshold: 1e-4, cooldown: 0, minLr: 0 }))).toBeUndefined();
    });

    it("refuse a group's lr under absolute rates, naming the group", () => {
      const refused: [ScheduleSpec, Program["schedule"]["plateau"]?][] = [
        [cyclic],
        [{ kind: "linear", to: 0.001, total: 10 }],
        [{ kind: "cosine", etaMin: 1e-4, tMax: 10 }],
        [{ kind: "sequence", stepsPerEpoch: 4, parts: [{ schedule: { kind: "warmup", duration: 5, from: 0.1 }, length: 5, per: "step" }, { schedule: { kind: "one_cycle", maxLr: 0.1, total: 10, pctStart: 0.3, divFactor: 25, finalDivFactor: 1e4, anneal: "cos", cycleMomentum: false, baseMomentum: 0.85, maxMomentum: 0.95 }, length: 10, per: "step" }] }],
        [{ kind: "constant" }, { monitor: "val_loss", mode: "min", factor: 0.5, patience: 1, threshold: 1e-4, cooldown: 0, minLr: 1e-5 }],
      ];
      for (const [spec, plateau] of refused) expect(groupScheduleProblem(withLr, at(spec, plateau)), spec.kind)?.toMatchObject({ group: 1, option: "lr" });
      // Every group at the schedule's own rate: nothing to refuse.
      expect(groupScheduleProblem(onlyDecay, at(cyclic))).toBeUndefined();
    });

    it("refuse a group's momentum when the schedule cycles it, at lowering (E0601) and in the backends", () => {
      expect(groupScheduleProblem(withMomentum, at(cyclic))).toMatchObject({ group: 0, option: "momentum" });
      expect(groupScheduleProblem(withMomentum, at({ ...cyclic, cycleMomentum: false }))).toBeUndefined();
      const { frontend } = compile("sgd(lr: 0.1, momentum: 0.9) |> group(head, momentum: 0.5)", "cyclic(base_lr: 0.01, max_lr: 0.1)");
      const bag = new DiagnosticBag();
      const groups = frontend.check.train!.elaborated!.optimizerGroups;
      expect(refuseGroupSchedule(groups, withMomentum, at(cyclic), bag)).toBe(true);
      expect(bag.items.map((d) => [d.code, d.span])).toEqual([["E0601", groups[0]!.span]]);
      // Program lowering refuses it (no program); the backends would refuse such a program themselves too.
      const lowered = compile("sgd(lr: 0.1, momentum: 0.9) |> group(head, momentum: 0.5)", "cyclic(base_lr: 0.01, max_lr: 0.1)");
      expect(lowered.program).toBeUndefined();
      expect(lowered.diagnostics.filter((d) => d.code === "E0601").map((d) => d.span)).toEqual([groups[0]!.span]);
      const accepted = compile("sgd(lr: 0.1, momentum: 0.9) |> group(head, momentum: 0.5)", "step(step_size: 2)").program!;
      expect(() => cpuBackend({ ...accepted, schedule: at(cyclic) })).toThrow(/cycles the momentum/);
    });
  });
});
