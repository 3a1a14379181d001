// The language server as an editor sees it: open a sample, break it, see the diagnostic, fix it, see it
// cleared; hover, completion, definition, references, symbols, formatting, rename and code actions.
import * as fs from "node:fs";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CodeAction, CompletionItem, Diagnostic, DocumentSymbol, Hover, Location, TextEdit, WorkspaceEdit } from "vscode-languageserver-protocol";
import { LspClient } from "../helpers/lsp-client.js";

const samplePath = path.resolve("samples/digits_mlp.dl");
const uri = pathToFileURL(samplePath).href;
const sample = fs.readFileSync(samplePath, "utf8");

function positionOf(text: string, needle: string, delta = 0, occurrence = 0): { line: number; character: number } {
  let index = -1;
  for (let i = 0; i <= occurrence; i++) index = text.indexOf(needle, index + 1);
  if (index < 0) throw new Error(`${needle} not in text`);
  const offset = index + delta;
  const before = text.slice(0, offset);
  return { line: before.split("\n").length - 1, character: offset - before.lastIndexOf("\n") - 1 };
}

let client: LspClient;
beforeAll(async () => {
  client = new LspClient();
  await client.initialize(0);
});
afterAll(async () => client.stop());

describe("diagnostics", () => {
  it("publishes none for a clean sample, then the right code and range when broken, then clears", async () => {
    await client.open(uri, sample);
    expect(await client.diagnostics(uri, () => true, 1)).toEqual([]);

    // Break it: `dense(10)` → `dens(10)` with an incremental edit.
    const at = positionOf(sample, "dense(10)", 4);
    await client.change(uri, 2, [{ range: { start: at, end: { line: at.line, character: at.character + 1 } }, text: "" }]);
    const broken = await client.diagnostics(uri, (d) => d.length > 0, 2);
    expect(broken).toHaveLength(1);
    expect(broken[0]).toMatchObject({
      code: "E0102",
      severity: 1,
      source: "dslc",
      range: { start: positionOf(sample, "dense(10)"), end: { line: at.line, character: at.character } },
    });
    expect(broken[0]!.message).toContain("unknown layer or tensor function `dens`\nhelp: did you mean `dense`?");

    // Fix it again.
    await client.change(uri, 3, [{ range: { start: at, end: at }, text: "e" }]);
    expect(await client.diagnostics(uri, () => true, 3)).toEqual([]);
  });

  it("publishes what `dslc train` would refuse (a lowering error), as `dslc check` does", async () => {
    const doc = "file:///virtual/snapshot.dl";
    const text = "model M(x: f32[N, 2]) -> f32[N, 3] {\n  return x |> dense(3)\n}\ntrain {\n  data = spirals(classes: 3) |> split(val: 0.2)\n  loss = cross_entropy()\n  optimizer = sgd(lr: 0.1)\n  ensemble = snapshot()\n  epochs 5\n}\n";
    await client.open(doc, text);
    const diagnostics = await client.diagnostics(doc, (d) => d.length > 0);
    expect(diagnostics.map((d) => d.code)).toEqual(["E0810"]);
    expect(diagnostics[0]!.range.start).toEqual(positionOf(text, "ensemble = snapshot()"));
  });

  it("reports a semantic error in one model while another has a syntax error", async () => {
    const doc = "file:///virtual/two.dl";
    await client.open(doc, "model A(x: f32[N, 2]) -> f32[N, 2] {\n  return x |> dense(2\n}\n\nmodel B(x: f32[N, 2]) -> f32[N, 2] {\n  return x |> dropout(3)\n}\n");
    const diagnostics = await client.diagnostics(doc, (d) => d.length >= 2);
    expect(diagnostics.map((d) => d.code)).toEqual(["E0003", "E0202"]);
  });

  it("gives secondary labels as related information", async () => {
    const doc = "file:///virtual/labels.dl";
    await client.open(doc, "model M(x: f32[N, 4]) -> f32[N, 8] {\n  h = x |> dense(8)\n  return h + x\n}\n");
    const [d] = await client.diagnostics(doc, (list) => list.length > 0);
    expect(d!.relatedInformation!.map((r) => [r.message, r.location.range.start])).toEqual([
      ["this is f32[N, 8]", { line: 2, character: 9 }],
      ["this is f32[N, 4]", { line: 2, character: 13 }],
    ]);
  });

  it("clears diagnostics when a document closes", async () => {
    const doc = "file:///virtual/closing.dl";
    await client.open(doc, "let a = \n");
    await client.diagnostics(doc, (d) => d.length > 0);
    await client.close(doc);
    expect(await client.diagnostics(doc, (d) => d.length === 0)).toEqual([]);
  });
});

