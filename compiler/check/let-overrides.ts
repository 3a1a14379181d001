// `--set name=value` and a search trial's sampled values replace a top-level `let`'s own value before
// anything uses it, so what a trial trains is exactly what `dslc check` and hover show for those values.
import type * as A from "../../grammar/ast.js";
import type { ArgValue } from "../builtins/types.js";
import type { CheckContext } from "./context.js";
import { didYouMean } from "./suggest.js";

export type LetOverrides = Record<string, number | string | boolean>;

function kindOf(value: ArgValue): string {
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a duration";
  return `a ${typeof value === "boolean" ? "boolean" : typeof value}`;
}

function shown(value: number | string | boolean): string {
  return typeof value === "string" ? JSON.stringify(value) : String(value);
}

/** The value the `let` takes: the override when one is given and of the default's kind, else its own (E0801 otherwise). */
export function overriddenLet(item: A.LetDecl, own: ArgValue, overrides: LetOverrides | undefined, ctx: CheckContext): ArgValue {
  if (!overrides || !Object.hasOwn(overrides, item.name.name) || own === undefined) return own;
  const value = overrides[item.name.name]!;
  if (kindOf(own) !== kindOf(value)) {
    ctx.report("E0801", item.value.span, `\`--set ${item.name.name}=${shown(value)}\` gives ${kindOf(value)}, but \`let ${item.name.name}\` is ${kindOf(own)}`, {
      label: `the \`let\`'s own value is ${kindOf(own)}`,
      help: `give a value of the same kind, e.g. \`--set ${item.name.name}=${typeof own === "object" ? "…" : shown(own as number | string | boolean)}\``,
    });
    return own;
  }
  return value;
}

/** E0801 for overrides that name no top-level `let` of the file. */
export function reportUnknownOverrides(overrides: LetOverrides | undefined, ctx: CheckContext): void {
  if (!overrides) return;
  for (const name of Object.keys(overrides)) {
    if (ctx.lets.has(name)) continue;
    const hint = didYouMean(name, ctx.lets.keys());
    const known = [...ctx.lets.keys()].map((n) => `\`${n}\``).join(", ");
    ctx.report("E0801", undefined, `\`--set ${name}=…\` names no top-level \`let\` of this file`, {
      help: hint ?? (known ? `the file's \`let\`s are ${known}` : `declare it in the file first, e.g. \`let ${name} = …\``),
    });
  }
}
