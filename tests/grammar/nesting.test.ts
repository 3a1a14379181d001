// Never crash on input (issue 7): expressions nested deeper than MAX_NESTING are reported as E0004 and cut
// down before any phase walks them, the parser itself survives 100,000 open brackets, and error recovery
// survives thousands of bad lines. Through `dslc check` and `dslc fmt` as a user runs them.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type * as A from "../../grammar/ast.js";
import { MAX_NESTING } from "../../grammar/nesting.js";
import { parse } from "../../grammar/parse.js";
import { MAX_SYNTAX_ERRORS } from "../../grammar/parser.js";
import { children, type Node } from "../../grammar/walk.js";
import { checkText } from "../helpers/parse.js";
import { dslc } from "../helpers/cli.js";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dslc-nesting-"));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const model = (expr: string) => `model M(x: f32[N, 2]) -> f32[N, 2] {\n  return ${expr}\n}\n`;
const nested = (open: string, inner: string, close: string, n: number) => open.repeat(n) + inner + close.repeat(n);
const chain = (term: string, op: string, n: number) => Array.from({ length: n }, () => term).join(` ${op} `);

/** Expression levels below `node` (recursive: the point is that the parser never hands on a deeper tree). */
function depth(node: Node): number {
  const counts = "kind" in node && ["Binary", "Paren", "List", "Call", "Negate", "Pipeline", "Sequence", "Member"].includes(node.kind);
  return Math.max(0, ...children(node).map(depth)) + (counts ? 1 : 0);
}

// The depth each reports: brackets beyond what the parser reads are counted, not parsed, so with those the
// count is a lower bound ("at least").
const TOO_DEEP: [name: string, text: string, levels: string][] = [
  ["1,000 nested parentheses", model(nested("(", "x", ")", 1000)), "at least 1000"],
  ["100,000 nested parentheses", model(nested("(", "x", ")", 100_000)), "at least 100000"],
  ["1,000 nested lists", `let a = ${nested("[", "1", "]", 1000)}\n`, "at least 1000"],
  ["100,000 nested lists", `let a = ${nested("[", "1", "]", 100_000)}\n`, "at least 100000"],
  ["1,000 nested calls", model(nested("dropout(", "x", ")", 1000)), "at least 1000"],
  ["100,000 nested calls with named arguments", model(nested("dense(units: ", "x", ")", 100_000)), "at least 100000"],
  ["a 3,000-term sum", model(chain("x", "+", 3000)), "2999"],
  ["a 100,000-term sum", `let a = ${chain("1", "+", 100_000)}\n`, "99999"],
  ["a chain of 1,000 unary minuses", model(nested("-(", "x", ")", 1000)), "at least 1259"],
  ["a 3,000-term chain of powers", `let a = ${chain("2", "**", 3000)}\n`, "2999"],
  ["a 3,000-term chain of negated powers", `let a = ${chain("-2", "**", 3000)}\n`, "5998"],
  ["1,000 nested pipelines", model(nested("x |> (", "relu", ")", 1000)), "at least 1259"],
  ["a 1,000-deep member access", `let a = b${".c".repeat(1000)}\n`, "1000"],
  ["a parameter default nested 1,000 deep", `block B(x: f32[N, D], k = ${nested("(", "1", ")", 1000)}) {\n  return x\n}\n`, "at least 1000"],
];

