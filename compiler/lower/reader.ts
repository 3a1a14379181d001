// Reading the arguments of a resolved call during lowering, and refusing what is not read. Every argument
// the lowering does not consume must still hold its default; one that was written with another value is
// reported as E0601, naming it. So a new argument in the registry can never be accepted and silently
// ignored: until the lowering reads it, training refuses it.
import { lookupBuiltin } from "../builtins/registry.js";
import { isDuration, isResolvedCall, type ArgValue, type Duration, type ResolvedCall } from "../builtins/types.js";
import { defaultValue } from "../check/args.js";
import type { DiagnosticBag } from "../diagnostics/diagnostic.js";
import type { Span } from "../../grammar/ast.js";
import { NOT_YET } from "./support.js";

/** E0601: valid and checked, but the training backends cannot run it yet. */
export function refuse(diagnostics: DiagnosticBag, span: Span | undefined, what: string, help?: string): undefined {
  diagnostics.add("E0601", span, `${what} is not supported by the training backends yet`, {
    label: "not supported yet",
    help: help ?? "`dslc check` accepts it; docs/language.md marks what the backends do not run yet",
  });
  return undefined;
}

/** Whether two argument values are the same (numbers, strings, lists, durations, resolved calls). */
export function sameValue(a: ArgValue, b: ArgValue): boolean {
  if (Array.isArray(a) || Array.isArray(b)) return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((v, i) => sameValue(v, b[i]));
  if (isDuration(a) || isDuration(b)) return isDuration(a) && isDuration(b) && a.unit === b.unit && a.count === b.count;
  if (isResolvedCall(a) || isResolvedCall(b)) {
    return isResolvedCall(a) && isResolvedCall(b) && a.builtin === b.builtin && [...a.args].every(([name, value]) => sameValue(value, b.args.get(name)));
  }
  return a === b;
}

/**
 * Lowers one resolved call: refused whole (E0601) when support.ts lists the builtin, else `lower` reads its
 * arguments and every argument it left unread must hold its default (`ArgReader.finish`).
 */
export function lowerCall<T>(call: ResolvedCall, noun: string, diagnostics: DiagnosticBag, lower: (a: ArgReader) => T): T | undefined {
  const note = NOT_YET[call.builtin];
  if (note) return refuse(diagnostics, call.span, `${noun}\`${call.builtin}\``, note);
  const a = new ArgReader(call, diagnostics);
  const result = lower(a);
  return a.finish() ? result : undefined;
}

export class ArgReader {
  private readonly read = new Set<string>();

  constructor(
    readonly call: ResolvedCall,
    private readonly diagnostics: DiagnosticBag,
  ) {}

  value(name: string): ArgValue {
    if (!this.call.args.has(name)) throw new Error(`internal: \`${this.call.builtin}\` has no argument \`${name}\``);
    this.read.add(name);
    return this.call.args.get(name);
  }

  num(name: string): number;
  num(name: string, optional: true): number | undefined;
  num(name: string, optional?: true): number | undefined {
    const value = this.value(name);
    if (typeof value === "number") return value;
    if (value === undefined && optional) return undefined;
    throw new Error(`internal: \`${name}\` of \`${this.call.builtin}\` is ${String(value)}, not a number`);
  }

  bool(name: string): boolean {
    const value = this.value(name);
    if (typeof value !== "boolean") throw new Error(`internal: \`${name}\` of \`${this.call.builtin}\` is not a boolean`);
    return value;
  }

  str(name: string): string {
    const value = this.value(name);
    if (typeof value !== "string") throw new Error(`internal: \`${name}\` of \`${this.call.builtin}\` is not a string`);
    return value;
  }

  duration(name: string): Duration | undefined {
    const value = this.value(name);
    return isDuration(value) ? value : undefined;
  }

  resolved(name: string): ResolvedCall {
    const value = this.value(name);
    if (!isResolvedCall(value)) throw new Error(`internal: \`${name}\` of \`${this.call.builtin}\` is not a call`);
    return value;
  }

  /** Where an argument was written, else the call. */
  spanOf(name: string): Span {
    return this.call.written.get(name) ?? this.call.span;
  }

  /** Whether the argument was written in the file (rather than defaulted). */
  written(name: string): boolean {
    return this.call.written.has(name);
  }

  /**
   * Refuses every argument that was not read and does not hold its default. Returns false when something
   * was refused. Arguments listed as not yet supported are named with the reason from support.ts.
   */
  finish(): boolean {
    const spec = lookupBuiltin(this.call.builtin, [this.call.category])!;
    let ok = true;
    for (const param of spec.params) {
      if (this.read.has(param.name) || !this.call.written.has(param.name)) continue;
      const fallback = param.sameAs !== undefined ? this.call.args.get(param.sameAs) : param.default === undefined ? undefined : defaultValue(param.default, param.type);
      if (fallback !== undefined && sameValue(this.call.args.get(param.name), fallback)) continue;
      const note = NOT_YET[`${this.call.builtin}.${param.name}`];
      refuse(this.diagnostics, this.spanOf(param.name), `\`${param.name}\` of \`${this.call.builtin}\``, note ? `${note}; leave it out to train now` : undefined);
      ok = false;
    }
    return ok;
  }
}
