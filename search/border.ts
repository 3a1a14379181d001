// The notes' warning for random search: a best value in the outer 10% of its range (on the log scale for
// loguniform) suggests the optimum lies beyond it, where the search never looked (W0801).
import type { TrialResult } from "./plan.js";
import { describeRange, formatValue, fraction, position, type SearchSpace } from "./space.js";

export interface BorderWarning {
  code: "W0801";
  param: string;
  message: string;
  help: string;
}

const EDGE = 0.1;

export function borderWarnings(space: SearchSpace, best: TrialResult | undefined): BorderWarning[] {
  if (!best) return [];
  const warnings: BorderWarning[] = [];
  for (const { name, range } of space.dimensions) {
    if (range.kind === "choice") continue;
    const value = best.params[name];
    if (typeof value !== "number") continue;
    const at = fraction(range, value);
    // An integer range of a few values has no "outer 10%" inside its ends: only the ends themselves count.
    const low = range.kind === "int_uniform" ? value === range.lo : at < EDGE;
    const high = range.kind === "int_uniform" ? value === range.hi : at > 1 - EDGE;
    if (!low && !high) continue;
    const scale = range.kind === "loguniform" ? " (log scale)" : "";
    const side = low ? "lowest" : "highest";
    const span = position(range.kind, range.hi) - position(range.kind, range.lo);
    // Widened by half the range on that side, on its own scale.
    const widen = (p: number) => (range.kind === "loguniform" ? Math.exp(p) : range.kind === "int_uniform" ? Math.round(p) : p);
    const lo = low ? widen(position(range.kind, range.lo) - span / 2) : range.lo;
    const hi = high ? widen(position(range.kind, range.hi) + span / 2) : range.hi;
    const suggested = range.kind === "loguniform" ? { kind: range.kind, lo: lo > 0 ? lo : range.lo / 10, hi } : { kind: range.kind, lo, hi };
    warnings.push({
      code: "W0801",
      param: name,
      message: `the best \`${name}\` (${formatValue(value)}) lies in the ${side} 10% of its range ${describeRange(range)}${scale}`,
      help: `the optimum may lie outside the range: widen the range ${low ? "below" : "above"} ${formatValue(low ? range.lo : range.hi)}, e.g. \`${name} ~ ${describeRange(suggested)}\``,
    });
  }
  return warnings;
}
