// No silent settings: walks the builtin registry and every setting of `train`. For every argument of every
// builtin it writes the argument by name, positionally, through a `let` and (inside models) through a block
// parameter, and asserts that all spellings lower to the same Program; then it changes the value and asserts
// that the lowered Program changes, or that training refuses it with E0601 naming it. Which constructs are
// refused must be exactly what compiler/lower/support.ts lists (and docs/language.md marks). A builtin or
// argument added to the registry is covered here without editing this file: until the lowering reads it,
// the lowering refuses it, and this test then demands the entry in support.ts.
import { describe, expect, it } from "vitest";
import { compileProgram } from "../../compiler/compile.js";
import { ALL_BUILTINS } from "../../compiler/builtins/registry.js";
import { LOSS_TARGETS } from "../../compiler/builtins/losses.js";
import { TRAIN_SETTINGS } from "../../compiler/builtins/training.js";
import type { ArgType, BuiltinSpec, DefaultValue, ParamSpec } from "../../compiler/builtins/types.js";
import { formatDefault } from "../../compiler/builtins/describe.js";
import { NOT_YET, SETTINGS_NOT_YET } from "../../compiler/lower/support.js";
import { memoryProbe } from "../helpers/parse.js";
import { encodeNpy } from "../../runtime/data/npy.js";

const CSV = "f1,f2,label,y\n" + Array.from({ length: 40 }, (_, i) => `${(i % 7) / 7},${(i % 5) / 5},${i % 3},${(i + 1) % 3}`).join("\n") + "\n";
/** Binary files as an in-memory probe serves them: latin1 text, one character per byte. */
const latin1 = (bytes: Uint8Array) => String.fromCharCode(...bytes);
/** An IDX file of u8 values; [40, 2] makes examples of 2 features, like the CSV's. */
const idx = (dims: number[], values: number[]) => latin1(Uint8Array.from([0, 0, 8, dims.length, ...dims.flatMap((d) => [d >>> 24, (d >>> 16) & 255, (d >>> 8) & 255, d & 255]), ...values]));
const FILES = {
  "a.csv": CSV,
  "b.csv": CSV,
  "x.npy": latin1(encodeNpy(Array.from({ length: 80 }, (_, i) => (i % 7) / 7), [40, 2])),
  "x2.npy": latin1(encodeNpy(Array.from({ length: 80 }, (_, i) => (i % 5) / 5), [40, 2])),
  "y.npy": latin1(encodeNpy(Array.from({ length: 40 }, (_, i) => i % 3), [40], "<i8")),
  "y2.npy": latin1(encodeNpy(Array.from({ length: 40 }, (_, i) => (i + 1) % 3), [40], "<i8")),
  "images.idx": idx([40, 2], Array.from({ length: 80 }, (_, i) => i % 7)),
  "images2.idx": idx([40, 2], Array.from({ length: 80 }, (_, i) => i % 5)),
  "labels.idx": idx([40], Array.from({ length: 40 }, (_, i) => i % 3)),
  "labels2.idx": idx([40], Array.from({ length: 40 }, (_, i) => (i + 1) % 3)),
};

/** What a harness needs to place a call: the call's text, and the lets and blocks to put before the model. */
interface Placement {
  call: string;
  lets: string;
  /** For the block-parameter spelling: the parameter's declaration (`v: float`) and the argument at the use. */
  block?: { param: string; arg: string };
}

