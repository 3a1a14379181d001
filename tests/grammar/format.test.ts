// The formatter: idempotent on every sample, keeps every comment and every token's meaning, and lays out
// the canonical style described in docs/language.md §8.
import * as fs from "node:fs";
import { describe, expect, it } from "vitest";
import { format } from "../../grammar/format/format.js";
import { parse } from "../../grammar/parse.js";
import { printExpr } from "../../grammar/format/print-expr.js";
import type * as A from "../../grammar/ast.js";

function fmt(text: string): string {
  const parsed = parse(text);
  expect(parsed.diagnostics).toEqual([]);
  return format(parsed.file, text);
}

/** The AST with spans removed: formatting must not change what the file means. */
function meaning(text: string): unknown {
  return JSON.parse(JSON.stringify(parse(text).file.items, (key, value) => (key === "span" || key === "opSpan" || key === "bodySpan" ? undefined : value)));
}

const samples = fs.readdirSync("samples").filter((f) => f.endsWith(".dl"));

describe("dslc fmt", () => {
  for (const file of samples) {
    it(`${file}: is already formatted, idempotent, and keeps comments and meaning`, () => {
      const text = fs.readFileSync(`samples/${file}`, "utf8");
      const once = fmt(text);
      expect(once).toBe(text);
      expect(fmt(once)).toBe(once);
    });
  }

  it("normalizes spacing, semicolons and indentation without changing meaning", () => {
    const messy = "model   M( x:f32[N,2] )->f32[N,3]{\n      h=x|>dense( 3 )\n   return h\n}\ntrain{epochs 3;batch 4\nloss=mse( )+1e-4*l2(weights)}\n";
    const formatted = fmt(messy);
    expect(formatted).toBe("model M(x: f32[N, 2]) -> f32[N, 3] {\n  h = x |> dense(3)\n  return h\n}\n\ntrain {\n  epochs 3\n  batch 4\n  loss = mse() + 1e-4 * l2(weights)\n}\n");
    expect(meaning(formatted)).toEqual(meaning(messy));
  });

  it("keeps own-line, end-of-line, closing and end-of-file comments in place", () => {
    const text = "# file header\n\nlet a = 1 # why a\n\nmodel M(x: f32[N, 2]) -> f32[N, 2] {\n  # before return\n  return x # the input\n  # closing\n}\n\n# the end\n";
    expect(fmt(text)).toBe(text);
  });

  it("moves a comment inside a multi-line statement above it, and is idempotent afterwards", () => {
    const text = "train {\n  data = spirals()\n    # hold out a fifth\n    |> split(val: 0.2)\n}\n";
    const once = fmt(text);
    expect(once).toBe("train {\n  # hold out a fifth\n  data = spirals() |> split(val: 0.2)\n}\n");
    expect(fmt(once)).toBe(once);
  });

  it("keeps groups of lets together and one blank line between blocks", () => {
    expect(fmt("let a = 1\nlet b = 2\n\n\n\nlet c = 3\nmodel M(x: f32[N, 1]) {\n  return x\n}\n")).toBe("let a = 1\nlet b = 2\n\nlet c = 3\n\nmodel M(x: f32[N, 1]) {\n  return x\n}\n");
  });

  it("breaks a long pipeline before each |> and a long schedule before each then", () => {
    const long = "train {\n  data = csv(\"data/a/very/long/path/to/the/training/data.csv\", label: \"label\") |> split(val: 0.2) |> standardize\n}\n";
    expect(fmt(long)).toBe("train {\n  data = csv(\"data/a/very/long/path/to/the/training/data.csv\", label: \"label\")\n    |> split(val: 0.2)\n    |> standardize\n}\n");
    const schedule = "train {\n  schedule = warmup(500 steps, from: 0.1) then cosine(eta_min: 1e-6, t_max: 100 epochs) then constant then constant\n}\n";
    const formatted = fmt(schedule);
    expect(formatted).toBe("train {\n  schedule = warmup(500 steps, from: 0.1)\n    then cosine(eta_min: 1e-6, t_max: 100 epochs)\n    then constant\n    then constant\n}\n");
    expect(fmt(formatted)).toBe(formatted);
  });

  it("prints every expression form back to source that parses to the same tree", () => {
    const exprs = ["a + b * c", "(a + b) * c", "-x ** 2", "x ** -2", "x @ w", "[1, [2, 3]]", 'f(1, name: "s", flag: true)', "a.b.c", "3 epochs", "1e-3", "x |> f |> g(1)", "a then b(2)"];
    for (const source of exprs) {
      const expr = (parse(`let v = ${source}\n`).file.items[0] as A.LetDecl).value;
      expect(printExpr(expr)).toBe(source);
    }
  });
});
