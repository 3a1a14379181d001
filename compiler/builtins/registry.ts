// One index over every builtin. A name may mean different things in different places (`uniform` is an
// initializer and a search distribution; `linear` is a layer alias and a schedule), so lookups name a category.
import { INITIALIZERS } from "./init.js";
import { LAYERS } from "./layers.js";
import { LOSSES, REGULARIZERS } from "./losses.js";
import { OPTIMIZERS, OPTIMIZER_MODIFIERS } from "./optimizers.js";
import { SCHEDULES } from "./schedules.js";
import { AUGMENTATIONS, DATA_SOURCES, DATA_TRANSFORMS } from "./data.js";
import { CLIPPING, DIRECTIVES, DISTRIBUTIONS, ENSEMBLES } from "./training.js";
import { TENSOR_FUNCTIONS } from "./tensor-functions.js";
import type { BuiltinSpec, Category } from "./types.js";

export const ALL_BUILTINS: BuiltinSpec[] = [
  ...LAYERS,
  ...TENSOR_FUNCTIONS,
  ...LOSSES,
  ...REGULARIZERS,
  ...INITIALIZERS,
  ...OPTIMIZERS,
  ...OPTIMIZER_MODIFIERS,
  ...SCHEDULES,
  ...DATA_SOURCES,
  ...DATA_TRANSFORMS,
  ...AUGMENTATIONS,
  ...DIRECTIVES,
  ...CLIPPING,
  ...ENSEMBLES,
  ...DISTRIBUTIONS,
];

const byName = new Map<string, BuiltinSpec[]>();
for (const spec of ALL_BUILTINS) {
  for (const name of [spec.name, ...(spec.aliases ?? [])]) {
    const list = byName.get(name) ?? [];
    list.push(spec);
    byName.set(name, list);
  }
}

/** The builtin `name` in one of `categories`, if any. */
export function lookupBuiltin(name: string, categories: readonly Category[]): BuiltinSpec | undefined {
  return byName.get(name)?.find((spec) => categories.includes(spec.category));
}

/** Every category the name belongs to, for "`relu` is a layer, not an optimizer" messages. */
export function categoriesOf(name: string): Category[] {
  return (byName.get(name) ?? []).map((spec) => spec.category);
}

export function namesIn(categories: readonly Category[]): string[] {
  return ALL_BUILTINS.filter((spec) => categories.includes(spec.category)).flatMap((spec) => [spec.name, ...(spec.aliases ?? [])]);
}
