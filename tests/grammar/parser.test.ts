// One test per construct of docs/language.md (section numbers in the names), asserting the AST it builds.
import { describe, expect, it } from "vitest";
import type * as A from "../../grammar/ast.js";
import { parse } from "../../grammar/parse.js";
import { expressionOf, firstStatement, parseClean, parseExpr } from "../helpers/parse.js";

describe("§1 lexical structure", () => {
  it("skips comments and keeps them for the formatter", () => {
    const file = parseClean("# top\nlet a = 1 # end\n");
    expect(file.items).toHaveLength(1);
    expect(file.comments.map((c) => c.text)).toEqual(["# top", "# end"]);
  });

  it("reads numbers in every notation and folds a leading minus", () => {
    for (const [text, value] of [["3", 3], ["0.9", 0.9], [".5", 0.5], ["1e-3", 1e-3], ["2.5E+4", 2.5e4], ["-2", -2]] as const) {
      const expr = parseExpr(text) as A.NumberLiteral;
      expect(expr.kind).toBe("Number");
      expect(expr.value).toBe(value);
      expect(expr.raw).toBe(text);
    }
  });

  it("reads durations with singular and plural units", () => {
    expect(parseExpr("500 steps")).toMatchObject({ kind: "Number", value: 500, unit: "steps" });
    expect(parseExpr("1 epoch")).toMatchObject({ kind: "Number", value: 1, unit: "epochs" });
  });

  it("reads strings with escapes and booleans", () => {
    expect(parseExpr('"a\\"b"')).toMatchObject({ kind: "String", value: 'a"b' });
    expect(parseExpr("true")).toMatchObject({ kind: "Bool", value: true });
    expect(parseExpr("false")).toMatchObject({ kind: "Bool", value: false });
  });

  it("ends statements at newlines and semicolons", () => {
    const file = parseClean("train {\n  epochs 20; batch 64\n  seed 42\n}\n");
    const body = (file.items[0] as A.TrainDecl).body;
    expect(body.map((s) => (s as A.Setting).name.name)).toEqual(["epochs", "batch", "seed"]);
  });

  it("continues a statement after an operator, comma or open bracket, and before |> or then", () => {
    const file = parseClean("train {\n  data = csv(\"a.csv\",\n    label: \"y\")\n    |> split(val: 0.2)\n  schedule = warmup(10 steps)\n    then cosine()\n  loss = mse() +\n    l2(weights)\n}\n");
    const body = (file.items[0] as A.TrainDecl).body;
    expect(body).toHaveLength(3);
    expect(expressionOf(body[0]!).kind).toBe("Pipeline");
    expect(expressionOf(body[1]!).kind).toBe("Sequence");
    expect(expressionOf(body[2]!).kind).toBe("Binary");
  });

  it("does not read a setting's number and the next line's setting as a duration", () => {
    const file = parseClean("train {\n  steps 500\n  epochs 3\n}\n");
    const body = (file.items[0] as A.TrainDecl).body as A.Setting[];
    expect(body.map((s) => [s.name.name, (s.value as A.NumberLiteral).unit])).toEqual([["steps", undefined], ["epochs", undefined]]);
  });
});

describe("§2 top-level items", () => {
  it("§2.1 let", () => {
    const file = parseClean("let width = 256\n");
    expect(file.items[0]).toMatchObject({ kind: "Let", name: { name: "width" }, value: { kind: "Number", value: 256 } });
  });

  it("§2.2 model with inputs, output type and body", () => {
    const file = parseClean("model M(x: f32[N, 64], y: f16[N, 1, 8, 8]) -> f32[N, 10] {\n  h = x |> relu\n  return h\n}\n");
    const model = file.items[0] as A.ModelDecl;
    expect(model.kind).toBe("Model");
    expect(model.params.map((p) => [p.name.name, p.type!.name.name, p.type!.dims!.length])).toEqual([["x", "f32", 2], ["y", "f16", 4]]);
    expect(model.output!.dims!.map((d) => (d.kind === "Name" ? d.name : (d as A.NumberLiteral).value))).toEqual(["N", 10]);
    expect(model.body.map((s) => s.kind)).toEqual(["Assign", "Return"]);
  });

  it("§2.3 block with configuration parameters and defaults", () => {
    const file = parseClean("block R(x: f32[N, D], width: int = 4, act: activation = relu) {\n  return x |> act\n}\n");
    const block = file.items[0] as A.ModelDecl;
    expect(block.kind).toBe("Block");
    expect(block.params[1]).toMatchObject({ name: { name: "width" }, type: { name: { name: "int" } }, default: { kind: "Number", value: 4 } });
    expect(block.params[2]!.default).toMatchObject({ kind: "Name", name: "relu" });
    expect(block.output).toBeUndefined();
  });

  it("§2.4 train with a model name, settings with and without =, and directives", () => {
    const file = parseClean("train Net {\n  optimizer = adam()\n  epochs 3\n  early_stopping(patience: 2)\n}\n");
    const train = file.items[0] as A.TrainDecl;
    expect(train.model?.name).toBe("Net");
    expect(train.body.map((s) => s.kind)).toEqual(["Assign", "Setting", "Directive"]);
  });

  it("§2.5 search with ranges, stages and settings", () => {
    const file = parseClean("search {\n  lr ~ loguniform(1e-5, 1e-1)\n  stage(trials: 3, epochs: 1)\n  metric val_accuracy\n}\n");
    const search = file.items[0] as A.SearchDecl;
    expect(search.body.map((s) => s.kind)).toEqual(["Sample", "Directive", "Setting"]);
    expect(search.body[0]).toMatchObject({ target: { name: "lr" }, value: { kind: "Call", callee: { name: "loguniform" } } });
  });
});

