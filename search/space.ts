// The search space: each hyperparameter's distribution as the checker resolved it, how a uniform draw
// becomes a value, and how a later stage narrows a range around the best trials. Numeric ranges are kept
// in "position" space (the log of the value for loguniform), where sampling is uniform and narrowing and
// the border warning are measured.
import type { ElaboratedSearch } from "../compiler/check/search.js";

export type ParamValue = number | string;

export type Range =
  | { kind: "loguniform" | "uniform" | "int_uniform"; lo: number; hi: number }
  | { kind: "choice"; values: ParamValue[] };

export interface Dimension {
  name: string;
  /** The range written in the file; narrowed ranges stay inside it. */
  range: Range;
}

export interface SearchSpace {
  dimensions: Dimension[];
  stages: ElaboratedSearch["stages"];
  metric: string;
  mode: "min" | "max";
  seed: number;
}

export function searchSpace(search: ElaboratedSearch): SearchSpace {
  const dimensions = search.params.map(({ name, distribution }): Dimension => {
    const args = distribution.args;
    if (distribution.builtin === "choice") return { name, range: { kind: "choice", values: (args.get("values") as ParamValue[]).slice() } };
    const kind = distribution.builtin as "loguniform" | "uniform" | "int_uniform";
    return { name, range: { kind, lo: args.get("lo") as number, hi: args.get("hi") as number } };
  });
  return { dimensions, stages: search.stages, metric: search.metric, mode: search.mode, seed: search.seed };
}

/** Where a value lies on its range's own scale: log for loguniform. */
export function position(kind: Range["kind"], value: number): number {
  return kind === "loguniform" ? Math.log(value) : value;
}

function fromPosition(kind: Range["kind"], p: number): number {
  return kind === "loguniform" ? Math.exp(p) : p;
}

/** The value a uniform draw u ∈ [0, 1) picks from the range. */
export function draw(range: Range, u: number): ParamValue {
  if (range.kind === "choice") return range.values[Math.min(range.values.length - 1, Math.floor(u * range.values.length))]!;
  if (range.kind === "int_uniform") return Math.min(range.hi, range.lo + Math.floor(u * (range.hi - range.lo + 1)));
  const [lo, hi] = [position(range.kind, range.lo), position(range.kind, range.hi)];
  const value = fromPosition(range.kind, lo + u * (hi - lo));
  // exp(log(x)) can step just outside the written bounds.
  return Math.min(range.hi, Math.max(range.lo, value));
}

/** 0 at the range's lower end, 1 at its upper end, on its own scale (log for loguniform). */
export function fraction(range: Range, value: number): number {
  if (range.kind === "choice") return NaN;
  const [lo, hi] = [position(range.kind, range.lo), position(range.kind, range.hi)];
  return (position(range.kind, value) - lo) / (hi - lo);
}

/**
 * The range of a later stage: `keep` of the current range's width (on its own scale), centred on the best
 * value and shifted to lie inside the file's range; integers keep whole bounds. A choice keeps the values
 * of the best trials (`best`, best first), at least one.
 */
export function narrowRange(original: Range, current: Range, best: ParamValue[], keep: number): Range {
  if (best.length === 0 || keep >= 1) return current;
  if (current.kind === "choice") {
    const kept = current.values.filter((v) => best.includes(v));
    return { kind: "choice", values: kept.length ? kept : current.values };
  }
  if (original.kind === "choice") throw new Error("internal: a numeric range narrowed from a choice");
  const kind = current.kind;
  const [lo, hi] = [position(kind, original.lo), position(kind, original.hi)];
  const width = keep * (position(kind, current.hi) - position(kind, current.lo));
  const centre = position(kind, best[0] as number);
  const start = Math.min(hi - width, Math.max(lo, centre - width / 2));
  let [newLo, newHi] = [fromPosition(kind, start), fromPosition(kind, start + width)];
  if (kind === "int_uniform") [newLo, newHi] = [Math.max(original.lo, Math.floor(newLo)), Math.min(original.hi, Math.ceil(newHi))];
  return { kind, lo: Math.max(original.lo, newLo), hi: Math.min(original.hi, newHi) };
}

export function describeRange(range: Range): string {
  if (range.kind === "choice") return `choice(${JSON.stringify(range.values)})`;
  return `${range.kind}(${formatValue(range.lo)}, ${formatValue(range.hi)})`;
}

/** A sampled value as tables and messages show it: 4 significant digits. */
export function formatValue(value: ParamValue): string {
  if (typeof value === "string") return value;
  if (Number.isInteger(value)) return String(value);
  const abs = Math.abs(value);
  return abs !== 0 && (abs < 1e-3 || abs >= 1e5) ? value.toExponential(3) : String(Number(value.toPrecision(4)));
}
