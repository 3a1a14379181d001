// `let` overrides (`--set`, a search trial's values) go through the checker, so the lowered Program is
// exactly what the checker shows for those values.
import { describe, expect, it } from "vitest";
import { compileProgram } from "../../compiler/compile.js";
import { memoryProbe } from "../helpers/parse.js";
import { parseSetValue, setArgument } from "../../cli/set-flag.js";

const FILE = `let lr = 0.1
let drop = 0.2
let width = 4
let act = "relu"
model M(x: f32[N, 2]) -> f32[N, 3] {
  return x |> dense(width) |> relu |> dropout(drop) |> dense(3)
}
train {
  data = spirals(classes: 3) |> split(val: 0.2)
  loss = cross_entropy()
  optimizer = sgd(lr: lr)
  epochs 1
}
search {
  lr ~ loguniform(1e-3, 1)
  trials 2
  epochs 1
}
`;

const compile = (lets?: Record<string, number | string | boolean>) => compileProgram(FILE, "/virtual/model.dl", memoryProbe({}), { lets });
const dropoutP = (program: NonNullable<ReturnType<typeof compile>["program"]>) => [...new Set(program.nodes.flatMap((n) => (n.op === "dropout" ? [(n.attrs as { p: number }).p] : [])))];

describe("let overrides", () => {
  it("change the lowered Program: the optimizer's rate, a dropout's p and a layer's width", () => {
    const own = compile();
    const changed = compile({ lr: 0.03, drop: 0.5, width: 7 });
    expect(own.diagnostics).toEqual([]);
    expect(changed.diagnostics).toEqual([]);
    expect(own.program!.optimizer).toMatchObject({ lr: 0.1 });
    expect(changed.program!.optimizer).toMatchObject({ lr: 0.03 });
    expect(dropoutP(own.program!)).toEqual([0.2]);
    expect(dropoutP(changed.program!)).toEqual([0.5]);
    expect(own.program!.params.map((p) => p.shape)).toContainEqual([4, 2]);
    expect(changed.program!.params.map((p) => p.shape)).toContainEqual([7, 2]);
  });

  it("are checked like the file's own values", () => {
    expect(compile({ width: 2.5 }).diagnostics.map((d) => d.code)).toContain("E0203");
    expect(compile({ drop: 1.5 }).diagnostics.map((d) => d.code)).toContain("E0202");
  });

  it("refuse an unknown name and a value of another kind (E0801)", () => {
    expect(compile({ widht: 3 }).diagnostics.map((d) => [d.code, d.message, d.help])).toEqual([["E0801", "`--set widht=…` names no top-level `let` of this file", "did you mean `width`?"]]);
    const wrong = compile({ lr: "fast", act: 3 }).diagnostics;
    expect(wrong.map((d) => [d.code, d.message])).toEqual([
      ["E0801", '`--set lr="fast"` gives a string, but `let lr` is a number'],
      ["E0801", "`--set act=3` gives a number, but `let act` is a string"],
    ]);
    expect(FILE.slice(wrong[0]!.span!.start, wrong[0]!.span!.end)).toBe("0.1");
  });

  it("`--set` values read as numbers, booleans or strings, and print back the same", () => {
    expect([parseSetValue("1e-3"), parseSetValue("-2"), parseSetValue("true"), parseSetValue("adam"), parseSetValue('"12"')]).toEqual([1e-3, -2, true, "adam", "12"]);
    for (const value of [0.001234, 3, "adam", "12", "two words", true]) {
      const [, text] = /^--set x=(.*)$/.exec(setArgument("x", value))!;
      const unquoted = text!.startsWith("'") ? text!.slice(1, -1) : text!;
      expect(parseSetValue(unquoted)).toEqual(value);
    }
  });
});
