// What the checker can know about a data pipeline before anything runs: the feature shape of one example,
// the kind of target, the number of examples, and that the files it names exist and fit the description.
import * as path from "node:path";
import type * as A from "../../grammar/ast.js";
import { isResolvedCall, type ArgValues, type ResolvedCall } from "../builtins/types.js";
import { checkReference, type ArgScope } from "./args.js";
import type { CheckContext } from "./context.js";
import { suggestFix } from "./suggest.js";
import { DataError } from "../../runtime/data/errors.js";
import { gunzipIfNeeded, idxExampleShape, idxValues, parseIdxHeader } from "../../runtime/data/idx.js";
import { npyValues, parseNpyHeader } from "../../runtime/data/npy.js";

export type Target = { kind: "classes"; count?: number } | { kind: "regression"; width: number } | { kind: "unknown" };

export interface DataInfo {
  /** Shape of one example's features (no batch axis), when known. */
  features?: number[];
  target: Target;
  /** Examples before splitting. */
  examples?: number;
  /** Share held out for validation and test. */
  heldOut: number;
  /** Share held out for validation alone. */
  validation: number;
  /** Examples of a test set given as files of their own (then `split` must not hold out a test share). */
  testExamples?: number;
  span: A.Span;
  /** The pipeline as elaborated: the source and each transform, resolved. */
  source: ResolvedCall;
  transforms: ResolvedCall[];
}

function num(args: ArgValues, name: string, fallback: number): number {
  const value = args.get(name);
  return typeof value === "number" ? value : fallback;
}

/** Checks `data = source |> transform |> …` and returns what it yields. */
export function checkData(expr: A.Expr, ctx: CheckContext, scope: ArgScope): DataInfo | undefined {
  const stages = expr.kind === "Pipeline" ? expr.stages : [expr];
  const source = stages[0]!;
  const info = checkSource(source, ctx, scope);
  const augments: A.Expr[] = [];
  for (const stage of stages.slice(1)) {
    const name = stage.kind === "Name" ? stage.name : stage.kind === "Call" ? stage.callee.name : undefined;
    if (!name) {
      ctx.report("E0201", stage.span, "each stage after the data source must be a transform such as `split(val: 0.2)` or `standardize`", { label: "not a transform" });
      continue;
    }
    const resolved = checkReference(stage, "data_transform", ctx, scope, name);
    if (resolved?.builtin === "augment") checkAugmentations(resolved, ctx);
    if (!info || !resolved) continue;
    info.transforms.push(resolved);
    const args = resolved.args;
    if (name === "split") {
      info.validation = num(args, "val", 0.2);
      info.heldOut = info.validation + num(args, "test", 0);
      if (info.testExamples !== undefined && num(args, "test", 0) > 0) {
        ctx.report("E0202", stage.span, "`split` holds out a test share, but the source already names test files", {
          label: "a second test set",
          help: "remove `test:` from `split`; the test files are the test split",
        });
      }
      if (info.heldOut >= 1) {
        ctx.report("E0202", stage.span, `\`split\` holds out ${Math.round(info.heldOut * 100)}% of the examples, leaving none to train on`, {
          label: "nothing left for training",
          help: "keep `val + test` below 1, e.g. `split(val: 0.2, test: 0.1)`",
        });
      }
    }
    if ((name === "standardize" || name === "center") && args.get("per") === "channel" && info.features && info.features.length !== 3) {
      ctx.report("E0302", stage.span, `per-channel statistics need examples shaped [C, H, W], but these are [${info.features.join(", ")}]`, {
        label: "not images",
        help: "give the source a shape, e.g. `csv(…, shape: [1, 8, 8])`, or use `per: feature`",
      });
    }
    if (name === "pca" && typeof args.get("components") === "number") {
      const components = args.get("components") as number;
      const size = info.features?.reduce((p, d) => p * d, 1);
      if (size !== undefined && components > size) {
        ctx.report("E0302", stage.span, `\`pca\` keeps ${components} components, but the examples have only ${size} features`, { label: "too many components", help: `keep at most ${size}` });
      }
      info.features = [components];
    }
    if (name === "augment") augments.push(stage);
  }
  // Augmentation runs on training batches after every fitted transform, so it sees the pipeline's final shape.
  for (const stage of augments) {
    if (info?.features && info.features.length !== 3) {
      ctx.report("E0302", stage.span, `image augmentations need examples shaped [C, H, W], but ${info.features.length === 1 && info.transforms.some((t) => t.builtin === "pca") ? "after `pca` " : ""}these are [${info.features.join(", ")}]`, {
        label: "not images",
        help: "give the source a shape, e.g. `csv(…, shape: [1, 8, 8])`; augmentations apply after every fitted transform, so they cannot follow `pca`",
      });
    }
  }
  return info;
}

