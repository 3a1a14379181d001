// `--set name=value`: a top-level `let`'s value from the command line (`dslc train`), read as a number,
// a boolean or else a string, as the checker's override expects (compiler/check/let-overrides.ts); a
// value of the wrong kind for its `let` is the checker's E0801, with the file's place.
import { UsageError } from "./io.js";
import type { ParsedArgs } from "./options.js";

const NUMBER = /^[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$/;

export function parseSetValue(text: string): number | string | boolean {
  if (text === "true" || text === "false") return text === "true";
  if (NUMBER.test(text) && Number.isFinite(Number(text))) return Number(text);
  // A quoted value is a string even when it reads like a number: `--set name='"12"'`.
  const quoted = /^"(.*)"$/s.exec(text);
  return quoted ? quoted[1]! : text;
}

/** The `--set` flags as `let` overrides; undefined when there are none. */
export function setFlags(args: ParsedArgs): Record<string, number | string | boolean> | undefined {
  const given = args.repeated?.get("set") ?? [];
  if (given.length === 0) return undefined;
  const lets: Record<string, number | string | boolean> = {};
  for (const item of given) {
    const at = item.indexOf("=");
    const name = at < 0 ? "" : item.slice(0, at);
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new UsageError(`\`--set\` takes \`name=value\` with the name of a top-level \`let\`, e.g. \`--set lr=0.01\`; got \`${item}\``);
    if (Object.hasOwn(lets, name)) throw new UsageError(`\`--set ${name}=…\` is given twice`);
    lets[name] = parseSetValue(item.slice(at + 1));
  }
  return lets;
}

/** The value as `--set` takes it back: how `dslc search` prints the command that trains its best trial. */
export function setArgument(name: string, value: number | string | boolean): string {
  const text = typeof value === "string" && (NUMBER.test(value) || value === "true" || value === "false") ? `"${value}"` : String(value);
  return `--set ${name}=${/^[A-Za-z0-9_.+-]+$/.test(text) ? text : `'${text.replace(/'/g, "'\\''")}'`}`;
}