/** The file for a call of a builtin of each category, with a model and data that fit it. */
function harness(spec: BuiltinSpec, args: Map<string, string>, place: Placement): string {
  const train = (body: { data?: string; loss?: string; optimizer?: string; schedule?: string; extra?: string }) =>
    `train {\n  data = ${body.data ?? "spirals(n: 300) |> split(val: 0.2)"}\n  loss = ${body.loss ?? "cross_entropy()"}\n  optimizer = ${body.optimizer ?? "sgd(lr: 0.1)"}\n${body.schedule ? `  schedule = ${body.schedule}\n` : ""}  epochs 5\n${body.extra ?? ""}}\n`;
  const model = (input: string, body: string, outputs = 3) => `model M(x: f32[N, ${input}]) -> f32[N, ${outputs}] {\n${body}}\n`;
  const probeBlock = (inner: string, input = "D") =>
    place.block ? `block Probe(x: f32[N, ${input}], ${place.block.param}) {\n  return ${inner}\n}\n` : "";
  const use = (pipeline: string) => (place.block ? `x |> Probe(${place.block.arg})` : pipeline);
  const images = 'csv("a.csv", label: "label", shape: [1, 1, 3])';
  switch (spec.category) {
    case "layer": {
      if (["maxpool", "avgpool"].includes(spec.name)) {
        return `${place.lets}model M(x: f32[N, 16]) -> f32[N, 3] {\n  h = x |> reshape([1, 4, 4]) |> ${place.call}\n  return h |> flatten |> dense(3)\n}\n${train({ data: "blobs(n: 300, features: 16) |> split(val: 0.2)" })}`;
      }
      if (["conv2d", "maxpool", "avgpool", "instancenorm", "repvgg"].includes(spec.name)) {
        return `${place.lets}${probeBlock(`x |> ${place.call}`, "C, H, W")}model M(x: f32[N, 1, 1, 3]) -> f32[N, 3] {\n  h = ${use(`x |> ${place.call}`)}\n  return h |> flatten |> dense(3)\n}\n${train({ data: images })}`;
      }
      return `${place.lets}${probeBlock(`x |> ${place.call}`)}${model("6", `  h = ${use(`x |> ${place.call}`)}\n  return h |> flatten |> dense(3)\n`)}${train({ data: "blobs(n: 300, features: 6) |> split(val: 0.2)" })}`;
    }
    case "init":
      return `${place.lets}${probeBlock(`x |> dense(4, init: ${place.call})`)}${model("2", `  return ${use(`x |> dense(4, init: ${place.call})`)} |> dense(3)\n`)}${train({})}`;
    case "tensor_fn":
      if (spec.name === "param") return `${place.lets}${model("2", `  p = ${place.call}\n  return (x |> dense(4)) + p |> dense(3)\n`)}${train({})}`;
      return `${place.lets}${model("2", `  h = x |> dense(4)\n  s = ${place.call}\n  return s |> softmax |> reshape([-1]) |> dense(3)\n`)}${train({})}`;
    case "loss": {
      const target = LOSS_TARGETS[spec.name];
      if (target === "same_shape") return `${place.lets}${model("1", "  return x |> dense(1)\n", 1)}${train({ data: "sine(n: 300) |> split(val: 0.2)", loss: place.call })}`;
      if (target === "binary") return `${place.lets}${model("2", "  return x |> dense(1)\n", 1)}${train({ data: "xor(n: 40) |> split(val: 0.2)", loss: place.call })}`;
      return `${place.lets}${model("2", "  return x |> dense(3)\n")}${train({ loss: place.call })}`;
    }
    case "regularizer":
      return `${place.lets}${model("2", "  fc = dense(4)\n  return x |> fc |> dense(3)\n")}${train({ loss: `cross_entropy() + 0.1 * ${place.call}` })}`;
    case "optimizer":
      return `${place.lets}${model("2", "  return x |> dense(3)\n")}${train({ optimizer: place.call })}`;
    case "optimizer_modifier":
      return `${place.lets}${model("2", "  return x |> dense(3)\n")}${train({ optimizer: `sgd(lr: 0.1, momentum: 0.9) |> ${place.call}` })}`;
    case "schedule":
      return `${place.lets}${model("2", "  return x |> dense(3)\n")}${train({ schedule: place.call, optimizer: "sgd(lr: 0.1, momentum: 0.9)" })}`;
    case "data_source": {
      const classes = Number(args.get("classes") ?? 3);
      // The model's input follows the source: 1 for sine, `features` for blobs, the CSV's columns or `shape`.
      const width = spec.name === "sine" ? "1" : spec.name === "blobs" ? (args.get("features") ?? "2") : spec.name === "csv" ? (args.get("shape")?.slice(1, -1) ?? "3") : "2";
      const outputs = spec.name === "sine" ? 1 : spec.name === "xor" ? 2 : classes;
      const loss = spec.name === "sine" ? "mse()" : "cross_entropy()";
      return `${place.lets}${model(width, `  return x |> flatten |> dense(${outputs})\n`, outputs)}${train({ data: `${place.call} |> split(val: 0.2)`, loss })}`;
    }
    case "data_transform": {
      if (spec.name === "augment" || spec.name === "standardize" || spec.name === "center") return `${place.lets}model M(x: f32[N, 1, 1, 3]) -> f32[N, 3] {\n  return x |> flatten |> dense(3)\n}\n${train({ data: `${images} |> ${place.call}` })}`;
      const width = spec.name === "pca" ? Number(args.get("components") ?? 2) : 2;
      const split = spec.name === "split" ? "" : " |> split(val: 0.2)";
      return `${place.lets}${model(String(width), "  return x |> dense(3)\n")}${train({ data: `spirals(n: 300)${split} |> ${place.call}` })}`;
    }
    case "augmentation":
      return `${place.lets}model M(x: f32[N, 1, 1, 3]) -> f32[N, 3] {\n  return x |> flatten |> dense(3)\n}\n${train({ data: `${images} |> augment([${place.call}])` })}`;
    case "directive":
      if (spec.name === "stage") return searchHarness(place, `  lr ~ loguniform(0.01, 1)\n  ${place.call}\n`);
      return `${place.lets}${model("2", "  fc = dense(4)\n  return x |> fc |> dense(3)\n")}${train({ extra: `  ${place.call}\n` })}`;
    case "clip":
      return `${place.lets}${model("2", "  return x |> dense(3)\n")}${train({ extra: `  clip = ${place.call}\n` })}`;
    case "ensemble":
      // A snapshot ensemble needs cycles: five of one epoch each.
      return `${place.lets}${model("2", "  return x |> dense(3)\n")}${train({ schedule: "sgdr(t0: 1 epochs)", extra: `  ensemble = ${place.call}\n` })}`;
    case "distribution":
      return searchHarness(place, `  lr ~ ${place.call}\n  trials 2\n  epochs 1\n`);
  }
}