describe("too deep", () => {
  for (const [name, text, levels] of TOO_DEEP) {
    it(`${name}: E0004 from \`dslc check\` (exit 1), refused by \`dslc fmt\`, no crash`, async () => {
      const file = path.join(dir, "deep.dl");
      fs.writeFileSync(file, text);
      const check = await dslc("check", file);
      expect(check.code).toBe(1);
      expect(check.stderr).toContain(`error[E0004]: this expression is nested too deeply (${levels} levels; the limit is ${MAX_NESTING})\n --> ${file}:`);
      expect(check.stderr).not.toContain("internal compiler error");
      const fmt = await dslc("fmt", file);
      expect(fmt.code).toBe(1);
      expect(fmt.stderr).toContain("error[E0004]");
      expect(fmt.stderr).toContain("has syntax errors and was not formatted");
    });
  }

  it("hands on a tree no deeper than the limit, the too-deep part replaced by Missing", () => {
    const result = parse(model(nested("(", "x", ")", 100_000)) + `let a = ${chain("1", "+", 5000)}\n`);
    expect(result.diagnostics.map((d) => d.code)).toEqual(["E0004", "E0004"]);
    for (const item of result.file.items) expect(depth(item)).toBe(MAX_NESTING);
    const sum = (result.file.items[1] as A.LetDecl).value;
    let left = sum;
    while (left.kind === "Binary") left = left.left;
    expect(left.kind).toBe("Missing");
  });

  it("says to name parts of a sum, and to split anything else", () => {
    const [sum] = parse(`let a = ${chain("1", "+", 300)}\n`).diagnostics;
    expect(sum!.help).toBe("name parts of the sum as intermediate values, then add up the names");
    const [parens] = parse(`let a = ${nested("(", "1", ")", 300)}\n`).diagnostics;
    expect(parens!.help).toBe("split it into named intermediate values");
  });
});

describe("at the limit", () => {
  it("checks sums, powers and brackets just below it clean", () => {
    for (const text of [
      model(chain("x", "+", MAX_NESTING + 1)),
      `let a = ${chain("1", "+", MAX_NESTING + 1)}\n`,
      `let a = ${chain("2", "**", MAX_NESTING + 1)}\n`,
      model(nested("(", "x", ")", MAX_NESTING)),
      `let a = ${nested("[", "1", "]", MAX_NESTING)}\n`,
    ]) {
      expect(checkText(text).diagnostics.map((d) => `${d.code} ${d.message}`)).toEqual([]);
    }
  });

  it("parses calls nested to the limit, and errors at that depth, without overflowing", () => {
    expect(parse(model(nested("dropout(", "x", ")", MAX_NESTING))).diagnostics).toEqual([]);
    for (const broken of [model("dropout(".repeat(MAX_NESTING + 2)), model(nested("f(", "a b", ")", MAX_NESTING + 2)), `let a = ${"[".repeat(MAX_NESTING + 2)}\n${model("x")}`]) {
      expect(parse(broken).diagnostics.map((d) => d.code)).toContain("E0003");
    }
    // Unclosed calls line after line: recovery drops brackets, so a collapsed group sits higher than its depth.
    expect(parse("let a = f(1, 2\n".repeat(600)).diagnostics.map((d) => d.code)).toEqual(expect.arrayContaining(["E0003", "E0004"]));
  });
});

describe("long and broken files", () => {
  it("reads a 100,000-stage pipeline and a megabyte of blank lines in linear time", () => {
    expect(parse(model("x" + " |> relu".repeat(100_000))).diagnostics).toEqual([]);
    expect(parse("\n".repeat(1 << 20) + "let a = 1\n").file.items).toHaveLength(1);
  });

  it("stops reading after MAX_SYNTAX_ERRORS syntax errors, and says so", () => {
    const result = parse("let ok = 1\n" + "let a = \n".repeat(100_000));
    expect(result.diagnostics).toHaveLength(MAX_SYNTAX_ERRORS + 1);
    expect(result.diagnostics.at(-1)).toMatchObject({ code: "E0003", message: `too many syntax errors: stopped reading after ${MAX_SYNTAX_ERRORS}` });
    expect(result.file.items.map((i) => (i as A.LetDecl).name.name)).toEqual(["ok"]);
  });

  it("survives thousands of consecutive bad lines (a Python file opened as .dl)", () => {
    const python = "def f(x):\n    return x + 1\n\n".repeat(5000);
    expect(parse(python).diagnostics[0]).toMatchObject({ code: "E0003" });
    const body = model("x").replace("  return", "  )\n".repeat(5000) + "  return");
    expect(parse(body).diagnostics[0]).toMatchObject({ code: "E0003" });
    const params = `model M(${Array.from({ length: 5000 }, () => "x y").join(", ")}) -> f32[N, 2] {\n  return x\n}\n`;
    expect(parse(params).diagnostics[0]).toMatchObject({ code: "E0003" });
  });
});
