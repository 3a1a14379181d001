// What `dslc check` accepts but the training backends cannot run yet. Lowering refuses each entry with
// E0601 (an argument only when it is given a value other than its default); docs/language.md marks each
// one, and tests/compiler/registry-coverage.test.ts proves this table and the lowering agree. Keys are a
// builtin's name, or `builtin.argument`; values say what is missing, in the user's words.
export const NOT_YET: Record<string, string> = {
  // Image layers and the other ops of convolutional networks.
  orthogonal: "orthogonal initialization is not implemented in the backends yet",
  // Optimization.
  // Data.
  // Training loop.
};

/** Settings of `train` the backends cannot run yet, with the values that are refused. */
export const SETTINGS_NOT_YET: Record<string, { refused: (value: unknown) => boolean; reason: string }> = {
  precision: { refused: (value) => value !== "f32", reason: "mixed precision is not implemented yet" },
};
