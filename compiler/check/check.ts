// The checker's entry point: typed input (the parsed file), typed output (diagnostics plus what later phases
// and the language server need: model summaries and the shape of every tensor expression).
import * as path from "node:path";
import type * as A from "../../grammar/ast.js";
import type { Diagnostic } from "../diagnostics/diagnostic.js";
import { diskDataProbe } from "../../runtime/data/probe.js";
import type { ArgValue, ResolvedCall } from "../builtins/types.js";
import { checkNumericLiterals, evaluateConstant } from "./constants.js";
import { createContext, type CheckContext, type DataProbe } from "./context.js";
import { checkModel, type ModelSummary } from "./model.js";
import { checkSearch, type ElaboratedSearch } from "./search.js";
import { overriddenLet, reportUnknownOverrides, type LetOverrides } from "./let-overrides.js";
import type { Shape } from "./shapes.js";
import { checkTrain, type TrainOverrides, type TrainSummary } from "./train.js";

export interface CheckResult {
  diagnostics: Diagnostic[];
  models: Map<string, ModelSummary>;
  train?: TrainSummary;
  shapes: Map<A.Expr | A.Identifier, Shape>;
  /** Values of the top-level `let`s. */
  lets: Map<string, ArgValue>;
  /** Every builtin call as the checker resolved it (arguments by name, defaults filled), for hover. */
  calls: Map<A.Expr, ResolvedCall>;
  /** The file has a `search` block (which `dslc train` does not run). */
  search?: A.SearchDecl;
  /** The `search` block resolved (distributions, stages, settings), when it checked without errors. */
  searchSpace?: ElaboratedSearch;
}

export interface CheckOptions {
  /** Path of the .dl file; data paths are relative to its folder. */
  path: string;
  probe?: DataProbe;
  /** Settings given on the command line that replace the file's. */
  overrides?: TrainOverrides;
}

/** Data files on disk, opened only when a stat says they are regular files within the data-file limit. */
export const diskProbe: DataProbe = diskDataProbe;

export function checkFile(file: A.DlFile, options: CheckOptions): CheckResult {
  const ctx = createContext(options.probe ?? diskProbe, path.dirname(path.resolve(options.path)));
  declareTopLevel(file, ctx, options.overrides?.lets);
  reportUnknownOverrides(options.overrides?.lets, ctx);
  checkNumericLiterals(file, ctx);
  const models = new Map<string, ModelSummary>();
  for (const model of ctx.models.values()) models.set(model.name.name, checkModel(model, ctx));
  for (const block of ctx.blocks.values()) if (!ctx.usedBlocks.has(block.name.name)) checkModel(block, ctx);
  const trains = file.items.filter((i): i is A.TrainDecl => i.kind === "Train");
  const searches = file.items.filter((i): i is A.SearchDecl => i.kind === "Search");
  for (const extra of [...trains.slice(1), ...searches.slice(1)]) {
    const first = extra.kind === "Train" ? trains[0]! : searches[0]!;
    const keyword = extra.kind === "Train" ? "train" : "search";
    ctx.report("E0104", { start: extra.span.start, end: extra.span.start + keyword.length }, `a file has one \`${keyword}\` block, but this is a second one`, {
      label: "second block",
      labels: [{ span: { start: first.span.start, end: first.span.start + keyword.length }, message: "first one here" }],
      help: `merge them, or move the second into its own file`,
    });
  }
  const train = trains[0] ? checkTrain(trains[0], ctx, models, options.overrides) : undefined;
  const searchSpace = searches.map((decl) => checkSearch(decl, ctx, trains.length > 0))[0];
  const lets = new Map([...ctx.lets].map(([name, entry]) => [name, entry.value]));
  return { diagnostics: ctx.diagnostics.items, models, train, shapes: ctx.shapes, lets, calls: ctx.calls, search: searches[0], searchSpace };
}

function declareTopLevel(file: A.DlFile, ctx: CheckContext, overrides?: LetOverrides): void {
  const declared = new Map<string, A.Identifier>();
  for (const item of file.items) {
    if (item.kind === "Train" || item.kind === "Search") continue;
    const name = item.name;
    const previous = declared.get(name.name);
    if (previous) {
      ctx.report("E0104", name.span, `\`${name.name}\` is defined twice`, {
        label: "redefined here",
        labels: [{ span: previous.span, message: "first defined here" }],
        help: "rename one of them",
      });
      continue;
    }
    declared.set(name.name, name);
    if (item.kind === "Let") {
      const value = evaluateConstant(item.value, (n) => (ctx.lets.has(n) ? ctx.lets.get(n)!.value : "unknown-name"));
      if (value === "unknown-name") {
        ctx.report("E0101", item.value.span, "a `let` can only use numbers and `let`s defined above it", { label: "unknown name here", help: "move the `let` it uses above this one, or write the value itself" });
        ctx.lets.set(name.name, { value: undefined, decl: item });
      } else {
        if (value === undefined) {
          ctx.report("E0201", item.value.span, "a `let` must be a constant: a number, string, boolean, duration or list of them", { label: "not a constant", help: "write the value itself, e.g. `let lr = 1e-3`; layers and tensors belong in a model" });
        }
        ctx.lets.set(name.name, { value: overriddenLet(item, value, overrides, ctx), decl: item });
      }
    } else if (item.kind === "Model") ctx.models.set(name.name, item);
    else ctx.blocks.set(name.name, item);
  }
}
