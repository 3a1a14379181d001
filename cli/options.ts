// A small, strict command-line parser: every command declares its flags, and anything else is a usage error
// with a suggestion.
import { didYouMean } from "../compiler/check/suggest.js";
import { UsageError } from "./io.js";

export interface FlagSpec {
  name: string;
  /** Flags that take a value list their allowed values, or [] for any value. */
  values?: string[];
  doc: string;
  /** May be given several times (`--set a=1 --set b=2`): every value is kept, in `ParsedArgs.repeated`. */
  repeatable?: boolean;
}

export interface ParsedArgs {
  positional: string[];
  flags: Map<string, string | true>;
  /** Every value of a repeatable flag, in order. */
  repeated?: Map<string, string[]>;
}

export function parseArgs(argv: string[], specs: FlagSpec[], command: string): ParsedArgs {
  const positional: string[] = [];
  const flags = new Map<string, string | true>();
  const repeated = new Map<string, string[]>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith("--") || arg === "--") {
      positional.push(arg);
      continue;
    }
    const [name, inline] = arg.slice(2).split("=", 2) as [string, string | undefined];
    const spec = specs.find((s) => s.name === name);
    if (!spec) {
      const hint = didYouMean(name, specs.map((s) => s.name));
      throw new UsageError(`unknown option \`--${name}\` for \`dslc ${command}\`${hint ? `; ${hint.replace(/`(.*)`/, "`--$1`")}` : ""}`);
    }
    if (!spec.values) {
      flags.set(name, true);
      continue;
    }
    const value = inline ?? argv[++i];
    if (value === undefined) throw new UsageError(`option \`--${name}\` needs a value`);
    if (spec.values.length && !spec.values.includes(value)) throw new UsageError(`\`--${name}\` must be one of ${spec.values.join(", ")}, got \`${value}\``);
    flags.set(name, value);
    if (spec.repeatable) repeated.set(name, [...(repeated.get(name) ?? []), value]);
  }
  return { positional, flags, repeated };
}

/** The largest count any flag takes: counts reach the device as u32. */
export const U32_MAX = 4294967295;

/**
 * An integer flag's value (undefined when absent). Only plain decimal digits are accepted: `Number()` alone
 * would take `0x2`, `1e3`, `1.0` and round 99999999999999999999 to a float; a value beyond `maximum` is refused
 * rather than wrapped, so `--seed 4294967301` never silently trains with seed 5.
 */
export function integerFlag(args: ParsedArgs, name: string, minimum: number, maximum = U32_MAX): number | undefined {
  const raw = args.flags.get(name);
  if (raw === undefined) return undefined;
  const text = String(raw);
  const value = /^[0-9]+$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(value) || value < minimum || value > maximum) {
    throw new UsageError(`\`--${name}\` must be a whole number from ${minimum} to ${maximum}, got \`${shown(text)}\``);
  }
  return value;
}

/** A positive number flag's value (undefined when absent), e.g. `--min-lr 1e-6`; decimal notation only, within f32. */
export function positiveFlag(args: ParsedArgs, name: string): number | undefined {
  const raw = args.flags.get(name);
  if (raw === undefined) return undefined;
  const text = String(raw);
  const value = /^(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$/.test(text) ? Number(text) : NaN;
  // The rate reaches the device as an f32: beyond its range it would become Infinity or 0 there.
  if (!(Number.isFinite(value) && value >= F32_MIN_NORMAL && value <= F32_MAX)) {
    throw new UsageError(`\`--${name}\` must be a positive decimal number from ${F32_MIN_NORMAL.toPrecision(3)} to ${F32_MAX.toPrecision(3)}, got \`${shown(text)}\``);
  }
  return value;
}

const F32_MAX = 3.4028234663852886e38;
const F32_MIN_NORMAL = 1.1754943508222875e-38;

/** A flag's value as a message quotes it: control characters escaped, long values cut. */
function shown(text: string): string {
  const escaped = text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, (c) => `\\u{${c.charCodeAt(0).toString(16)}}`);
  return escaped.length > 40 ? `${escaped.slice(0, 40)}…` : escaped;
}