/** A file with a `search` block whose body is given (a distribution or a stage is under test). */
function searchHarness(place: Placement, body: string): string {
  return `let lr = 1\n${place.lets}model M(x: f32[N, 2]) -> f32[N, 3] {\n  return x |> dense(3)\n}\ntrain {\n  data = spirals(n: 300) |> split(val: 0.2)\n  loss = cross_entropy()\n  optimizer = sgd(lr: lr)\n  epochs 5\n}\nsearch {\n${body}}\n`;
}

/** Builtins only usable inside another, refused with it: their E0601 names the enclosing construct. */
const ENCLOSED_BY: Partial<Record<BuiltinSpec["category"], string>> = { augmentation: "augment", distribution: "search" };
const ENCLOSING: Record<string, string> = { stage: "search" };

/** Values required arguments take when another argument is under test, and arguments some tests need. */
const BASE: Record<string, Record<string, string>> = {
  dense: { units: "4" },
  conv2d: { channels: "2", kernel: "1" },
  maxpool: { kernel: "3" },
  avgpool: { kernel: "3" },
  reshape: { shape: "[6]" },
  maxout: { k: "2" },
  groupnorm: { groups: "2" },
  repvgg: { channels: "2" },
  "init:constant": { value: "0.5" },
  sgd: { lr: "0.1" },
  step: { step_size: "2 epochs" },
  multistep: { milestones: "[2, 3]" },
  exponential: { gamma: "0.9" },
  inverse_time: { k: "0.5" },
  inv: { gamma: "0.1", power: "0.75" },
  sgdr: { t0: "1 epochs" },
  cyclic: { base_lr: "0.01", max_lr: "0.1" },
  one_cycle: { max_lr: "0.1" },
  warmup: { duration: "5 steps" },
  csv: { path: '"a.csv"', label: '"label"' },
  npy: { x: '"x.npy"', y: '"y.npy"' },
  idx: { images: '"images.idx"', labels: '"labels.idx"' },
  pca: { components: "2" },
  subset: { n: "100" },
  augment: { with: "[hflip]" },
  max_norm: { value: "3" },
  stage: { trials: "2", epochs: "1" },
  grad_norm: { max: "1" },
  grad_value: { max: "1" },
  independent: { members: "2" },
  loguniform: { lo: "0.01", hi: "1" },
  "distribution:uniform": { lo: "0.01", hi: "1" },
  int_uniform: { lo: "1", hi: "3" },
  choice: { values: "[0.1, 0.2]" },
  group: { on: "biases" },
  param: { shape: "[4]" },
  concat: { tensors: "[h, h]" },
  sum: { x: "h", axis: "1", keepdim: "true" },
  mean: { x: "h", axis: "1", keepdim: "true" },
};

