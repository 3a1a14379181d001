// Matching a call's arguments against a builtin's parameters, and checking each value against its type:
// unknown or repeated names, missing required ones, wrong types, out-of-range numbers, invalid options.
import type * as A from "../../grammar/ast.js";
import { categoriesOf, lookupBuiltin, namesIn } from "../builtins/registry.js";
import { METRICS } from "../builtins/training.js";
import { CATEGORY_NOUN, isDuration, type ArgType, type ArgValue, type ArgValues, type BuiltinSpec, type Category, type DefaultValue, type ParamSpec, type ResolvedCall } from "../builtins/types.js";
import type { CheckContext } from "./context.js";
import { CONSTANTS } from "./context.js";
import { beyondF32, evaluateConstant, holdsReportedLiteral, U32_MAX, vanishesInF32, type Lookup } from "./constants.js";
import { suggestFix } from "./suggest.js";

export interface ArgScope {
  lookup: Lookup;
  /** Names a selector may use besides weights/biases/norms/all: the model's named layers. */
  layerNames: Set<string>;
  /** Names of everything in scope, for "did you mean" on unknown names. */
  visibleNames: () => Iterable<string>;
}

const SELECTORS = ["weights", "biases", "norms", "all"];

/** How messages name an argument: "`p` of `dropout`". */
export function argumentName(param: string, callee: string): string {
  return `\`${param}\` of \`${callee}\``;
}

export function describeExpr(expr: A.Expr): string {
  switch (expr.kind) {
    case "Number":
      return expr.unit ? `a duration (\`${expr.raw} ${expr.unit}\`)` : "a number";
    case "String":
      return "a string";
    case "Bool":
      return "a boolean";
    case "List":
      return "a list";
    case "Call":
      return `a call of \`${expr.callee.name}\``;
    case "Name":
      return `\`${expr.name}\``;
    case "Pipeline":
      return "a pipeline";
    case "Sequence":
      return "a schedule sequence";
    default:
      return "an expression";
  }
}

export function describeType(type: ArgType): string {
  switch (type.t) {
    case "number":
      return type.integer ? "an integer" : "a number";
    case "bool":
      return "`true` or `false`";
    case "string":
      return "a string";
    case "enum":
      return `one of ${type.values.map((v) => `\`${v}\``).join(", ")}`;
    case "duration":
      return "a duration such as `5 epochs` or `500 steps`";
    case "ref":
      return `${/^[aeiou]/.test(CATEGORY_NOUN[type.category]) ? "an" : "a"} ${CATEGORY_NOUN[type.category]}`;
    case "list":
      return `a list of ${describeType(type.of).replace(/^an? /, "")}s`;
    case "either":
      return type.options.map(describeType).join(" or ");
    case "selector":
      return "a parameter selection (`weights`, `biases`, `norms`, `all` or a layer name)";
    case "metric":
      return "a metric such as `val_loss`";
  }
}

function rangeText(type: Extract<ArgType, { t: "number" }>): string {
  const low = type.min === undefined ? undefined : `${type.minExclusive ? ">" : "≥"} ${type.min}`;
  const high = type.max === undefined ? undefined : `${type.maxExclusive ? "<" : "≤"} ${type.max}`;
  return [low, high].filter(Boolean).join(" and ");
}

/** Checks `args` against `spec`'s parameters and returns the call resolved: every argument by name, defaults filled. */
export function checkArguments(call: A.Call, spec: BuiltinSpec, ctx: CheckContext, scope: ArgScope): ResolvedCall {
  const { values, given } = matchArguments(call.callee, call.args, spec.params, ctx, (param, arg) => checkValue(arg.value, param.type, ctx, scope, argumentName(param.name, call.callee.name)));
  return resolveCall(spec, values, given, call, ctx);
}

/**
 * The elaborated form of a checked call: the canonical builtin, every parameter by name with the written
 * value or the registry's default. Recorded against the expression so the language server can show it.
 */
export function resolveCall(spec: BuiltinSpec, values: ArgValues, given: Map<string, A.Argument>, expr: A.Call | A.NameRef, ctx: CheckContext): ResolvedCall {
  for (const param of spec.params) {
    const other = param.exclusiveWith;
    if (!other) continue;
    const mine = given.get(param.name);
    const theirs = given.get(other);
    if (mine && theirs) {
      ctx.report("E0107", mine.span, `\`${spec.name}\` takes \`${other}\` or \`${param.name}\`, not both`, {
        label: "both given",
        labels: [{ span: theirs.span, message: `\`${other}\` given here` }],
        help: `keep one of them: ${param.doc}`,
      });
    } else if (!mine && !theirs && param.default === undefined && spec.params.find((p) => p.name === other)?.default === undefined) {
      ctx.report("E0105", expr.kind === "Call" ? expr.callee.span : expr.span, `\`${spec.name}\` needs \`${other}\` or \`${param.name}\``, {
        label: "neither given",
        help: `add \`${other}: …\` or \`${param.name}: …\``,
      });
    }
  }
  const written = new Map([...given].map(([name, arg]) => [name, arg.span]));
  const resolved: ResolvedCall = { kind: "call", builtin: spec.name, category: spec.category, args: filledArgs(spec, values, written), written, span: expr.span };
  ctx.calls.set(expr, resolved);
  return resolved;
}