describe("§3 expressions", () => {
  it("calls with positional and named arguments", () => {
    const expr = parseExpr("dense(256, init: xavier_uniform)") as A.Call;
    expect(expr.callee.name).toBe("dense");
    expect(expr.args.map((a) => [a.name?.name, a.value.kind])).toEqual([[undefined, "Number"], ["init", "Name"]]);
  });

  it("bare names", () => {
    expect(parseExpr("relu")).toMatchObject({ kind: "Name", name: "relu" });
  });

  it("pipes, loosest after then", () => {
    const expr = parseExpr("x + h |> relu |> dense(3)") as A.Pipeline;
    expect(expr.kind).toBe("Pipeline");
    expect(expr.stages.map((s) => s.kind)).toEqual(["Binary", "Name", "Call"]);
  });

  it("arithmetic with precedence and left associativity", () => {
    const expr = parseExpr("a - b - c * d") as A.Binary;
    expect(expr.op).toBe("-");
    expect((expr.left as A.Binary).op).toBe("-");
    expect((expr.right as A.Binary).op).toBe("*");
  });

  it("division, matrix product and negation", () => {
    expect((parseExpr("x / 2") as A.Binary).op).toBe("/");
    expect((parseExpr("x @ w") as A.Binary).op).toBe("@");
    expect(parseExpr("-x")).toMatchObject({ kind: "Negate", operand: { kind: "Name", name: "x" } });
  });

  it("powers bind tighter than products and are right-associative", () => {
    const expr = parseExpr("c * x ** 2 ** 3") as A.Binary;
    expect(expr.op).toBe("*");
    const power = expr.right as A.Binary;
    expect(power.op).toBe("**");
    expect((power.right as A.Binary).op).toBe("**");
  });

  it("lists", () => {
    const expr = parseExpr("[0.9, 0.999]") as A.List;
    expect(expr.items.map((i) => (i as A.NumberLiteral).value)).toEqual([0.9, 0.999]);
    expect(parseExpr("[]")).toMatchObject({ kind: "List", items: [] });
  });

  it("sequences of schedules", () => {
    const expr = parseExpr("warmup(200 steps) then cosine(to: 1e-5) then constant") as A.Sequence;
    expect(expr.kind).toBe("Sequence");
    expect(expr.parts).toHaveLength(3);
  });

  it("grouping keeps parentheses", () => {
    const expr = parseExpr("(x + h) |> relu") as A.Pipeline;
    expect(expr.stages[0]!.kind).toBe("Paren");
  });

  it("member access", () => {
    expect(parseExpr("fc1.weight")).toMatchObject({ kind: "Member", object: { kind: "Name", name: "fc1" }, property: { name: "weight" } });
  });
});

describe("spans", () => {
  it("point at the exact source text of every node", () => {
    const text = "model M(x: f32[N, 2]) -> f32[N, 3] {\n  return x |> dense(3, bias: false)\n}\n";
    const file = parseClean(text);
    const ret = firstStatement(file) as A.Return;
    const pipe = ret.value as A.Pipeline;
    const call = pipe.stages[1] as A.Call;
    expect(text.slice(ret.span.start, ret.span.end)).toBe("return x |> dense(3, bias: false)");
    expect(text.slice(call.span.start, call.span.end)).toBe("dense(3, bias: false)");
    expect(text.slice(call.args[1]!.name!.span.start, call.args[1]!.name!.span.end)).toBe("bias");
    const model = file.items[0] as A.ModelDecl;
    expect(text.slice(model.output!.span.start, model.output!.span.end)).toBe("f32[N, 3]");
  });
});

describe("syntax errors", () => {
  it("reports several errors in one pass and keeps the items it could read", () => {
    const result = parse("model A(x: f32[N, 2] -> f32[N, 2] {\n  return x\n}\nlet ok = 1\ntrain {\n  epochs = \n}\nlet b = )\n");
    expect(result.diagnostics.length).toBeGreaterThanOrEqual(2);
    expect(result.diagnostics.every((d) => d.code === "E0003")).toBe(true);
    expect(result.file.items.some((i) => i.kind === "Let" && i.name.name === "ok")).toBe(true);
  });

  it("names the missing closing bracket", () => {
    const text = "model M(x: f32[N, 2] -> f32[N, 3] {\n  return x |> dense(3)\n}\n";
    const [error] = parse(text).diagnostics;
    expect(error).toMatchObject({ code: "E0003", message: "expected `)`, found `->`" });
    expect(text.slice(error!.span!.start, error!.span!.end)).toBe("->");
    expect(error!.help).toContain("insert `)`");
  });

  it("reports unexpected characters and unterminated strings with their own codes", () => {
    const result = parse('let a = 1 $\nlet s = "open\nlet b = 2\n');
    expect(result.diagnostics.map((d) => d.code)).toEqual(["E0001", "E0002"]);
    expect(result.file.items.map((i) => (i as A.LetDecl).name.name)).toEqual(["a", "s", "b"]);
  });
});

describe("docs/language.md", () => {
  it("every example in it parses without errors", async () => {
    const fs = await import("node:fs");
    const text = fs.readFileSync("docs/language.md", "utf8");
    const blocks = [...text.matchAll(/```\n([\s\S]*?)```/g)].map((m) => m[1]!).filter((b) => !b.includes(" = { ") && !b.startsWith("file "));
    expect(blocks.length).toBeGreaterThanOrEqual(6);
    for (const block of blocks) {
      // Fragments of a train block are wrapped in one so they parse as they would in a file.
      const source = /^(model|block|train|search|let|#)/m.test(block.trim().split("\n")[0]!) ? block : `train {\n${block}}\n`;
      expect(parse(source).diagnostics.map((d) => `${d.message} in:\n${block}`)).toEqual([]);
    }
  });
});