describe("hover", () => {
  it("shows the shape of a value", async () => {
    await client.open(uri, sample, 10);
    const result = await client.request<Hover>("textDocument/hover", { textDocument: { uri }, position: positionOf(sample, "return h", 7) });
    expect((result.contents as { value: string }).value).toContain("h: f32[N, 128]");
  });

  it("shows the output shape and the documentation of a layer", async () => {
    const result = await client.request<Hover>("textDocument/hover", { textDocument: { uri }, position: positionOf(sample, "dense(256", 2) });
    const text = (result.contents as { value: string }).value;
    expect(text).toContain("dense(…) → f32[N, 256]");
    expect(text).toContain("dense(units, bias = true, init = pytorch_default");
  });

  it("shows an optimizer's signature with its defaults", async () => {
    const result = await client.request<Hover>("textDocument/hover", { textDocument: { uri }, position: positionOf(sample, "adam(", 1) });
    expect((result.contents as { value: string }).value).toContain("adam(lr = 0.001, betas = [0.9, 0.999], eps = 1e-8");
  });

  it("shows a call as training runs it: positional arguments named, `let`s substituted, defaults filled", async () => {
    const doc = "file:///virtual/resolved.dl";
    const text = "let m = 0.9\nmodel M(x: f32[N, 2]) -> f32[N, 3] {\n  return x |> dense(3, init: normal(0, 0.1))\n}\ntrain {\n  data = spirals()\n  loss = cross_entropy()\n  optimizer = sgd(0.1, m)\n  epochs 3\n}\n";
    await client.open(doc, text);
    const hoverAt = async (needle: string) => ((await client.request<Hover>("textDocument/hover", { textDocument: { uri: doc }, position: positionOf(text, needle, 1) })).contents as { value: string }).value;
    expect(await hoverAt("sgd(")).toContain("runs as `sgd(lr: 0.1, momentum: 0.9, dampening: 0, nesterov: false, weight_decay: 0)`");
    expect(await hoverAt("normal(")).toContain("runs as `normal(mean: 0, std: 0.1)`");
    expect(await hoverAt("dense(")).toContain("runs as `dense(units: 3, bias: true, init: normal(mean: 0, std: 0.1), bias_init: pytorch_default(), weight_norm: false, dropconnect: 0)`");
  });
});

describe("completion", () => {
  const doc = "file:///virtual/complete.dl";
  const labels = async (text: string, needle: string, delta: number) => {
    await client.open(doc, text);
    const items = await client.request<CompletionItem[]>("textDocument/completion", { textDocument: { uri: doc }, position: positionOf(text, needle, delta) });
    return items.map((i) => i.label);
  };

  it("offers layers after |> in a model", async () => {
    const got = await labels("model M(x: f32[N, 2]) {\n  h = x |> \n}\n", "|> ", 3);
    expect(got).toEqual(expect.arrayContaining(["dense", "relu", "batchnorm", "conv2d"]));
    expect(got).not.toContain("adam");
  });

  it("offers optimizers after optimizer = and schedules after then", async () => {
    expect(await labels("train {\n  optimizer = \n}\n", "= ", 2)).toEqual(expect.arrayContaining(["sgd", "adam", "adamw", "rmsprop"]));
    expect(await labels("train {\n  schedule = warmup(10 steps) then \n}\n", "then ", 5)).toEqual(expect.arrayContaining(["cosine", "step", "sgdr"]));
  });

  it("offers named arguments inside a call, without those already given", async () => {
    const got = await labels("train {\n  optimizer = sgd(lr: 0.1, )\n}\n", ", )", 2);
    expect(got).toEqual(expect.arrayContaining(["momentum:", "nesterov:", "weight_decay:"]));
    expect(got).not.toContain("lr:");
  });

  it("offers initializers for init:", async () => {
    expect(await labels("model M(x: f32[N, 2]) {\n  return x |> dense(3, init: )\n}\n", "init: ", 6)).toEqual(expect.arrayContaining(["xavier_uniform", "kaiming_normal", "orthogonal"]));
  });

  it("offers settings at the start of a train line, and names in scope in a model", async () => {
    expect(await labels("train {\n  \n}\n", "{\n  ", 4)).toEqual(expect.arrayContaining(["epochs", "batch", "optimizer", "early_stopping"]));
    expect(await labels("let width = 3\nmodel M(x: f32[N, 2]) {\n  hidden = x |> relu\n  return \n}\n", "return ", 7)).toEqual(expect.arrayContaining(["hidden", "x", "width"]));
  });

  it("offers snippets for the blocks of a file at the top level", async () => {
    expect(await labels("\n", "\n", 0)).toEqual(expect.arrayContaining(["model", "block", "train", "search", "let"]));
  });
});

