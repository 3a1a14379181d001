// Data arguments whose validity or effect one argument's type cannot express: `random_scale`'s min must not
// exceed its max (E0202 at the argument, with a help line), and `csv(…, scale:)` reaches the program and
// multiplies the features as loaded, as `idx` and `npy` do.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { compileProgram } from "../../compiler/compile.js";
import { loadSource } from "../../runtime/data/sources.js";
import { checkText } from "../helpers/parse.js";

const MODEL = "model M(x: f32[N, 1, 2, 2]) -> f32[N, 2] {\n  return x |> flatten |> dense(2)\n}\n";
const train = (data: string) => `train {\n  data = ${data}\n  loss = cross_entropy()\n  optimizer = sgd(lr: 0.1)\n  epochs 1\n  batch 2\n}\n`;
// Four features per row, shaped [1, 2, 2] for the image augmentations; labels 0 and 1.
const CSV = "a,b,c,d,label\n" + Array.from({ length: 6 }, (_, i) => `${i},${2 * i},${i + 0.5},-${i},${i % 2}`).join("\n") + "\n";
const source = (augment: string) => MODEL + train(`csv("d.csv", label: "label", shape: [1, 2, 2]) |> augment([${augment}])`);
const errors = (text: string) => checkText(text, { "d.csv": CSV }).diagnostics.filter((d) => d.severity === "error");

describe("random_scale's range", () => {
  it("min above max is E0202 at min, with a help line that swaps them", () => {
    const text = source("hflip, random_scale(min: 1.2, max: 0.8)");
    const found = errors(text);
    expect(found.map((d) => [d.code, d.message])).toEqual([["E0202", "`random_scale` draws its factor from [min, max], but min (1.2) exceeds max (0.8)"]]);
    expect(text.slice(found[0]!.span!.start, found[0]!.span!.end)).toMatch(/^(min: )?1\.2$/);
    expect(found[0]!.label).toBe("min above max");
    expect(found[0]!.help).toBe("swap them: min must not exceed max, e.g. `random_scale(min: 0.8, max: 1.2)`");
  });

  it("with one bound written, the error is at it and the help names the other's default", () => {
    const low = source("random_scale(max: 0.5)");
    const [atMax] = errors(low);
    expect(atMax?.code).toBe("E0202");
    expect(low.slice(atMax!.span!.start, atMax!.span!.end)).toMatch(/^(max: )?0\.5$/);
    expect(atMax!.help).toContain("`min` defaults to 0.9");
    const high = source("random_scale(min: 2)");
    const [atMin] = errors(high);
    expect(atMin?.code).toBe("E0202");
    expect(high.slice(atMin!.span!.start, atMin!.span!.end)).toMatch(/^(min: )?2$/);
    expect(atMin!.help).toContain("`max` defaults to 1.1");
  });

  it("min ≤ 0 is out of range (E0202, from the argument's own range)", () => {
    expect(errors(source("random_scale(min: 0, max: 1)")).map((d) => d.code)).toEqual(["E0202"]);
    expect(errors(source("random_scale(min: -0.5, max: 1)")).map((d) => d.code)).toEqual(["E0202"]);
  });

  it("min = max, min < max and the defaults check clean", () => {
    for (const call of ["random_scale(min: 1, max: 1)", "random_scale(min: 0.8, max: 1.2)", "random_scale", "random_scale(max: 0.9)"]) expect(errors(source(call)), call).toEqual([]);
  });
});

describe("csv(…, scale:)", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dslc-csv-scale-"));
  fs.writeFileSync(path.join(dir, "d.csv"), CSV);
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  /** Compiles a program reading d.csv with the given arguments and loads its data source. */
  const load = (args: string) => {
    const compiled = compileProgram(MODEL + train(`csv("d.csv", label: "label", shape: [1, 2, 2]${args})`), path.join(dir, "model.dl"));
    expect(compiled.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    return { source: compiled.program!.data.source, data: loadSource(compiled.program!.data.source, 0) };
  };

  it("is carried by the program and multiplies every feature, not the label", () => {
    const plain = load("");
    const scaled = load(", scale: 1/4");
    expect(plain.source).toMatchObject({ kind: "csv", scale: 1 });
    expect(scaled.source).toMatchObject({ kind: "csv", scale: 0.25 });
    expect(scaled.data.x).not.toEqual(plain.data.x);
    // Exact: quarters of small integers and halves are representable in f32.
    expect(Array.from(scaled.data.x)).toEqual(Array.from(plain.data.x, (v) => v * 0.25));
    expect(scaled.data.y).toEqual(plain.data.y);
    expect(scaled.data.shape).toEqual([1, 2, 2]);
  });

  it("must be positive, as for idx and npy", () => {
    expect(errors(MODEL + train('csv("d.csv", label: "label", shape: [1, 2, 2], scale: 0)')).map((d) => d.code)).toEqual(["E0202"]);
  });
});