/** What one argument's range cannot say: `random_scale` draws its factor from [min, max], so min must not exceed max. */
function checkAugmentations(augment: ResolvedCall, ctx: CheckContext): void {
  const list = augment.args.get("with");
  for (const call of (Array.isArray(list) ? list : []).filter(isResolvedCall)) {
    if (call.builtin !== "random_scale") continue;
    const [min, max] = [call.args.get("min"), call.args.get("max")];
    if (typeof min !== "number" || typeof max !== "number" || min <= max) continue;
    // At the argument written; where only one is written, the other holds its default, which the help names.
    const at = call.written.has("min") ? "min" : "max";
    const other = at === "min" ? "max" : "min";
    const defaulted = call.written.has(other) ? "" : ` (\`${other}\` defaults to ${call.args.get(other)})`;
    ctx.report("E0202", call.written.get(at) ?? call.span, `\`random_scale\` draws its factor from [min, max], but min (${min}) exceeds max (${max})`, {
      label: "min above max",
      help: call.written.has("min") && call.written.has("max") ? `swap them: min must not exceed max, e.g. \`random_scale(min: ${max}, max: ${min})\`` : `min must not exceed max${defaulted}: write both, e.g. \`random_scale(min: ${Math.min(min, max)}, max: ${Math.max(min, max)})\``,
    });
  }
}

function checkSource(expr: A.Expr, ctx: CheckContext, scope: ArgScope): DataInfo | undefined {
  if (expr.kind !== "Call" && expr.kind !== "Name") {
    ctx.report("E0201", expr.span, "`data` must start with a data source such as `csv(\"file.csv\", label: \"label\")` or `spirals()`", { label: "not a data source" });
    return undefined;
  }
  const source = checkReference(expr, "data_source", ctx, scope, "data source");
  if (!source) return undefined;
  const args = source.args;
  const base = { heldOut: 0, validation: 0, span: expr.span, source, transforms: [] };
  switch (source.builtin) {
    case "sine":
      return { ...base, features: [1], target: { kind: "regression", width: 1 }, examples: num(args, "n", 2000) };
    case "xor":
      return { ...base, features: [2], target: { kind: "classes", count: 2 }, examples: num(args, "n", 4) };
    case "spirals":
      return { ...base, features: [2], target: { kind: "classes", count: num(args, "classes", 3) }, examples: num(args, "n", 300) };
    case "blobs":
      return { ...base, features: [num(args, "features", 2)], target: { kind: "classes", count: num(args, "classes", 3) }, examples: num(args, "n", 500) };
    case "csv":
      return expr.kind === "Call" ? probeCsv(expr, args, ctx, base) : undefined;
    case "idx":
    case "npy":
      return expr.kind === "Call" ? probeBinary(source.builtin, expr, args, ctx, base) : undefined;
    default:
      if (expr.kind === "Call") for (const arg of expr.args) probeExists(arg.value, ctx);
      return { ...base, target: { kind: "unknown" } };
  }
}

function resolve(ctx: CheckContext, file: string): string {
  return path.resolve(ctx.baseDir, file);
}

function probeExists(expr: A.Expr, ctx: CheckContext): boolean {
  if (expr.kind !== "String") return true;
  if (ctx.probe.exists(resolve(ctx, expr.value))) return true;
  // Debian installs data sets under /usr/share/datasets/<name>/ from the package dataset-<name>.
  const installed = /^\/usr\/share\/datasets\/([^/]+)\//.exec(resolve(ctx, expr.value))?.[1];
  ctx.report("E0501", expr.span, `data file \`${expr.value}\` does not exist`, {
    label: "not found",
    help: installed
      ? `this folder is filled by Debian's package \`dataset-${installed}\`: install it with \`apt install dataset-${installed}\``
      : `looked for \`${path.relative(process.cwd(), resolve(ctx, expr.value)) || expr.value}\`; paths are relative to the .dl file's folder`,
  });
  return false;
}

/** Where an argument was written: by name, or at its position among the unnamed ones. */
function pathArg(call: A.Call, name: string, position = name === "path" ? 0 : -1): A.Expr | undefined {
  return call.args.find((a) => a.name?.name === name)?.value ?? (position >= 0 ? call.args.filter((a) => !a.name)[position]?.value : undefined);
}