describe("navigation", () => {
  const doc = "file:///virtual/nav.dl";
  const text = "let width = 8\n\nblock Twice(x: f32[N, D]) -> f32[N, D] {\n  return x |> dense(D) |> dense(D)\n}\n\nmodel M(x: f32[N, 2]) -> f32[N, 8] {\n  h = x |> dense(width) |> Twice\n  return h |> Twice\n}\n";

  it("goes to the definition of a value, a block and a let", async () => {
    await client.open(doc, text);
    const go = (needle: string, delta: number, occurrence = 0) => client.request<Location[]>("textDocument/definition", { textDocument: { uri: doc }, position: positionOf(text, needle, delta, occurrence) });
    expect((await go("h |> Twice", 0))[0]!.range.start).toEqual(positionOf(text, "h = x"));
    expect((await go("Twice\n  return", 1))[0]!.range.start).toEqual(positionOf(text, "Twice(x"));
    expect((await go("dense(width)", 7))[0]!.range.start).toEqual(positionOf(text, "width = 8"));
  });

  it("finds every reference of a block", async () => {
    const refs = await client.request<Location[]>("textDocument/references", { textDocument: { uri: doc }, position: positionOf(text, "Twice(x", 1), context: { includeDeclaration: true } });
    expect(refs.map((r) => r.range.start)).toEqual([positionOf(text, "Twice(x"), positionOf(text, "Twice\n  return"), positionOf(text, "Twice\n}")]);
  });

  it("renames a value everywhere it is used, and refuses keywords", async () => {
    const edit = await client.request<WorkspaceEdit>("textDocument/rename", { textDocument: { uri: doc }, position: positionOf(text, "h = x"), newName: "hidden" });
    expect(edit.changes![doc]!.map((e) => [e.range.start, e.newText])).toEqual([
      [positionOf(text, "h = x"), "hidden"],
      [positionOf(text, "h |> Twice"), "hidden"],
    ]);
    await expect(client.request("textDocument/rename", { textDocument: { uri: doc }, position: positionOf(text, "h = x"), newName: "model" })).rejects.toThrow("is not a valid name");
  });

  it("outlines the file", async () => {
    const symbols = await client.request<DocumentSymbol[]>("textDocument/documentSymbol", { textDocument: { uri: doc } });
    expect(symbols.map((s) => s.name)).toEqual(["width", "Twice", "M"]);
    expect(symbols[2]!.children!.map((c) => [c.name, c.detail])).toEqual([["h", "f32[N, 8]"]]);
  });
});