/** Every parameter's value: the written one, else the registry default, else (`sameAs`) another's value. */
function filledArgs(spec: BuiltinSpec, values: ArgValues, written: Map<string, unknown>): ArgValues {
  const args: ArgValues = new Map();
  for (const param of spec.params) {
    if (written.has(param.name)) args.set(param.name, values.get(param.name));
    else if (param.sameAs !== undefined) args.set(param.name, undefined);
    else args.set(param.name, param.default === undefined ? undefined : defaultValue(param.default, param.type));
  }
  // `stride` left out takes `kernel`'s value: filled after every written argument is known.
  for (const param of spec.params) if (param.sameAs !== undefined && !written.has(param.name)) args.set(param.name, args.get(param.sameAs));
  return args;
}

/** A registry default as a value; for a `ref` parameter the named builtin with its own defaults. */
export function defaultValue(value: DefaultValue, type: ArgType): ArgValue {
  if (type.t === "ref" && typeof value === "string") {
    const spec = lookupBuiltin(value, [type.category])!;
    return { kind: "call", builtin: spec.name, category: spec.category, args: filledArgs(spec, new Map(), new Map()), written: new Map(), span: { start: 0, end: 0 } };
  }
  if (Array.isArray(value)) return value.map((v) => defaultValue(v, type.t === "list" ? type.of : type));
  return typeof value === "object" ? { ...value } : value;
}

/** Binds positional and named arguments to parameters, reporting E0103/E0105/E0106/E0107. */
export function matchArguments(
  callee: A.Identifier,
  args: A.Argument[],
  params: ParamSpec[],
  ctx: CheckContext,
  check: (param: ParamSpec, arg: A.Argument) => ArgValue,
): { values: ArgValues; given: Map<string, A.Argument> } {
  const values: ArgValues = new Map();
  const given = new Map<string, A.Argument>();
  let position = 0;
  for (const arg of args) {
    let param: ParamSpec | undefined;
    if (arg.name) {
      param = params.find((p) => p.name === arg.name!.name);
      if (!param) {
        const fix = suggestFix(arg.name.name, params.map((p) => p.name), arg.name.span);
        ctx.report("E0103", arg.name.span, `\`${callee.name}\` has no argument named \`${arg.name.name}\``, {
          label: "unknown argument",
          fixes: fix.fixes,
          help: fix.help ?? (params.length ? `its arguments are ${params.map((p) => `\`${p.name}\``).join(", ")}` : `\`${callee.name}\` takes no arguments`),
        });
        continue;
      }
    } else {
      param = params[position++];
      if (!param) {
        const takes = params.length === 0 ? "no arguments" : `${params.length} argument${params.length === 1 ? "" : "s"}`;
        ctx.report("E0106", arg.span, `\`${callee.name}\` takes ${takes}, but more were given`, {
          label: "unexpected argument",
          help: params.length ? `its arguments are ${params.map((p) => `\`${p.name}\``).join(", ")}; pass options by name` : `\`${callee.name}\` takes no arguments`,
        });
        continue;
      }
    }
    const previous = given.get(param.name);
    if (previous) {
      ctx.report("E0107", arg.span, `argument \`${param.name}\` of \`${callee.name}\` is given twice`, {
        label: "given again here",
        labels: [{ span: previous.span, message: "first given here" }],
        help: "remove one of them",
      });
      continue;
    }
    given.set(param.name, arg);
    values.set(param.name, check(param, arg));
  }
  for (const param of params) {
    if (param.required && !given.has(param.name)) {
      ctx.report("E0105", callee.span, `\`${callee.name}\` needs the argument \`${param.name}\``, {
        label: `missing \`${param.name}\``,
        help: `add \`${param.name}: …\` (${param.doc.replace(/\.$/, "").toLowerCase()})`,
      });
    }
  }
  return { values, given };
}

