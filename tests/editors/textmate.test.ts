// The VS Code extension's TextMate grammar, tokenized with the engine VS Code uses (vscode-textmate with the
// Oniguruma regex library), on lines of the samples: every token's scope asserted for a few lines.
import * as fs from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import * as oniguruma from "vscode-oniguruma";
import * as textmate from "vscode-textmate";
import { textMateGrammar } from "../../scripts/vscode-grammar.js";

const GRAMMAR_FILE = "editors/vscode/syntaxes/dl.tmLanguage.json";
let grammar: textmate.IGrammar;

beforeAll(async () => {
  const wasm = fs.readFileSync("node_modules/vscode-oniguruma/release/onig.wasm");
  await oniguruma.loadWASM(wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength));
  const registry = new textmate.Registry({
    onigLib: Promise.resolve({ createOnigScanner: (p: string[]) => new oniguruma.OnigScanner(p), createOnigString: (s: string) => new oniguruma.OnigString(s) }),
    loadGrammar: async () => textmate.parseRawGrammar(fs.readFileSync(GRAMMAR_FILE, "utf8"), GRAMMAR_FILE),
  });
  grammar = (await registry.loadGrammar("source.dl"))!;
});

/** [text, innermost scope] for each non-blank token of a line. */
function tokens(line: string): [string, string][] {
  const result = grammar.tokenizeLine(line, textmate.INITIAL);
  return result.tokens
    .map((t): [string, string] => [line.slice(t.startIndex, t.endIndex).trim(), t.scopes[t.scopes.length - 1]!])
    .filter(([text]) => text.trim() !== "");
}

function sampleLine(file: string, startsWith: string): string {
  const line = fs.readFileSync(`samples/${file}`, "utf8").split("\n").find((l) => l.trimStart().startsWith(startsWith));
  if (!line) throw new Error(`no line starting with ${startsWith} in ${file}`);
  return line;
}

describe("TextMate grammar", () => {
  it("is generated from the builtin registry (run `npm run build:vscode`)", () => {
    expect(JSON.parse(fs.readFileSync(GRAMMAR_FILE, "utf8"))).toEqual(textMateGrammar());
  });

  it("scopes a model header", () => {
    expect(tokens(sampleLine("digits_mlp.dl", "model"))).toEqual([
      ["model", "storage.type.dl"],
      ["DigitsMLP", "entity.name.type.dl"],
      ["(", "source.dl"],
      ["x", "variable.parameter.dl"],
      [":", "punctuation.separator.dl"],
      ["f32", "support.type.dtype.dl"],
      ["[N,", "source.dl"],
      ["64", "constant.numeric.dl"],
      ["])", "source.dl"],
      ["->", "keyword.operator.arrow.dl"],
      ["f32", "support.type.dtype.dl"],
      ["[N,", "source.dl"],
      ["10", "constant.numeric.dl"],
      ["] {", "source.dl"],
    ]);
  });

  it("scopes a pipeline of layers with named arguments", () => {
    expect(tokens("  return h |> dense(10, init: xavier_uniform) |> dropout(0.2) # out")).toEqual([
      ["return", "keyword.control.dl"],
      ["h", "source.dl"],
      ["|>", "keyword.operator.pipe.dl"],
      ["dense", "support.function.builtin.dl"],
      ["(", "source.dl"],
      ["10", "constant.numeric.dl"],
      [",", "source.dl"],
      ["init", "variable.parameter.dl"],
      [":", "punctuation.separator.dl"],
      ["xavier_uniform", "support.function.builtin.dl"],
      [")", "source.dl"],
      ["|>", "keyword.operator.pipe.dl"],
      ["dropout", "support.function.builtin.dl"],
      ["(", "source.dl"],
      ["0.2", "constant.numeric.dl"],
      [")", "source.dl"],
      ["# out", "comment.line.number-sign.dl"],
    ]);
  });

  it("scopes strings, durations, schedules and settings from the samples", () => {
    expect(tokens(sampleLine("digits_mlp.dl", "data ="))).toEqual(
      expect.arrayContaining([
        ["csv", "support.function.builtin.dl"],
        ['"', "string.quoted.double.dl"],
        ["data/digits.csv", "string.quoted.double.dl"],
        ["label", "variable.parameter.dl"],
        ["standardize", "support.function.builtin.dl"],
      ]),
    );
    expect(tokens(sampleLine("digits_mlp.dl", "schedule ="))).toEqual([
      ["schedule", "source.dl"],
      ["=", "keyword.operator.assignment.dl"],
      ["warmup", "support.function.builtin.dl"],
      ["(", "source.dl"],
      ["100", "constant.numeric.dl"],
      ["steps", "keyword.other.unit.dl"],
      [")", "source.dl"],
      ["then", "keyword.control.dl"],
      ["cosine", "support.function.builtin.dl"],
      ["(", "source.dl"],
      ["to", "variable.parameter.dl"],
      [":", "punctuation.separator.dl"],
      ["1e-5", "constant.numeric.dl"],
      [")", "source.dl"],
    ]);
    expect(tokens(sampleLine("search.dl", "lr ~"))).toEqual([
      ["lr", "source.dl"],
      ["~", "keyword.operator.assignment.dl"],
      ["loguniform", "support.function.builtin.dl"],
      ["(", "source.dl"],
      ["1e-5", "constant.numeric.dl"],
      [",", "source.dl"],
      ["1e-1", "constant.numeric.dl"],
      [")", "source.dl"],
    ]);
  });

  it("scopes a comment line and a block with a user call", () => {
    expect(tokens(sampleLine("spirals.dl", "# Three"))).toEqual([[sampleLine("spirals.dl", "# Three"), "comment.line.number-sign.dl"]]);
    expect(tokens(sampleLine("spirals.dl", "block"))).toEqual(
      expect.arrayContaining([
        ["block", "storage.type.dl"],
        ["Residual", "entity.name.type.dl"],
        ["activation", "support.type.dl"],
        ["relu", "support.function.builtin.dl"],
      ]),
    );
    expect(tokens("  h2 = h |> Residual(act: leaky_relu)")).toEqual(expect.arrayContaining([["Residual", "entity.name.function.dl"]]));
  });
});