/** BASE's entry for a builtin; names shared by two kinds of builtin are keyed `category:name`. */
function baseOf(spec: BuiltinSpec): Record<string, string> | undefined {
  return BASE[`${spec.category}:${spec.name}`] ?? BASE[spec.name];
}

/** Arguments a value under test needs beside it (Nesterov needs momentum). */
const CONTEXT: Record<string, Record<string, string>> = {
  "sgd.nesterov": { momentum: "0.9" },
  "conv2d.kernel": { padding: "2" },
  // A test set is given as two files or not at all.
  "npy.test_x": { test_y: '"y.npy"' },
  "npy.test_y": { test_x: '"x.npy"' },
  "idx.test_images": { test_labels: '"labels.idx"' },
  "idx.test_labels": { test_images: '"images.idx"' },
  "concat.axis": { tensors: "[h |> reshape([2, 2]), h |> reshape([2, 2])]" },
  "sum.axis": { x: "h |> reshape([2, 2])" },
  "mean.axis": { x: "h |> reshape([2, 2])" },
};

/** Two values for an argument where the generic choice would be invalid or mean the same thing. */
const VALUES: Record<string, [string, string]> = {
  "softmax.axis": ["0", "1"],
  "log_softmax.axis": ["0", "1"],
  "maxout.k": ["2", "3"],
  "maxpool.padding": ["0", "1"],
  "avgpool.padding": ["0", "1"],
  "groupnorm.groups": ["2", "3"],
  "reshape.shape": ["[6]", "[2, 3]"],
  "param.shape": ["[4]", "[1]"],
  "concat.tensors": ["[h, h]", "[h, h, h]"],
  "concat.axis": ["1", "2"],
  "sum.x": ["h", "x"],
  "mean.x": ["h", "x"],
  "sum.axis": ["1", "2"],
  "mean.axis": ["1", "2"],
  "csv.path": ['"a.csv"', '"b.csv"'],
  "csv.label": ['"label"', '"y"'],
  "csv.shape": ["[3]", "[1, 3]"],
  "npy.x": ['"x.npy"', '"x2.npy"'],
  "npy.y": ['"y.npy"', '"y2.npy"'],
  "idx.images": ['"images.idx"', '"images2.idx"'],
  "idx.labels": ['"labels.idx"', '"labels2.idx"'],
  "npy.test_x": ['"x.npy"', '"x2.npy"'],
  "npy.test_y": ['"y.npy"', '"y2.npy"'],
  "idx.test_images": ['"images.idx"', '"images2.idx"'],
  "idx.test_labels": ['"labels.idx"', '"labels2.idx"'],
  "augment.with": ["[hflip]", "[cutout]"],
  "blobs.features": ["3", "4"],
  "spirals.classes": ["4", "5"],
  "blobs.classes": ["4", "5"],
  "pca.components": ["1", "2"],
  "subset.n": ["100", "150"],
  "split.val": ["0.25", "0.3"],
  "split.test": ["0.1", "0.15"],
  "multistep.milestones": ["[1, 2]", "[2, 4]"],
  "early_stopping.monitor": ["val_accuracy", "train_loss"],
  "plateau.monitor": ["val_accuracy", "train_loss"],
  "group.on": ["biases", "weights"],
  "l2.on": ["biases", "fc"],
  "l1.on": ["biases", "fc"],
  "elastic_net.on": ["biases", "fc"],
  "max_norm.on": ["biases", "fc"],
  "distribution:uniform.lo": ["0.02", "0.03"],
  "loguniform.lo": ["0.02", "0.03"],
  "int_uniform.lo": ["0", "2"],
  "int_uniform.hi": ["4", "5"],
  "choice.values": ["[0.1, 0.2]", "[0.3]"],
  "cyclic.base_lr": ["0.02", "0.03"],
  "xor.n": ["40", "80"],
  "spirals.n": ["200", "400"],
  "blobs.n": ["200", "400"],
  "sine.n": ["200", "400"],
  "hflip.p": ["0.3", "0.6"],
  "random_scale.max": ["1.2", "1.5"], // the generic 0.25 and 0.5 fall below min's default 0.9: an E0202
};