function mismatch(ctx: CheckContext, expr: A.Expr, type: ArgType, what: string): undefined {
  ctx.report("E0201", expr.span, `${what} expects ${describeType(type)}, found ${describeExpr(expr)}`, {
    label: `expected ${describeType(type)}`,
    help: `give ${what} ${describeType(type)}`,
  });
  return undefined;
}

function unknownName(ctx: CheckContext, expr: A.NameRef, scope: ArgScope, extra: Iterable<string> = []): undefined {
  const fix = suggestFix(expr.name, [...scope.visibleNames(), ...extra, ...Object.keys(CONSTANTS)], expr.span);
  ctx.report("E0101", expr.span, `cannot find \`${expr.name}\` in this scope`, { label: "not found", ...fix, help: fix.help ?? "define it above (`let`, or a line `name = …`), or check its spelling" });
  return undefined;
}

/** Checks one argument value against its declared type; returns its constant value where known. */
export function checkValue(expr: A.Expr, type: ArgType, ctx: CheckContext, scope: ArgScope, what: string): ArgValue {
  if (expr.kind === "Missing") return undefined;
  if (expr.kind === "Paren") return checkValue(expr.inner, type, ctx, scope, what);
  switch (type.t) {
    case "number":
      return checkNumber(expr, type, ctx, scope, what);
    case "bool":
    case "string": {
      const value = evaluateConstant(expr, scope.lookup);
      if (value === "unknown-name") return expr.kind === "Name" ? unknownName(ctx, expr, scope) : undefined;
      if (typeof value !== (type.t === "bool" ? "boolean" : "string")) return mismatch(ctx, expr, type, what);
      return value;
    }
    case "enum":
      return checkEnum(expr, type.values, ctx, scope, what);
    case "duration": {
      if (expr.kind !== "Number" && expr.kind !== "Name" && expr.kind !== "Binary") return mismatch(ctx, expr, type, what);
      const value = evaluateConstant(expr, scope.lookup);
      if (value === "unknown-name") return expr.kind === "Name" ? unknownName(ctx, expr, scope) : undefined;
      const count = typeof value === "number" ? value : isDuration(value) ? value.count : undefined;
      if (count !== undefined && count > U32_MAX && Number.isInteger(count)) {
        ctx.report("E0206", expr.span, `${what} is ${count}, more than a device can count (${U32_MAX.toLocaleString("en-US")})`, { label: "too large", help: `use at most ${U32_MAX}` });
        return undefined;
      }
      if (count !== undefined && (count < 0 || !Number.isInteger(count))) {
        ctx.report("E0202", expr.span, `${what} must be a whole, non-negative count, got ${count}`, { label: "out of range", help: "use a whole number, 0 or more" });
        return undefined;
      }
      if (typeof value === "number") return { unit: type.defaultUnit, count: value };
      return value;
    }
    case "ref":
      return checkReference(expr, type.category, ctx, scope, what);
    case "list": {
      if (expr.kind !== "List") {
        const value = expr.kind === "Name" ? evaluateConstant(expr, scope.lookup) : undefined;
        if (Array.isArray(value)) return value;
        return mismatch(ctx, expr, type, what);
      }
      return expr.items.map((item) => checkValue(item, type.of, ctx, scope, what));
    }
    case "either": {
      const option = type.options.find((o) => fits(expr, o, scope)) ?? type.options[0]!;
      if (!fits(expr, option, scope) && expr.kind !== "Name") return mismatch(ctx, expr, type, what);
      return checkValue(expr, option, ctx, scope, what);
    }
    case "selector":
      if (expr.kind !== "Name") return mismatch(ctx, expr, type, what);
      if (!SELECTORS.includes(expr.name) && !scope.layerNames.has(expr.name)) {
        const fix = suggestFix(expr.name, [...SELECTORS, ...scope.layerNames], expr.span);
        ctx.report("E0101", expr.span, `\`${expr.name}\` is not a parameter selection or a named layer`, {
          label: "unknown selection",
          fixes: fix.fixes,
          help: fix.help ?? `use \`weights\`, \`biases\`, \`norms\`, \`all\`, or name a layer (\`fc1 = dense(64)\`)`,
        });
      }
      return expr.name;
    case "metric":
      return checkEnum(expr, METRICS, ctx, scope, what);
  }
}