describe("formatting and code actions", () => {
  it("formats through the same formatter as dslc fmt", async () => {
    const doc = "file:///virtual/fmt.dl";
    await client.open(doc, "model M(x:f32[N,2])->f32[N,2]{\nreturn x|>relu # keep\n}\n");
    const edits = await client.request<TextEdit[]>("textDocument/formatting", { textDocument: { uri: doc }, options: { tabSize: 2, insertSpaces: true } });
    expect(edits).toHaveLength(1);
    expect(edits[0]!.newText).toBe("model M(x: f32[N, 2]) -> f32[N, 2] {\n  return x |> relu # keep\n}\n");
  });

  it("offers the did-you-mean replacement and the missing flatten as quick fixes", async () => {
    const doc = "file:///virtual/fix.dl";
    const text = "model M(x: f32[N, 1, 4, 4]) -> f32[N, 3] {\n  return x |> conv2d(2, kernel: 3) |> dense(3) |> rellu\n}\n";
    await client.open(doc, text);
    const diagnostics = await client.diagnostics(doc, (d) => d.length >= 1);
    const actions = await client.request<CodeAction[]>("textDocument/codeAction", {
      textDocument: { uri: doc },
      range: { start: { line: 1, character: 0 }, end: { line: 1, character: 60 } },
      context: { diagnostics },
    });
    const titles = actions.map((a) => a.title);
    expect(titles).toContain("Replace with `relu`");
    const rename = actions.find((a) => a.title === "Replace with `relu`")!;
    expect(rename.edit!.changes![doc]).toEqual([{ range: { start: positionOf(text, "rellu"), end: positionOf(text, "rellu", 5) }, newText: "relu" }]);
    // With `rellu` fixed, the shape error comes to light and offers `flatten`.
    const fixed = text.replace("rellu", "relu");
    await client.open(doc, fixed, 2);
    const shapeErrors = await client.diagnostics(doc, (d) => d.some((x) => x.code === "E0302"), 2);
    const flatten = await client.request<CodeAction[]>("textDocument/codeAction", { textDocument: { uri: doc }, range: shapeErrors[0]!.range, context: { diagnostics: shapeErrors as Diagnostic[] } });
    expect(flatten.map((a) => a.title)).toEqual(["Insert `flatten` before `dense`"]);
    expect(flatten[0]!.edit!.changes![doc]).toEqual([{ range: { start: positionOf(fixed, "dense(3)"), end: positionOf(fixed, "dense(3)") }, newText: "flatten |> " }]);
  });
});

describe("robustness: the server outlives its own failures", () => {
  /** Resolves once `check` holds, polling; the server's logs and diagnostics arrive asynchronously. */
  const until = async (check: () => boolean, what: string) => {
    for (const deadline = Date.now() + 10_000; !check(); await new Promise((resolve) => setTimeout(resolve, 20))) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    }
  };

  it("answers a request whose handler throws with a JSON-RPC error, logs it, and answers the next one", async () => {
    // Malformed params (no textDocument) make the hover handler throw naturally.
    await expect(client.request("textDocument/hover", {})).rejects.toMatchObject({ code: -32603, message: expect.stringContaining("dslc: textDocument/hover failed: ") });
    await until(() => client.logs.some((l) => l.startsWith("textDocument/hover failed: ")), "the failure in the log");
    const logged = client.logs.find((l) => l.startsWith("textDocument/hover failed: "))!;
    expect(logged.split("\n")[0]).toMatch(/^textDocument\/hover failed: Cannot read properties of undefined/);
    expect(logged).toContain("    at "); // the stack, in the log only
    await client.open(uri, sample, 20);
    const result = await client.request<Hover>("textDocument/hover", { textDocument: { uri }, position: positionOf(sample, "return h", 7) });
    expect((result.contents as { value: string }).value).toContain("h: f32[N, 128]");
  });

  it("reports a file nested 100,000 deep instead of overflowing, and keeps serving", async () => {
    const doc = "file:///virtual/deep.dl";
    const text = `let deep = ${"(".repeat(100_000)}1${")".repeat(100_000)}\nlet fine = 2\n`;
    await client.open(doc, text);
    const [d] = await client.diagnostics(doc, (list) => list.length > 0);
    expect(d).toMatchObject({ code: "E0004", range: { start: { line: 0, character: 11 } } });
    const symbols = await client.request<DocumentSymbol[]>("textDocument/documentSymbol", { textDocument: { uri: doc } });
    expect(symbols.map((s) => s.name)).toEqual(["deep", "fine"]);
  });

  it("survives a debounced check that throws: logs it, publishes nothing for that version, keeps serving", async () => {
    // No input is known to make the front end throw, so the server is asked to inject the fault.
    const faulty = new LspClient();
    try {
      await faulty.initialize(0, { testFaults: ["check"] });
      const doc = "file:///virtual/fault.dl";
      await faulty.open(doc, "let a = \n");
      await until(() => faulty.logs.some((l) => l.startsWith(`checking ${doc} (version 1) failed: fault injected`)), "the failed check in the log");
      await expect(faulty.diagnostics(doc, () => true, 1, 200)).rejects.toThrow("no matching diagnostics");
      // Requests still run the front end themselves, and the server still answers them.
      await faulty.open(uri, sample);
      const result = await faulty.request<Hover>("textDocument/hover", { textDocument: { uri }, position: positionOf(sample, "return h", 7) });
      expect((result.contents as { value: string }).value).toContain("h: f32[N, 128]");
    } finally {
      await faulty.stop();
    }
  });
});