/** Source text of a registry default. */
function defaultSource(param: ParamSpec): string | undefined {
  if (param.default === undefined) return undefined;
  return sourceOf(param.default, param.type);
}

function sourceOf(value: DefaultValue, type: ArgType): string {
  if (type.t === "string" && typeof value === "string") return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map((v) => sourceOf(v, type.t === "list" ? type.of : type)).join(", ")}]`;
  return formatDefault(value);
}

/** Two distinct valid values of a type, different from the default. */
function genericValues(param: ParamSpec, spec: BuiltinSpec): [string, string] {
  const type = param.type.t === "either" ? param.type.options[0]! : param.type;
  const fallback = param.default;
  switch (type.t) {
    case "number": {
      const low = type.min ?? 0;
      const candidates = type.integer
        ? [low + 1, low + 2, low + 3]
        : type.max !== undefined
          ? [low + (type.max - low) * 0.25, low + (type.max - low) * 0.4, low + (type.max - low) * 0.6]
          : [low + 0.25, low + 0.5, low + 0.75];
      const [a, b] = candidates.filter((c) => c !== fallback && (type.max === undefined || c < type.max));
      return [String(a), String(b)];
    }
    case "bool":
      return fallback === true ? ["false", "true"] : ["true", "false"];
    case "enum": {
      const others = type.values.filter((v) => v !== fallback);
      return [others[0]!, others[1] ?? String(fallback)];
    }
    case "duration":
      return type.defaultUnit === "steps" ? ["8 steps", "16 steps"] : ["2 epochs", "3 epochs"];
    case "ref": {
      const names = ALL_BUILTINS.filter((b) => b.category === type.category && b.name !== fallback && !b.params.some((p) => p.required) && !NOT_YET[b.name]).map((b) => b.name);
      return [names[0]!, names[1]!];
    }
    case "selector":
      return ["biases", "all"];
    case "metric":
      return ["train_loss", "train_accuracy"];
    case "string":
      return ['"one.txt"', '"two.txt"'];
    case "list":
      return ["[0.8, 0.9]", "[0.85, 0.95]"];
    default:
      throw new Error(`no sample values for ${spec.name}.${param.name}`);
  }
}

/** Types a `let` can hold: constants (not builtins, selections of parameters, or tensors). */
function letable(type: ArgType): boolean {
  if (type.t === "either") return type.options.every(letable);
  if (type.t === "list") return letable(type.of);
  return ["number", "bool", "string", "enum", "metric", "duration"].includes(type.t);
}

/** A value as a `let` writes it: option words become strings. */
function letSource(value: string, type: ArgType): string {
  const words = (t: ArgType): boolean => t.t === "enum" || t.t === "metric" || (t.t === "either" && t.options.some(words)) || (t.t === "list" && words(t.of));
  return words(type) ? value.replace(/(?<!["\w])([A-Za-z_]\w*)(?![\w"])/g, (word) => (/^(true|false)$/.test(word) ? word : `"${word}"`)) : value;
}

/** The block parameter type that can carry a value of this argument type, if any. */
function blockType(type: ArgType): string | undefined {
  switch (type.t) {
    case "number":
      return type.integer ? "int" : "float";
    case "bool":
      return "bool";
    case "enum":
    case "string":
      return "string";
    default:
      return undefined;
  }
}

type Spelling = "named" | "positional" | "let" | "block";

/** The call with `param` set to `value` in a spelling; undefined when that spelling cannot express it. */
function place(spec: BuiltinSpec, param: ParamSpec, value: string, spelling: Spelling): Placement | undefined {
  const base = { ...(baseOf(spec) ?? {}), ...(CONTEXT[`${spec.name}.${param.name}`] ?? {}) };
  delete base[param.name];
  if (param.exclusiveWith) delete base[param.exclusiveWith];
  for (const p of spec.params) if (p.exclusiveWith === param.name) delete base[p.name];
  const named = (v: string) => [...Object.entries(base).map(([k, s]) => `${k}: ${s}`), `${param.name}: ${v}`];
  const tensorArg = spec.category === "tensor_fn" && (param.name === "x" || param.name === "tensors");
  switch (spelling) {
    case "named":
      return { call: `${spec.name}(${named(value).join(", ")})`, lets: "" };
    case "positional": {
      const index = spec.params.indexOf(param);
      const before: string[] = [];
      for (const p of spec.params.slice(0, index)) {
        // Writing an earlier argument out (even at its default) must not change the meaning.
        const text = base[p.name] ?? defaultSource(p);
        if (text === undefined || p.sameAs !== undefined || p.exclusiveWith === param.name || param.exclusiveWith === p.name) return undefined;
        before.push(text);
      }
      const rest = Object.entries(base).filter(([k]) => spec.params.findIndex((p) => p.name === k) > index);
      return { call: `${spec.name}(${[...before, value, ...rest.map(([k, s]) => `${k}: ${s}`)].join(", ")})`, lets: "" };
    }
    case "let":
      if (!letable(param.type) || tensorArg) return undefined;
      return { call: `${spec.name}(${named("probe_value").join(", ")})`, lets: `let probe_value = ${letSource(value, param.type)}\n` };
    case "block": {
      const type = blockType(param.type.t === "either" ? param.type.options[0]! : param.type);
      if (!type || !["layer", "init"].includes(spec.category) || tensorArg) return undefined;
      if (spec.category === "layer" && ["conv2d", "maxpool", "avgpool", "instancenorm", "repvgg"].includes(spec.name)) return undefined;
      const literal = type === "string" && !value.startsWith('"') ? `"${value}"` : value;
      return { call: `${spec.name}(${named("v").join(", ")})`, lets: "", block: { param: `v: ${type}`, arg: `v: ${literal}` } };
    }
  }
}

interface Outcome {
  program?: string;
  refusals: string[];
  errors: string[];
}

function compile(text: string): Outcome {
  const result = compileProgram(text, "/virtual/model.dl", memoryProbe(FILES));
  const errors = result.diagnostics.filter((d) => d.severity === "error" && d.code !== "E0601").map((d) => `${d.code} ${d.message}`);
  const refusals = result.diagnostics.filter((d) => d.code === "E0601").map((d) => d.message).sort();
  // Names (of parameters, nodes) depend on where a layer is written (a block prefixes them); what runs does not.
  // A search block's builtins shape the search (its elaborated space), not the program one trial trains.
  const runs = { program: result.program, search: result.frontend.check.searchSpace };
  // Where an argument is written (spans) is not what runs; a resolved call's arguments are a Map.
  const ignored = new Set(["name", "span", "written"]);
  const program = result.program && JSON.stringify(runs, (key, value: unknown) => (ignored.has(key) ? undefined : value instanceof Map ? Object.fromEntries(value) : value));
  return { program, refusals, errors };
}

function expectRefusalNaming(outcome: Outcome, names: string[], context: string): void {
  expect(outcome.program, `${context}: expected E0601`).toBeUndefined();
  expect(outcome.refusals.some((m) => names.every((n) => m.includes(`\`${n}\``))), `${context}: no E0601 names ${names.join(" of ")}; got ${outcome.refusals.join(" | ")}`).toBe(true);
}