/** A binary file's bytes (the first `maxBytes` of them), from the probe or, for in-memory probes, its latin1 text. */
function bytesOf(ctx: CheckContext, file: string, maxBytes?: number): Uint8Array | undefined {
  if (ctx.probe.readBytes) return ctx.probe.readBytes(file, maxBytes);
  const text = ctx.probe.readText(file);
  return text === undefined ? undefined : Uint8Array.from(text.slice(0, maxBytes), (c) => c.charCodeAt(0) & 0xff);
}

/** Header bytes read from a features file: an NPY header is at most 64 KiB; a gzipped IDX header decompresses from far less. */
const HEADER_BYTES = 65536 + 16;

/**
 * Reads the headers of an IDX or NPY source (the images or features file only at its beginning) and the
 * whole labels file: one example's shape, the example count, and the classes (max label + 1) or the
 * regression width, the way runtime/data/sources.ts will load them.
 */
function probeBinary(kind: "idx" | "npy", call: A.Call, args: ArgValues, ctx: CheckContext, base: Omit<DataInfo, "features" | "target" | "examples">): DataInfo | undefined {
  const [xName, yName, testX, testY] = kind === "idx" ? ["images", "labels", "test_images", "test_labels"] : ["x", "y", "test_x", "test_y"];
  const train = probePair(kind, call, args, ctx, xName, yName, [0, 1]);
  if (!train) return undefined;
  const hasTestX = typeof args.get(testX) === "string";
  if (hasTestX !== (typeof args.get(testY) === "string")) {
    const [given, missing] = hasTestX ? [testX, testY] : [testY, testX];
    ctx.report("E0201", call.span, `\`${kind}\` has \`${given}\` but no \`${missing}\``, { label: "incomplete test set", help: `give both \`${testX}\` and \`${testY}\`, or neither` });
    return undefined;
  }
  if (!hasTestX) return { ...base, ...train };
  const test = probePair(kind, call, args, ctx, testX, testY, [3, 4]);
  if (!test) return undefined;
  const testExpr = pathArg(call, testX, 3)!;
  if (test.features.join(",") !== train.features.join(",")) {
    ctx.report("E0502", testExpr.span, `test examples are [${test.features.join(", ")}] but training examples are [${train.features.join(", ")}]`, { label: "another shape", help: "the test files must hold the same kind of examples as the training files" });
    return undefined;
  }
  if (train.target.kind === "classes" && test.target.kind === "classes" && (test.target.count ?? 0) > (train.target.count ?? 0)) {
    ctx.report("E0502", pathArg(call, testY, 4)!.span, `the test labels go up to class ${(test.target.count ?? 1) - 1}, but the training labels only to ${(train.target.count ?? 1) - 1}`, { label: "unseen class", help: "the test set must use the training set's classes" });
    return undefined;
  }
  return { ...base, ...train, testExamples: test.examples };
}

/** Probes one features file and its labels file (named by `xName` and `yName`; positions for unnamed arguments). */
function probePair(kind: "idx" | "npy", call: A.Call, args: ArgValues, ctx: CheckContext, xName: string, yName: string, positions: [number, number]): { features: number[]; target: Target; examples: number } | undefined {
  const xFile = args.get(xName);
  const yFile = args.get(yName);
  const xExpr = pathArg(call, xName, positions[0]);
  const yExpr = pathArg(call, yName, positions[1]);
  if (typeof xFile !== "string" || typeof yFile !== "string" || !xExpr || !yExpr) return undefined;
  const xExists = probeExists(xExpr, ctx);
  if (!probeExists(yExpr, ctx) || !xExists) return undefined;
  const read = (file: string, expr: A.Expr, whole: boolean): { shape: number[]; values?: Float32Array } | undefined => {
    try {
      const bytes = bytesOf(ctx, resolve(ctx, file), whole ? undefined : HEADER_BYTES) ?? new Uint8Array();
      if (kind === "npy") {
        const header = parseNpyHeader(bytes, file);
        return { shape: header.shape, values: whole ? npyValues(bytes, header, file) : undefined };
      }
      const content = gunzipIfNeeded(bytes, file, !whole);
      const header = parseIdxHeader(content, file);
      return { shape: header.dims, values: whole ? idxValues(content, header, file) : undefined };
    } catch (error) {
      if (!(error instanceof DataError)) throw error;
      ctx.report("E0502", expr.span, error.message, { label: "cannot use this file", help: kind === "idx" ? "an IDX file starts with two zero bytes, a type code and the number of dimensions (MNIST's format)" : "write it with numpy.save" });
      return undefined;
    }
  };
  const x = read(xFile, xExpr, false);
  const y = read(yFile, yExpr, true);
  if (!x || !y) return undefined;
  const examples = x.shape[0] ?? 1;
  if (x.shape.length < (kind === "idx" ? 2 : 1)) {
    ctx.report("E0502", xExpr.span, `\`${xFile}\` holds ${x.shape.length === 0 ? "a single number" : "a vector"}, not examples`, { label: "cannot use this file", help: "the first axis counts the examples" });
    return undefined;
  }
  if (y.shape[0] !== examples) {
    ctx.report("E0502", yExpr.span, `\`${xFile}\` has ${examples} examples but \`${yFile}\` has ${y.shape[0] ?? 1} labels`, { label: "wrong number of labels", help: "the two files must describe the same examples, in the same order" });
    return undefined;
  }
  const perExample = x.shape.slice(1);
  const features = kind === "idx" ? idxExampleShape(x.shape) : perExample.length === 0 ? [1] : perExample;
  // One integer label per example is a class index (PyTorch's convention); anything else is a regression target.
  const labels = y.values!;
  const width = y.shape.slice(1).reduce((p, d) => p * d, 1);
  let classes = width === 1 && labels.length > 0;
  let max = 0;
  for (let i = 0; i < labels.length && classes; i++) {
    const label = labels[i]!;
    if (!Number.isInteger(label) || label < 0) classes = false;
    else if (label > max) max = label;
  }
  const target: Target = classes ? { kind: "classes", count: max + 1 } : { kind: "regression", width };
  return { features, target, examples };
}

