// Checking a `search` block: each `name ~ distribution` must name a top-level `let` (its default value) and
// have a sensible range; stages and settings are checked like any other settings.
import type * as A from "../../grammar/ast.js";
import { SEARCH_SETTINGS } from "../builtins/training.js";
import type { ArgValue, ResolvedCall } from "../builtins/types.js";
import { checkReference, checkValue, defaultValue, type ArgScope } from "./args.js";
import type { CheckContext } from "./context.js";
import { suggestFix } from "./suggest.js";
import { collectSettings } from "./train.js";

/** A hyperparameter to sample: the `let` it replaces and its distribution as the checker resolved it. */
export interface SearchParam {
  name: string;
  distribution: ResolvedCall;
}

export interface SearchStage {
  trials: number;
  epochs: number;
  narrow: number;
}

/** A `search` block as `dslc search` consumes it; present only when every part of it could be resolved. */
export interface ElaboratedSearch {
  params: SearchParam[];
  /** The `stage(…)` lines in order, or one stage of `trials` × `epochs` without them. */
  stages: SearchStage[];
  metric: string;
  mode: "min" | "max";
  seed: number;
}

export function checkSearch(decl: A.SearchDecl, ctx: CheckContext, hasTrain: boolean): ElaboratedSearch | undefined {
  const errorsBefore = ctx.diagnostics.items.filter((d) => d.severity === "error").length;
  const values = new Map<string, ArgValue>();
  const params: SearchParam[] = [];
  const scope: ArgScope = {
    lookup: (name) => (ctx.lets.has(name) ? ctx.lets.get(name)!.value : "unknown-name"),
    layerNames: new Set(),
    visibleNames: () => ctx.lets.keys(),
  };
  const { settings, directives } = collectSettings(decl.body, SEARCH_SETTINGS, ctx, scope, "search", true);
  for (const [name, setting] of settings) {
    const spec = SEARCH_SETTINGS.find((s) => s.name === name)!;
    if (typeof spec.type === "object") values.set(name, checkValue(setting.value, spec.type, ctx, scope, `\`${name}\``));
  }
  const seen = new Map<string, A.Identifier>();
  for (const statement of decl.body) {
    if (statement.kind !== "Sample") continue;
    const target = statement.target;
    if (!ctx.lets.has(target.name)) {
      const fix = suggestFix(target.name, ctx.lets.keys(), target.span);
      ctx.report("E0407", target.span, `\`${target.name}\` is not a top-level \`let\``, {
        label: "nothing to search over",
        fixes: fix.fixes,
        help: fix.help ?? `declare it with a default, e.g. \`let ${target.name} = …\`, and use it in the model or \`train\``,
      });
    }
    const previous = seen.get(target.name);
    if (previous) {
      ctx.report("E0104", target.span, `\`${target.name}\` has two search ranges`, { label: "second range", labels: [{ span: previous.span, message: "first range" }], help: "keep one of the two ranges" });
    }
    seen.set(target.name, target);
    const checked = checkReference(statement.value, "distribution", ctx, scope, "a search range");
    if (!checked) continue;
    const lo = checked.args.get("lo");
    const hi = checked.args.get("hi");
    if (typeof lo === "number" && typeof hi === "number" && lo >= hi) {
      ctx.report("E0202", statement.value.span, `the range is empty: lo (${lo}) must be below hi (${hi})`, { label: "empty range", help: "swap the bounds" });
    }
    params.push({ name: target.name, distribution: checked });
  }
  const hasStages = directives.some((d) => d.resolved?.builtin === "stage");
  if (!hasStages && (!settings.has("trials") || !settings.has("epochs"))) {
    ctx.report("E0403", { start: decl.span.start, end: decl.span.start + 6 }, "this `search` block says neither `trials` and `epochs` nor any `stage(…)`", {
      label: "how many runs?",
      help: "add `trials 20` and `epochs 5`, or stages such as `stage(trials: 20, epochs: 2)`",
    });
  }
  if (!hasTrain) {
    ctx.report("E0403", { start: decl.span.start, end: decl.span.start + 6 }, "a `search` needs a `train` block to run its trials", { label: "nothing to train", help: "add `train { … }`" });
  }
  if (ctx.diagnostics.items.filter((d) => d.severity === "error").length > errorsBefore) return undefined;
  const setting = (name: string) => values.get(name) ?? defaultValue(SEARCH_SETTINGS.find((s) => s.name === name)!.default!, { t: "number" });
  const stages = directives.flatMap((d) => (d.resolved?.builtin === "stage" ? [{ trials: d.resolved.args.get("trials") as number, epochs: d.resolved.args.get("epochs") as number, narrow: d.resolved.args.get("narrow") as number }] : []));
  if (stages.length === 0) stages.push({ trials: values.get("trials") as number, epochs: values.get("epochs") as number, narrow: 1 });
  return { params, stages, metric: String(setting("metric")), mode: setting("mode") === "min" ? "min" : "max", seed: Number(setting("seed")) };
}