const seenRefusals = new Set<string>();

describe("every argument of every builtin takes effect or is refused by name", () => {
  for (const spec of ALL_BUILTINS) {
    // An augmentation is refused with `augment` only while `augment` itself is refused.
    const enclosedBy = ENCLOSED_BY[spec.category];
    const enclosing = (enclosedBy !== undefined && NOT_YET[enclosedBy] !== undefined ? enclosedBy : undefined) ?? (NOT_YET[ENCLOSING[spec.name] ?? ""] ? ENCLOSING[spec.name] : undefined);
    const whole = enclosing ?? (NOT_YET[spec.name] ? spec.name : undefined);
    it(`${spec.category} ${spec.name}`, () => {
      // The builtin on its own (required arguments only).
      const plainBase = Object.entries(baseOf(spec) ?? {}).map(([k, v]) => `${k}: ${v}`);
      const plain = compile(harness(spec, new Map(Object.entries(baseOf(spec) ?? {})), { call: `${spec.name}(${plainBase.join(", ")})`, lets: "" }));
      expect(plain.errors, `${spec.name} harness`).toEqual([]);
      if (whole) {
        expectRefusalNaming(plain, [whole], spec.name);
        seenRefusals.add(whole);
        return;
      }
      expect(plain.refusals, `${spec.name} with its required arguments`).toEqual([]);
      for (const param of spec.params) {
        const [a, b] = (VALUES[`${spec.category}:${spec.name}.${param.name}`] ?? VALUES[`${spec.name}.${param.name}`]) ?? genericValues(param, spec);
        const outcomes = (value: string) => {
          const results = new Map<Spelling, Outcome>();
          for (const spelling of ["named", "positional", "let", "block"] as Spelling[]) {
            const placement = place(spec, param, value, spelling);
            if (!placement) continue;
            const args = new Map(Object.entries({ ...(baseOf(spec) ?? {}), ...(CONTEXT[`${spec.name}.${param.name}`] ?? {}), [param.name]: value }));
            const outcome = compile(harness(spec, args, placement));
            expect(outcome.errors, `${spec.name}.${param.name} = ${value} (${spelling})`).toEqual([]);
            results.set(spelling, outcome);
          }
          return results;
        };
        const first = outcomes(a);
        const second = outcomes(b);
        const named = first.get("named")!;
        for (const [spelling, outcome] of first) {
          expect(outcome.program, `${spec.name}.${param.name}: ${spelling} differs from named`).toEqual(named.program);
          expect(outcome.refusals, `${spec.name}.${param.name}: ${spelling} refusals`).toEqual(named.refusals);
        }
        const context = `${spec.name}.${param.name} = ${a} vs ${b}`;
        if (NOT_YET[`${spec.name}.${param.name}`]) {
          // Refused when it departs from its default; one of the two values may be the default itself.
          const departing = [first, second].filter((o) => o.get("named")!.program === undefined);
          expect(departing.length, `${context}: expected a refusal`).toBeGreaterThan(0);
          for (const outcome of departing) expectRefusalNaming(outcome.get("named")!, [param.name, spec.name], context);
          seenRefusals.add(`${spec.name}.${param.name}`);
          continue;
        }
        expect(named.refusals, `${context}: refused, but support.ts does not list it`).toEqual([]);
        expect(second.get("named")!.refusals, `${context}: refused, but support.ts does not list it`).toEqual([]);
        expect(named.program, `${context}: no program`).toBeDefined();
        expect(second.get("named")!.program, `${context}: changing the value does not change the lowered program`).not.toEqual(named.program);
      }
    });
  }
});