/** Whether an expression has the syntactic form of a type, to choose among `either` options. */
function fits(expr: A.Expr, type: ArgType, scope: ArgScope): boolean {
  switch (type.t) {
    case "number":
      return expr.kind === "Number" || expr.kind === "Negate" || expr.kind === "Binary" || (expr.kind === "Name" && typeof evaluateConstant(expr, scope.lookup) === "number");
    case "list":
      return expr.kind === "List";
    case "enum":
      return expr.kind === "Name" && type.values.includes(expr.name);
    case "selector":
      return expr.kind === "Name";
    case "string":
      return expr.kind === "String";
    case "bool":
      return expr.kind === "Bool";
    default:
      return false;
  }
}

/** The first `a.b` in an arithmetic expression. */
function findMember(expr: A.Expr): A.Member | undefined {
  switch (expr.kind) {
    case "Member":
      return expr;
    case "Paren":
      return findMember(expr.inner);
    case "Negate":
      return findMember(expr.operand);
    case "Binary":
      return findMember(expr.left) ?? findMember(expr.right);
    default:
      return undefined;
  }
}

function memberText(expr: A.Expr): string {
  return expr.kind === "Member" ? `${memberText(expr.object)}.${expr.property.name}` : expr.kind === "Name" ? expr.name : "…";
}

function checkNumber(expr: A.Expr, type: Extract<ArgType, { t: "number" }>, ctx: CheckContext, scope: ArgScope, what: string): ArgValue {
  if (expr.kind === "String" || expr.kind === "Bool" || expr.kind === "List" || expr.kind === "Call" || expr.kind === "Pipeline" || expr.kind === "Sequence") {
    return mismatch(ctx, expr, type, what);
  }
  if (expr.kind === "Number" && expr.unit) {
    ctx.report("E0201", expr.span, `${what} expects a plain number, found a duration (\`${expr.raw} ${expr.unit}\`)`, {
      label: "remove the unit",
      help: `write \`${expr.raw}\``,
    });
    return undefined;
  }
  // `a.b` names a layer's parameter (`fc1.weight`) and has no number: left alone it would read as a value
  // known only later (a block's parameter), which nothing downstream could give it.
  const member = findMember(expr);
  if (member) {
    ctx.report("E0201", member.span, `${what} expects ${describeType(type)}, found \`${memberText(member)}\`, which names a layer's parameter`, {
      label: "not a number",
      help: "write a number or the name of a `let` or block parameter; a `.` only names a layer's parameter, e.g. `fc1.weight`",
    });
    return undefined;
  }
  const value = evaluateConstant(expr, scope.lookup);
  if (value === "unknown-name") return expr.kind === "Name" ? unknownName(ctx, expr, scope) : undefined;
  if (value === undefined) return undefined;
  if (typeof value !== "number") return mismatch(ctx, expr, type, what);
  // A literal beyond f32 was reported at its own span (constants.ts); a computed one is reported here.
  if (holdsReportedLiteral(expr)) return undefined;
  if (!Number.isFinite(value) || beyondF32(value)) {
    ctx.report("E0207", expr.span, `${what} is ${Number.isFinite(value) ? value.toPrecision(3) : value}, beyond the range of f32, the device's number type`, {
      label: "becomes infinity on the device",
      help: "use a value of at most 3.4e38",
    });
    return undefined;
  }
  if (vanishesInF32(value)) {
    ctx.report("E0208", expr.span, `${what} is ${value.toPrecision(3)}, too small for f32, the device's number type, and becomes 0 there`, {
      label: "becomes 0 on the device",
      help: "write `0` if zero is meant, or use a value of at least 1.2e-38",
    });
    return undefined;
  }
  const tooLow = type.min !== undefined && (type.minExclusive ? value <= type.min : value < type.min);
  const tooHigh = type.max !== undefined && (type.maxExclusive ? value >= type.max : value > type.max);
  if (tooLow || tooHigh) {
    ctx.report("E0202", expr.span, `${what} must be ${rangeText(type)}, got ${value}`, {
      label: "out of range",
      help: rangeHelp(what, value) ?? `use a value ${rangeText(type)}`,
    });
    return undefined;
  }
  if (type.integer && !Number.isInteger(value)) {
    ctx.report("E0203", expr.span, `${what} must be an integer, got ${value}`, { label: "not a whole number", help: `use ${Math.round(value)}` });
    return undefined;
  }
  // Counts reach kernels as u32 (sizes, loop bounds, the seed of the device's random numbers).
  if (type.integer && value > U32_MAX) {
    ctx.report("E0206", expr.span, `${what} is ${value}, more than a device can index (${U32_MAX.toLocaleString("en-US")})`, {
      label: "too large",
      help: `counts must fit in 32 bits: use at most ${U32_MAX}`,
    });
    return undefined;
  }
  return value;
}