/** Reads the header and label column of a CSV: feature count, class count, example count. */
function probeCsv(call: A.Call, args: ArgValues, ctx: CheckContext, base: Omit<DataInfo, "features" | "target" | "examples">): DataInfo | undefined {
  const file = args.get("path");
  const label = args.get("label");
  const pathExpr = pathArg(call, "path");
  if (typeof file !== "string" || !pathExpr || !probeExists(pathExpr, ctx)) return undefined;
  const text = ctx.probe.readText(resolve(ctx, file)) ?? "";
  const lines = text.split(/\r?\n/).filter((line) => line.trim() !== "");
  const unusable = (message: string, help?: string) => {
    ctx.report("E0502", pathExpr.span, message, { label: "cannot use this file", help });
    return undefined;
  };
  if (lines.length < 2) return unusable(`\`${file}\` has no data rows`, "a CSV needs a header line and at least one row");
  const header = lines[0]!.split(",").map((h) => h.trim());
  if (typeof label !== "string") return undefined;
  const labelIndex = header.indexOf(label);
  if (labelIndex < 0) {
    const labelExpr = call.args.find((a) => a.name?.name === "label")?.value ?? pathExpr;
    // The fix keeps the quotes: replace the string's contents only.
    const fix = suggestFix(label, header, { start: labelExpr.span.start + 1, end: labelExpr.span.end - 1 });
    ctx.report("E0502", labelExpr.span, `\`${file}\` has no column named \`${label}\``, {
      label: "no such column",
      fixes: fix.fixes,
      help: fix.help ?? `its columns are ${header.slice(0, 8).map((h) => `\`${h}\``).join(", ")}${header.length > 8 ? ", …" : ""}`,
    });
    return undefined;
  }
  const classes = new Set<string>();
  for (let i = 1; i < lines.length; i++) {
    const cells = lines[i]!.split(",");
    if (cells.length !== header.length) return unusable(`row ${i + 1} of \`${file}\` has ${cells.length} values, but the header has ${header.length}`, "every row needs one value per column");
    classes.add(cells[labelIndex]!.trim());
  }
  const features = header.length - 1;
  const shape = args.get("shape");
  let featureShape = [features];
  if (Array.isArray(shape) && shape.every((d): d is number => typeof d === "number")) {
    const size = shape.reduce((p, d) => p * d, 1);
    if (size !== features) {
      ctx.report("E0307", call.span, `shape [${shape.join(", ")}] holds ${size} values, but \`${file}\` has ${features} features per row`, { label: "wrong shape" });
    } else featureShape = shape;
  }
  // Integer labels are class indices (0..C-1, as PyTorch expects); other numbers are regression targets;
  // words are class names, numbered in order of appearance.
  const values = [...classes];
  const target: Target = values.every((c) => /^\d+$/.test(c))
    ? { kind: "classes", count: Math.max(...values.map(Number)) + 1 }
    : values.every((c) => c !== "" && Number.isFinite(Number(c)))
      ? { kind: "regression", width: 1 }
      : { kind: "classes", count: values.length };
  return { ...base, features: featureShape, target, examples: lines.length - 1 };
}