describe("every setting of `train` takes effect or is refused by name", () => {
  const SETTING_VALUES: Record<string, [string, string]> = {
    epochs: ["3", "4"],
    steps: ["30", "45"],
    batch: ["16", "full"],
    seed: ["1", "2"],
    eval_every: ["2 epochs", "5 steps"],
    log_every: ["10 steps", "1 epochs"],
    shuffle: ["false", "true"],
    drop_last: ["true", "false"],
    clip: ["grad_norm(max: 1)", "grad_value(max: 0.5)"],
    ensemble: ["independent(members: 2)", "independent(members: 3)"],
    monitor: ["[train_loss]", "[train_loss, lr]"],
    compat: ["caffe", "keras"],
    precision: ["mixed", "f32"],
  };
  const file = (setting: string, text: string, viaLet: boolean) => {
    const spec = TRAIN_SETTINGS.find((s) => s.name === setting)!;
    const value = text;
    const letValue = letSource(text, spec.type as ArgType);
    const body = ["data", "loss", "optimizer", "schedule", "epochs", "steps"].includes(setting) ? "" : `  ${setting} ${viaLet ? "probe_value" : value}\n`;
    const epochs = setting === "epochs" ? `  epochs ${viaLet ? "probe_value" : value}\n` : setting === "steps" ? `  steps ${viaLet ? "probe_value" : value}\n` : "  epochs 5\n";
    return `${viaLet ? `let probe_value = ${letValue}\n` : ""}model M(x: f32[N, 2]) -> f32[N, 3] {\n  return x |> dense(3)\n}\ntrain {\n  data = spirals(n: 300) |> split(val: 0.2)\n  loss = cross_entropy()\n  optimizer = sgd(lr: 0.1)\n${epochs}${body}}\n`;
  };
  for (const setting of TRAIN_SETTINGS) {
    if (typeof setting.type === "string") continue;
    it(setting.name, () => {
      const values = SETTING_VALUES[setting.name];
      expect(values, `no sample values for the setting ${setting.name}: add them here`).toBeDefined();
      const [a, b] = values!;
      const first = compile(file(setting.name, a, false));
      const second = compile(file(setting.name, b, false));
      expect(first.errors).toEqual([]);
      expect(second.errors).toEqual([]);
      const canLet = letable(setting.type as ArgType);
      if (canLet) expect(compile(file(setting.name, a, true))).toEqual(first);
      const rule = SETTINGS_NOT_YET[setting.name];
      if (rule) {
        for (const outcome of [first, second].filter((o) => o.program === undefined)) expectRefusalNaming(outcome, [setting.name], setting.name);
        expect([first, second].some((o) => o.program === undefined), `${setting.name}: expected a refusal`).toBe(true);
        return;
      }
      expect(first.program).toBeDefined();
      expect(second.program, `${setting.name}: changing its value does not change the lowered program`).not.toEqual(first.program);
    });
  }
});

describe("support.ts lists exactly what is refused", () => {
  it("every entry was refused above", () => {
    const builtinEntries = Object.keys(NOT_YET).filter((k) => ALL_BUILTINS.some((b) => b.name === k.split(".")[0]));
    for (const entry of builtinEntries) expect(seenRefusals, `support.ts lists ${entry}, but nothing refused it`).toContain(entry);
  });
});
