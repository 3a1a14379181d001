// A small, strict command-line parser: every command declares its flags, and anything else is a usage error
// with a suggestion.
import { didYouMean } from "../compiler/check/suggest.js";
import { UsageError } from "./io.js";

export interface FlagSpec {
  name: string;
  /** Flags that take a value list their allowed values, or [] for any value. */
  values?: string[];
  doc: string;
}

export interface ParsedArgs {
  positional: string[];
  flags: Map<string, string | true>;
}

export function parseArgs(argv: string[], specs: FlagSpec[], command: string): ParsedArgs {
  const positional: string[] = [];
  const flags = new Map<string, string | true>();
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
  }
  return { positional, flags };
}

/** An integer flag's value (undefined when absent); anything else is a usage error naming the flag. */
export function integerFlag(args: ParsedArgs, name: string, minimum: number): number | undefined {
  const raw = args.flags.get(name);
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < minimum) throw new UsageError(`\`--${name}\` must be an integer ≥ ${minimum}, got \`${String(raw)}\``);
  return value;
}

/** A positive number flag's value (undefined when absent), e.g. `--min-lr 1e-6`. */
export function positiveFlag(args: ParsedArgs, name: string): number | undefined {
  const raw = args.flags.get(name);
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (!(Number.isFinite(value) && value > 0)) throw new UsageError(`\`--${name}\` must be a positive number, got \`${String(raw)}\``);
  return value;
}
