// Generates the VS Code extension's TextMate grammar (editors/vscode/syntaxes/dl.tmLanguage.json) from the
// builtin registry, so highlighting knows exactly the builtins the compiler knows: `npm run build:vscode`.
// A test checks that the committed file is up to date.
import * as fs from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { ALL_BUILTINS } from "../compiler/builtins/registry.js";
import { DTYPES } from "../compiler/check/tensor-types.js";

function alternation(words: Iterable<string>): string {
  return [...new Set(words)].sort((a, b) => b.length - a.length || a.localeCompare(b)).join("|");
}

export function textMateGrammar(): object {
  const builtins = alternation(ALL_BUILTINS.flatMap((s) => [s.name, ...(s.aliases ?? [])]));
  return {
    $schema: "https://raw.githubusercontent.com/martinring/tmlanguage/master/tmlanguage.json",
    name: "dslc",
    scopeName: "source.dl",
    fileTypes: ["dl"],
    patterns: [
      { include: "#comment" },
      { include: "#declaration" },
      { include: "#keyword" },
      { include: "#string" },
      { include: "#number" },
      { include: "#type" },
      { include: "#argument-name" },
      { include: "#builtin" },
      { include: "#call" },
      { include: "#operator" },
      { include: "#constant" },
    ],
    repository: {
      comment: { name: "comment.line.number-sign.dl", match: "#.*$" },
      declaration: {
        match: "\\b(model|block)\\s+([A-Za-z_][A-Za-z0-9_]*)",
        captures: { "1": { name: "storage.type.dl" }, "2": { name: "entity.name.type.dl" } },
      },
      keyword: {
        patterns: [
          { name: "storage.type.dl", match: "\\b(model|block|train|search|let)\\b" },
          { name: "keyword.control.dl", match: "\\b(return|then)\\b" },
        ],
      },
      string: {
        name: "string.quoted.double.dl",
        begin: '"',
        end: '"|$',
        patterns: [{ name: "constant.character.escape.dl", match: "\\\\." }],
      },
      number: {
        match: "(?<![A-Za-z0-9_])((?:\\d+(?:\\.\\d*)?|\\.\\d+)(?:[eE][+-]?\\d+)?)(?:\\s+(steps?|epochs?)\\b)?",
        captures: { "1": { name: "constant.numeric.dl" }, "2": { name: "keyword.other.unit.dl" } },
      },
      type: {
        match: `\\b(${alternation(DTYPES)})(?=\\[)|\\b(int|float|bool|string|activation|layer)\\b(?=\\s*[,)=])`,
        captures: { "1": { name: "support.type.dtype.dl" }, "2": { name: "support.type.dl" } },
      },
      "argument-name": {
        match: "\\b([A-Za-z_][A-Za-z0-9_]*)\\s*(:)",
        captures: { "1": { name: "variable.parameter.dl" }, "2": { name: "punctuation.separator.dl" } },
      },
      builtin: { name: "support.function.builtin.dl", match: `\\b(${builtins})\\b` },
      call: { name: "entity.name.function.dl", match: "\\b[A-Za-z_][A-Za-z0-9_]*(?=\\s*\\()" },
      operator: {
        patterns: [
          { name: "keyword.operator.pipe.dl", match: "\\|>" },
          { name: "keyword.operator.arrow.dl", match: "->" },
          { name: "keyword.operator.arithmetic.dl", match: "\\*\\*|[-+*/@]" },
          { name: "keyword.operator.assignment.dl", match: "[=~]" },
        ],
      },
      constant: {
        patterns: [
          { name: "constant.language.boolean.dl", match: "\\b(true|false)\\b" },
          { name: "constant.language.dl", match: "\\b(pi|e|weights|biases|norms|all|full)\\b" },
        ],
      },
    },
  };
}

const here = path.dirname(fileURLToPath(import.meta.url));
export const GRAMMAR_PATH = path.resolve(here, "../../editors/vscode/syntaxes/dl.tmLanguage.json");

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  fs.writeFileSync(GRAMMAR_PATH, JSON.stringify(textMateGrammar(), null, 2) + "\n");
  console.log(`wrote ${GRAMMAR_PATH}`);
}