function rangeHelp(what: string, value: number): string | undefined {
  if (what === argumentName("p", "dropout") && value > 1) return "dropout's `p` is the probability of dropping a unit, between 0 and 1";
  if (what.startsWith("`lr`") && value <= 0) return "learning rates are positive; typical values are 1e-4 to 1e-1";
  return undefined;
}

function checkEnum(expr: A.Expr, values: string[], ctx: CheckContext, scope: ArgScope, what: string): ArgValue {
  const word = expr.kind === "Name" ? expr.name : expr.kind === "String" ? expr.value : undefined;
  if (word === undefined) {
    ctx.report("E0201", expr.span, `${what} expects one of ${values.map((v) => `\`${v}\``).join(", ")}, found ${describeExpr(expr)}`, {
      label: "expected an option",
      help: `write one of ${values.map((v) => `\`${v}\``).join(", ")}`,
    });
    return undefined;
  }
  if (values.includes(word)) return word;
  const constant = expr.kind === "Name" ? scope.lookup(word) : undefined;
  if (typeof constant === "string" && values.includes(constant)) return constant;
  const fix = suggestFix(word, values, expr.span);
  ctx.report("E0204", expr.span, `\`${word}\` is not a valid option for ${what}`, {
    label: "invalid option",
    fixes: fix.fixes,
    help: fix.help ?? `expected one of ${values.map((v) => `\`${v}\``).join(", ")}`,
  });
  return undefined;
}

/** A name or call that must be a builtin of `category`; reports E0102/E0109 and checks the call's arguments. */
export function checkReference(expr: A.Expr, category: Category, ctx: CheckContext, scope: ArgScope, what: string): ResolvedCall | undefined {
  const callee = expr.kind === "Call" ? expr.callee : expr.kind === "Name" ? { kind: "Identifier" as const, name: expr.name, span: expr.span } : undefined;
  if (!callee) {
    ctx.report("E0201", expr.span, `${what} expects ${describeType({ t: "ref", category })}, found ${describeExpr(expr)}`, {
      label: `expected ${describeType({ t: "ref", category })}`,
      help: `write ${describeType({ t: "ref", category })} here, by name or as a call`,
    });
    return undefined;
  }
  const spec = lookupBuiltin(callee.name, [category]);
  if (!spec) {
    reportWrongBuiltin(callee, [category], ctx);
    return undefined;
  }
  if (expr.kind === "Call") return checkArguments(expr, spec, ctx, scope);
  reportBareNameMissing(callee, spec, ctx);
  return resolveCall(spec, new Map(), new Map(), expr as A.NameRef, ctx);
}

/** A builtin written as a bare name (`dense`, `csv`) while it has required arguments: E0105 for each. */
export function reportBareNameMissing(callee: A.Identifier, spec: BuiltinSpec, ctx: CheckContext): void {
  for (const param of spec.params.filter((p) => p.required)) {
    ctx.report("E0105", callee.span, `\`${callee.name}\` needs the argument \`${param.name}\``, {
      label: `missing \`${param.name}\``,
      help: `write \`${callee.name}(${param.name}: …)\``,
    });
  }
}

/** E0109 when the name is a builtin of another kind, E0102 with a suggestion otherwise. */
export function reportWrongBuiltin(callee: A.Identifier, expected: readonly Category[], ctx: CheckContext, extraNames: Iterable<string> = []): void {
  const noun = expected.map((c) => CATEGORY_NOUN[c]).join(" or ");
  const actual = categoriesOf(callee.name);
  if (actual.length > 0) {
    const article = (w: string) => (/^[aeiou]/.test(w) ? "an" : "a");
    const actualNoun = CATEGORY_NOUN[actual[0]!];
    ctx.report("E0109", callee.span, `\`${callee.name}\` is ${article(actualNoun)} ${actualNoun}, not ${article(noun)} ${noun}`, {
      label: `expected ${article(noun)} ${noun}`,
      help: examplesHelp(expected),
    });
    return;
  }
  const fix = suggestFix(callee.name, [...namesIn(expected), ...extraNames], callee.span);
  ctx.report("E0102", callee.span, `unknown ${noun} \`${callee.name}\``, {
    label: `not a known ${noun}`,
    fixes: fix.fixes,
    help: fix.help ?? examplesHelp(expected),
  });
}

function examplesHelp(categories: readonly Category[]): string {
  const names = namesIn(categories).slice(0, 8);
  return `known ${categories.map((c) => CATEGORY_NOUN[c]).join("/")}s include ${names.map((n) => `\`${n}\``).join(", ")}`;
}
