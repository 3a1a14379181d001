// What the checker can know about a data pipeline before anything runs: the feature shape of one example,
// the kind of target, the number of examples, and that the files it names exist and fit the description.
import * as path from "node:path";
import type * as A from "../../grammar/ast.js";
import type { ArgValues, ResolvedCall } from "../builtins/types.js";
import { checkReference, type ArgScope } from "./args.js";
import type { CheckContext } from "./context.js";
import { suggestFix } from "./suggest.js";

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
  for (const stage of stages.slice(1)) {
    const name = stage.kind === "Name" ? stage.name : stage.kind === "Call" ? stage.callee.name : undefined;
    if (!name) {
      ctx.report("E0201", stage.span, "each stage after the data source must be a transform such as `split(val: 0.2)` or `standardize`", { label: "not a transform" });
      continue;
    }
    const resolved = checkReference(stage, "data_transform", ctx, scope, name);
    if (!info || !resolved) continue;
    info.transforms.push(resolved);
    const args = resolved.args;
    if (name === "split") {
      info.validation = num(args, "val", 0.2);
      info.heldOut = info.validation + num(args, "test", 0);
      if (info.heldOut >= 1) {
        ctx.report("E0202", stage.span, `\`split\` holds out ${Math.round(info.heldOut * 100)}% of the examples, leaving none to train on`, {
          label: "nothing left for training",
          help: "keep `val + test` below 1, e.g. `split(val: 0.2, test: 0.1)`",
        });
      }
    }
    if (name === "pca" && typeof args.get("components") === "number") info.features = [args.get("components") as number];
    if (name === "augment" && info.features && info.features.length !== 3) {
      ctx.report("E0302", stage.span, `image augmentations need examples shaped [C, H, W], but these are [${info.features.join(", ")}]`, {
        label: "not images",
        help: "give the source a shape, e.g. `csv(…, shape: [1, 8, 8])`",
      });
    }
  }
  return info;
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
  ctx.report("E0501", expr.span, `data file \`${expr.value}\` does not exist`, {
    label: "not found",
    help: `looked for \`${path.relative(process.cwd(), resolve(ctx, expr.value)) || expr.value}\`; paths are relative to the .dl file's folder`,
  });
  return false;
}

function pathArg(call: A.Call, name: string): A.Expr | undefined {
  return call.args.find((a) => a.name?.name === name)?.value ?? (name === "path" ? call.args.find((a) => !a.name)?.value : undefined);
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
